// The pull: pages stream into the staging tables as they arrive (constant memory), unchanged
// pages are recognised by their bytes and unchanged objects by their content hash, deletions are
// proven (clean pass + 404) and renames recognised, then one short transaction applies the cycle.
#include "sync/pull.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <mutex>
#include <set>

#include "gigasync/json.h"
#include "gigasync/parallel.h"
#include "sync/merge.h"
#include "sync/page_stream.h"
#include "sync/reconcile.h"

namespace gigasync {
namespace {

struct PullPlan {
  std::vector<Record> found_again;  // missing from the pass, but GET found them
  std::vector<std::string> deletes;  // confirmed by 404
  std::vector<std::pair<Record, Record>> renames;  // old base -> new object, same content (two-way)
};

std::string join(const std::vector<std::string>& v, const std::string& sep) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : sep) + s;
  return out;
}

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

// Fields the API sent that the documents do not describe: one WARN per new name for the life of
// the mirror (the names seen are kept in gigasync_state), not one per object or per cycle.
std::string unknown_fields_key(const Resource& r) {
  return r.two_way ? "api_unknown_fields" : "api_unknown_fields_" + std::string(r.name);
}

void warn_new_unknown_fields(Store& store, const Resource& r, const std::set<std::string>& names) {
  if (names.empty()) return;
  auto known = store.state(unknown_fields_key(r));
  if (!known) return;
  std::set<std::string> all;
  for (auto& n : json::payload_fields(known.value().empty() ? "{}" : known.value())) all.insert(std::move(n));
  std::string fresh;
  for (const auto& n : names)
    if (all.insert(n).second) fresh += (fresh.empty() ? "" : ", ") + n;
  if (fresh.empty()) return;
  if (r.two_way)
    spdlog::warn("the API sends fields the documents do not describe: {}; gigasync keeps them (view "
                 "integration_unknown_fields) and sends them back unchanged in every PUT", fresh);
  else
    spdlog::warn("the API sends {} fields the documents do not describe: {}; gigasync keeps them (view "
                 "account_unknown_fields)", r.singular, fresh);
  std::string text = "{";
  for (const auto& n : all) text += (text.size() > 1 ? "," : "") + json::quote(n) + ":true";
  if (auto s = store.set_state(unknown_fields_key(r), text + "}"); !s) spdlog::debug("{}", s.error().message);
}

class ListingPull : public PageSink {
 public:
  ListingPull(const Config& cfg, Store& store, Remote& api, const Listing& listing, const SyncOptions& options,
              const PullSettings& settings)
      : cfg_(cfg), store_(store), api_(api), listing_(listing), r_(*listing.resource), options_(options),
        settings_(settings) {}

  Result<PullOutcome> run() {
    auto stage = PullStage::open(store_, r_, listing_.scope);
    if (!stage) return stage.error();
    stage_ = std::move(stage.value());
    auto base_size = stage_->base_count();
    if (!base_size) return base_size.error();
    if (listing_.complete) {
      auto cached = stage_->cached_pages(listing_.query);
      if (!cached) return cached.error();
      cache_ = std::move(cached.value());
    }
    const auto started = std::chrono::steady_clock::now();
    auto stats = stream_pages(api_, listing_, cfg_.api.concurrency, *this);
    if (!stats) return stats.error();
    auto repeated = stage_->finish_staging();
    if (!repeated) return repeated.error();
    for (const auto& id : repeated.value())
      stats->unclean.push_back(std::string(r_.singular) + " " + id + " was listed twice (page drift)");
    spdlog::debug("pull of {}: {} pages ({} unchanged), {} objects read and staged in {:.3f} s", listing_.describe(),
                  stats->pages, stats->unchanged_pages, stats->fetched, seconds_since(started));
    if (!options_.dry_run) warn_new_unknown_fields(store_, r_, unknown_names_);
    out_.pages = stats->pages;
    out_.fetched = stats->fetched;
    out_.unchanged_pages = stats->unchanged_pages;
    if (listing_.complete)
      if (auto s = find_missing(stats.value(), base_size.value()); !s) return s.error();
    if (r_.two_way)
      if (auto s = find_renames(); !s) return s.error();
    double size = static_cast<double>(base_size.value());
    double limit = std::max(static_cast<double>(cfg_.sync.min_delete_guard), cfg_.sync.max_delete_fraction * size);
    if (!plan_.deletes.empty() && static_cast<double>(plan_.deletes.size()) > limit && !options_.force_deletes) {
      spdlog::warn("refusing to delete {} of {} mirrored {} ({:.0f}% > max_delete_fraction {:.0f}%, and more than "
                   "min_delete_guard {}); run 'gigasync sync --force-deletes' if the remote deletions are intended",
                   plan_.deletes.size(), base_size.value(), listing_.describe(),
                   100.0 * static_cast<double>(plan_.deletes.size()) / size, 100.0 * cfg_.sync.max_delete_fraction,
                   cfg_.sync.min_delete_guard);
      out_.deletions_refused = true;
      out_.deletions_held = static_cast<long long>(plan_.deletes.size());
      plan_.deletes.clear();
    }
    if (options_.dry_run) {
      if (auto s = describe(); !s) return s.error();
      return std::move(out_);
    }
    if (!r_.two_way && !plan_.found_again.empty()) {  // a read-only object found again: staged like any other
      if (auto added = stage_->add_page(plan_.found_again); !added) return added.error();
      if (auto again = stage_->finish_staging(); !again) return again.error();
      plan_.found_again.clear();
    }
    auto staged = stage_->staged_count();
    if (!staged) return staged.error();
    const bool save_pages = listing_.complete && stats->clean() && stats->unchanged_pages < stats->pages;
    if (staged.value() == 0 && plan_.deletes.empty() && plan_.found_again.empty() && plan_.renames.empty() &&
        !save_pages)
      return std::move(out_);
    const auto applying = std::chrono::steady_clock::now();
    if (auto s = apply(base_size.value() == 0, save_pages); !s) return s.error();
    spdlog::debug("pull of {}: {} staged objects applied in one transaction in {:.3f} s", listing_.describe(),
                  staged.value(), seconds_since(applying));
    return std::move(out_);
  }

  // PageSink: a page whose bytes are the ones last applied (complete listings only).
  bool unchanged(long long number, std::uint64_t hash, long long& count, std::optional<std::string>& next,
                 long long& objects) const override {
    auto it = cache_.find(number);
    if (it == cache_.end() || it->second.hash != hash) return false;
    count = it->second.count;
    next = it->second.next;
    objects = it->second.objects;
    return true;
  }

  Result<Taken> take(long long number, std::uint64_t hash, const json::Page* page, long long count,
                     const std::optional<std::string>& next) override {
    Taken out;
    if (listing_.complete)
      if (auto s = stage_->note_page(number, hash, count, next, page ? &page->results : nullptr); !s) return s.error();
    if (page == nullptr) {
      all_parsed_ = false;
      return out;
    }
    any_parsed_ = true;
    for (const auto& o : page->results) {
      if (o.extra)
        for (auto& n : json::payload_fields(*o.extra)) unknown_names_.insert(std::move(n));
      if (settings_.keep_listed_ids) out_.listed_ids.push_back(o.id);
      note_times(o, out.stop);
    }
    auto added = stage_->add_page(page->results);
    if (!added) return added.error();
    out.repeats = std::move(added->duplicates);
    return out;
  }

 private:
  // The newest event times seen, and whether a newest-first listing has gone past its window.
  void note_times(const Record& o, bool& stop) {
    for (std::size_t i = 0; i < r_.fields.size(); ++i) {
      const Field& f = r_.fields[i];
      if (f.kind != Kind::timestamp || !o.at(i)) continue;
      auto t = parse_iso8601(*o.at(i));
      if (!t) continue;
      if (f.event || f.name == "created_at") {
        auto [it, fresh] = out_.newest.emplace(std::string(f.name), *t);
        if (!fresh && *t > it->second) it->second = *t;
      }
      if (listing_.stop_before && f.name == "created_at" && *t < *listing_.stop_before) stop = true;
    }
  }

  // The ids of the base the pass did not list, when the pass can prove an absence: each is then
  // asked for with GET (404: deleted; found: skipped by page drift).
  Status find_missing(StreamStats& stats, long long base_size) {
    std::vector<std::string> missing;
    // Every page unchanged and as many objects listed as the base holds: the listing is the one
    // last applied, and the base has exactly its objects (nothing but a pull wrote the base since:
    // any other write empties the page cache). Nothing is missing, and no id need be looked up.
    bool same_as_last = stats.unchanged_pages == stats.pages && stats.pages > 0 && stats.fetched == base_size;
    if (!same_as_last) {
      std::vector<std::string> twice;
      if (stats.unchanged_pages > 0)
        if (auto s = stage_->mark_unchanged_seen(twice); !s) return s;
      for (const auto& id : twice)
        stats.unclean.push_back(std::string(r_.singular) + " " + id + " was listed twice (page drift)");
      auto m = stage_->missing_ids();
      if (!m) return m.error();
      missing = std::move(m.value());
    }
    if (!missing.empty() && !stats.clean()) {
      spdlog::info("not checking {} {} missing from this listing, because the pass was not clean: {}", missing.size(),
                   listing_.describe(), join(stats.unclean, "; "));
      missing.clear();
    }
    return confirm_missing(missing);
  }

  // GET each id missing from a clean pass: 404 confirms the deletion, an answer means page drift.
  Status confirm_missing(const std::vector<std::string>& missing) {
    std::mutex mu;
    std::optional<Error> failure;
    parallel_for(missing.size(), cfg_.api.concurrency, [&](size_t i) {
      auto got = get_object(api_, r_, missing[i], listing_.scope);
      std::lock_guard lock(mu);
      if (!got) {
        if (!failure || got.error().code == ExitCode::auth) failure = got.error();
        return false;
      }
      if (got.value()) {
        spdlog::info("{} {} was missing from the listing but still exists (page drift); keeping it", r_.singular,
                     missing[i]);
        plan_.found_again.push_back(std::move(**got));
      } else {
        plan_.deletes.push_back(missing[i]);
      }
      return true;
    });
    if (failure) return *failure;
    return ok_status();
  }

  // A confirmed deletion whose content reappears under exactly one new id is a remote rename (the
  // API's PATCH can change an id); so is our own rename whose answer was lost.
  Status find_renames() {
    std::map<std::string, std::string> mine;
    {
      Store::Txn txn(store_);
      if (auto s = txn.begin(); !s) return s;
      auto renames = txn.pending_renames();  // read only; rolled back
      if (!renames) return renames.error();
      mine = std::move(renames.value());
    }
    std::vector<std::string> still_deleted;
    for (const auto& gone : plan_.deletes) {
      auto old = store_.load_one(Table::base, gone);
      if (!old) return old.error();
      if (!old.value()) continue;
      std::vector<Record> matches;
      if (auto own = mine.find(gone); own != mine.end()) {
        auto staged = stage_->staged_one(own->second);
        if (!staged) return staged.error();
        if (staged.value()) matches.push_back(**staged);
      } else {
        auto same = stage_->new_with_hash(content_hash(**old));
        if (!same) return same.error();
        matches = std::move(same.value());
      }
      if (matches.size() != 1) {
        still_deleted.push_back(gone);
        continue;
      }
      if (auto s = stage_->unstage(matches.front().id); !s) return s;
      plan_.renames.emplace_back(**old, std::move(matches.front()));
    }
    plan_.deletes = std::move(still_deleted);
    return ok_status();
  }

  Status describe() {
    auto describe_one = [&](const Record& r) -> Status {
      if (r_.two_way) {
        auto b = store_.load_one(Table::base, r.id);
        if (!b) return b.error();
        if (!b.value()) out_.plan.push_back("pull: would insert integration " + r.id + " (" + r.get("name").value_or("") + ")");
        else if (!(**b == r))
          out_.plan.push_back("pull: would update integration " + r.id + ": " + join(diff_fields(**b, r), ", "));
      } else {
        out_.plan.push_back("pull: would write " + std::string(r_.singular) + " " + r.id + " of integration " +
                            listing_.scope);
      }
      return ok_status();
    };
    std::string after;
    while (true) {
      auto batch = stage_->staged(after, 500, after);
      if (!batch) return batch.error();
      if (batch->empty()) break;
      for (const auto& r : batch.value())
        if (auto s = describe_one(r); !s) return s;
    }
    for (const auto& r : plan_.found_again)
      if (auto s = describe_one(r); !s) return s;
    for (const auto& id : plan_.deletes)
      out_.plan.push_back("pull: would delete " + std::string(r_.singular) + " " + id + " (404 confirmed)");
    for (const auto& [from, to] : plan_.renames)
      out_.plan.push_back("pull: would rename integration " + from.id + " to " + to.id + " (renamed in the API)");
    return ok_status();
  }

  Status apply(bool first_load, bool save_pages) {
    // Everything that can be worked out before the write lock is (the plain objects and their
    // history), so the transaction a user's UPDATE waits for is mostly copies.
    auto watermark = stage_->prepare_apply(first_load);
    if (!watermark) return watermark.error();
    Store::Txn txn(store_);
    if (auto s = txn.begin(); !s) return s;
    const auto locked = std::chrono::steady_clock::now();
    std::vector<std::string> with_changes;
    auto plain = stage_->apply_plain(txn, watermark.value(), with_changes);
    if (!plain) return plain.error();
    out_.inserted = plain->inserted;
    out_.updated = plain->updated;
    if (r_.two_way) {
      if (auto s = reconcile(txn, with_changes); !s) return s;
    } else if (!plan_.deletes.empty()) {
      auto deleted = stage_->apply_deletions(txn, plan_.deletes);
      if (!deleted) return deleted.error();
      out_.deleted = deleted.value();
    }
    if (save_pages)
      if (auto s = stage_->save_pages(txn); !s) return s;
    // A partial listing wrote the base outside the complete one: its cached pages may no longer
    // equal their base rows.
    if (!listing_.complete && (plain->inserted + plain->updated + out_.deleted) > 0)
      if (auto s = stage_->forget_pages(txn); !s) return s;
    if (auto s = txn.commit(); !s) return s;
    spdlog::debug("pull of {}: the write lock was held for {:.3f} s ({} objects merged one by one)",
                  listing_.describe(), seconds_since(locked), with_changes.size());
    return ok_status();
  }

  // The two-way part: objects with local changes, found again, deleted or renamed remotely.
  Status reconcile(Store::Txn& txn, const std::vector<std::string>& with_changes) {
    auto active = txn.active_change_ids();
    if (!active) return active.error();
    Reconciler rec(txn, cfg_.sync.conflict_policy, std::move(active.value()));
    for (const auto& id : with_changes) {
      auto remote = stage_->staged_one(id);
      if (!remote) return remote.error();
      auto base = txn.get(Table::base, id);
      if (!base) return base.error();
      if (remote.value())
        if (auto s = rec.apply_remote(base.value(), **remote); !s) return s;
    }
    for (const auto& r : plan_.found_again) {
      auto base = txn.get(Table::base, r.id);
      if (!base) return base.error();
      if (!base.value() || !(**base == r))
        if (auto s = rec.apply_remote(base.value(), r); !s) return s;
    }
    for (const auto& id : plan_.deletes) {
      auto base = txn.get(Table::base, id);
      if (!base) return base.error();
      if (base.value())
        if (auto s = rec.apply_remote_delete(**base); !s) return s;
    }
    for (const auto& [from, to] : plan_.renames)
      if (auto s = rec.apply_remote_rename(from, to); !s) return s;
    out_.inserted += rec.counts().inserted;
    out_.updated += rec.counts().updated;
    out_.deleted = rec.counts().deleted;
    out_.conflicts = rec.counts().conflicts;
    out_.renamed = rec.counts().renamed;
    return ok_status();
  }

  const Config& cfg_;
  Store& store_;
  Remote& api_;
  const Listing& listing_;
  const Resource& r_;
  const SyncOptions& options_;
  const PullSettings& settings_;
  std::unique_ptr<PullStage> stage_;
  std::map<long long, PullStage::CachedPage> cache_;
  std::set<std::string> unknown_names_;
  bool all_parsed_ = true, any_parsed_ = false;
  PullPlan plan_;
  PullOutcome out_;
};

}  // namespace

Result<PullOutcome> pull_listing(const Config& cfg, Store& store, Remote& api, const Listing& listing,
                                 const SyncOptions& options, const PullSettings& settings) {
  return ListingPull(cfg, store, api, listing, options, settings).run();
}

Result<PullOutcome> apply_objects(Store& store, const Resource& r, const std::string& scope,
                                  const std::vector<Record>& found, const std::vector<std::string>& gone) {
  if (r.two_way) return make_error(ExitCode::software, "apply_objects: a two-way resource is merged, not copied");
  PullOutcome out;
  auto stage = PullStage::open(store, r, scope);
  if (!stage) return stage.error();
  if (!found.empty()) {
    if (auto added = (*stage)->add_page(found); !added) return added.error();
    if (auto sorted = (*stage)->finish_staging(); !sorted) return sorted.error();
  }
  auto watermark = (*stage)->prepare_apply(false);
  if (!watermark) return watermark.error();
  Store::Txn txn(store);
  if (auto s = txn.begin(); !s) return s.error();
  std::vector<std::string> with_changes;
  auto plain = (*stage)->apply_plain(txn, watermark.value(), with_changes);
  if (!plain) return plain.error();
  out.inserted = plain->inserted;
  out.updated = plain->updated;
  if (!gone.empty()) {
    auto deleted = (*stage)->apply_deletions(txn, gone);
    if (!deleted) return deleted.error();
    out.deleted = deleted.value();
  }
  if (out.inserted + out.updated + out.deleted > 0)
    if (auto s = (*stage)->forget_pages(txn); !s) return s.error();
  if (auto s = txn.commit(); !s) return s.error();
  return out;
}

Result<PullOutcome> pull(const Config& cfg, Store& store, Remote& api, const SyncOptions& options) {
  return pull_listing(cfg, store, api, Listing{}, options);
}

}  // namespace gigasync
