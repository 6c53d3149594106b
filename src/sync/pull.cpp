// The pull: pages stream into the staging tables as they arrive (constant memory), unchanged
// objects are recognised by their content hash, deletions are proven (clean pass + 404) and
// renames recognised, then one short transaction applies the cycle.
#include "sync/pull.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <mutex>
#include <set>

#include "gigasync/json.h"
#include "sync/merge.h"
#include "sync/page_stream.h"
#include "sync/reconcile.h"
#include "gigasync/parallel.h"

namespace gigasync {
namespace {

struct PullPlan {
  std::vector<Integration> found_again;  // missing from the pass, but GET found them
  std::vector<std::string> deletes;      // confirmed by 404
  std::vector<std::pair<Integration, Integration>> renames;  // old base -> new object, same content
};

std::string join(const std::vector<std::string>& v, const std::string& sep) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : sep) + s;
  return out;
}

// GET each id missing from a clean pass: 404 confirms the deletion, an answer means page drift.
Status confirm_missing(ApiClient& api, int concurrency, const std::vector<std::string>& missing, PullPlan& plan) {
  std::mutex mu;
  std::optional<Error> failure;
  parallel_for(missing.size(), concurrency, [&](size_t i) {
    auto got = api.get_integration(missing[i]);
    std::lock_guard lock(mu);
    if (!got) {
      if (!failure || got.error().code == ExitCode::auth) failure = got.error();
      return false;
    }
    if (got.value()) {
      spdlog::info("integration {} was missing from the listing but still exists (page drift); keeping it", missing[i]);
      plan.found_again.push_back(std::move(**got));
    } else {
      plan.deletes.push_back(missing[i]);
    }
    return true;
  });
  if (failure) return *failure;
  return ok_status();
}

Result<std::map<std::string, std::string>> local_renames(Store& store) {
  Store::Txn txn(store);
  if (auto s = txn.begin(); !s) return s.error();
  return txn.pending_renames();  // read only; rolled back
}

// A confirmed deletion whose content reappears under exactly one new id is a remote rename (the
// API's PATCH can change an id); so is our own rename whose answer was lost.
Status find_renames(Store& store, PullStage& stage, PullPlan& plan) {
  auto mine = local_renames(store);
  if (!mine) return mine.error();
  std::vector<std::string> still_deleted;
  for (const auto& gone : plan.deletes) {
    auto old = store.load_one(Table::base, gone);
    if (!old) return old.error();
    std::vector<Integration> matches;
    if (auto own = mine->find(gone); own != mine->end()) {
      auto staged = stage.staged_one(own->second);
      if (!staged) return staged.error();
      if (staged.value()) matches.push_back(**staged);
    } else {
      auto same = stage.new_with_hash(content_hash(**old));
      if (!same) return same.error();
      matches = std::move(same.value());
    }
    if (matches.size() != 1) {
      still_deleted.push_back(gone);
      continue;
    }
    if (auto s = stage.unstage(matches.front().id); !s) return s;
    plan.renames.emplace_back(**old, std::move(matches.front()));
  }
  plan.deletes = std::move(still_deleted);
  return ok_status();
}

Status describe(Store& store, PullStage& stage, const PullPlan& plan, std::vector<std::string>& out) {
  auto describe_one = [&](const Integration& r) -> Status {
    auto b = store.load_one(Table::base, r.id);
    if (!b) return b.error();
    if (!b.value()) out.push_back("pull: would insert integration " + r.id + " (" + r.get("name").value_or("") + ")");
    else if (!(**b == r)) out.push_back("pull: would update integration " + r.id + ": " + join(diff_fields(**b, r), ", "));
    return ok_status();
  };
  std::string after;
  while (true) {
    auto batch = stage.staged(after, 500, after);
    if (!batch) return batch.error();
    if (batch->empty()) break;
    for (const auto& r : batch.value())
      if (auto s = describe_one(r); !s) return s;
  }
  for (const auto& r : plan.found_again)
    if (auto s = describe_one(r); !s) return s;
  for (const auto& id : plan.deletes) out.push_back("pull: would delete integration " + id + " (404 confirmed)");
  for (const auto& [from, to] : plan.renames)
    out.push_back("pull: would rename integration " + from.id + " to " + to.id + " (renamed in the API)");
  return ok_status();
}

Status apply(Store& store, const Config& cfg, PullStage& stage, const PullPlan& plan, bool first_load, PullOutcome& out) {
  // Everything that can be worked out before the write lock is (the plain objects and their
  // history), so the transaction a user's UPDATE waits for is mostly copies.
  auto watermark = stage.prepare_apply(first_load);
  if (!watermark) return watermark.error();
  Store::Txn txn(store);
  if (auto s = txn.begin(); !s) return s;
  const auto locked = std::chrono::steady_clock::now();
  std::vector<std::string> with_changes;
  auto plain = stage.apply_plain(txn, watermark.value(), with_changes);
  if (!plain) return plain.error();
  auto active = txn.active_change_ids();
  if (!active) return active.error();
  Reconciler rec(txn, cfg.sync.conflict_policy, std::move(active.value()));
  for (const auto& id : with_changes) {
    auto remote = stage.staged_one(id);
    if (!remote) return remote.error();
    auto base = txn.get(Table::base, id);
    if (!base) return base.error();
    if (remote.value())
      if (auto s = rec.apply_remote(base.value(), **remote); !s) return s;
  }
  for (const auto& r : plan.found_again) {
    auto base = txn.get(Table::base, r.id);
    if (!base) return base.error();
    if (!base.value() || !(**base == r))
      if (auto s = rec.apply_remote(base.value(), r); !s) return s;
  }
  for (const auto& id : plan.deletes) {
    auto base = txn.get(Table::base, id);
    if (!base) return base.error();
    if (base.value())
      if (auto s = rec.apply_remote_delete(**base); !s) return s;
  }
  for (const auto& [from, to] : plan.renames)
    if (auto s = rec.apply_remote_rename(from, to); !s) return s;
  if (auto s = txn.commit(); !s) return s;
  spdlog::debug("pull: the write lock was held for {:.3f} s ({} objects merged one by one)",
                std::chrono::duration<double>(std::chrono::steady_clock::now() - locked).count(), with_changes.size());
  out.inserted = plain->inserted + rec.counts().inserted;
  out.updated = plain->updated + rec.counts().updated;
  out.deleted = rec.counts().deleted;
  out.conflicts = rec.counts().conflicts;
  out.renamed = rec.counts().renamed;
  return ok_status();
}

// Fields the API sent that the documents do not describe: one WARN per new name for the life of
// the mirror (the names seen are kept in gigasync_state), not one per object or per cycle.
constexpr const char* kUnknownFieldsKey = "api_unknown_fields";

void collect_unknown_names(const std::vector<Integration>& objects, std::set<std::string>& names) {
  for (const auto& o : objects)
    if (o.extra)
      for (auto& n : json::payload_fields(*o.extra)) names.insert(std::move(n));
}

void warn_new_unknown_fields(Store& store, const std::set<std::string>& names) {
  if (names.empty()) return;
  auto known = store.state(kUnknownFieldsKey);
  if (!known) return;
  std::set<std::string> all;
  for (auto& n : json::payload_fields(known.value().empty() ? "{}" : known.value())) all.insert(std::move(n));
  std::string fresh;
  for (const auto& n : names)
    if (all.insert(n).second) fresh += (fresh.empty() ? "" : ", ") + n;
  if (fresh.empty()) return;
  spdlog::warn("the API sends fields the documents do not describe: {}; gigasync keeps them (view "
               "integration_unknown_fields) and sends them back unchanged in every PUT", fresh);
  std::string text = "{";
  for (const auto& n : all) text += (text.size() > 1 ? "," : "") + json::quote(n) + ":true";
  if (auto s = store.set_state(kUnknownFieldsKey, text + "}"); !s) spdlog::debug("{}", s.error().message);
}

}  // namespace

Result<PullOutcome> pull(const Config& cfg, Store& store, ApiClient& api, const SyncOptions& options) {
  auto stage = PullStage::open(store);
  if (!stage) return stage.error();
  auto base_size = (*stage)->base_count();
  if (!base_size) return base_size.error();
  std::set<std::string> unknown_names;
  PageSink sink = [&](const json::IntegrationPage& page, long long) -> Result<std::vector<std::string>> {
    collect_unknown_names(page.results, unknown_names);
    auto added = (*stage)->add_page(page.results);
    if (!added) return added.error();
    return std::move(added->duplicates);
  };
  const auto started = std::chrono::steady_clock::now();
  auto seconds_since = [](std::chrono::steady_clock::time_point t) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
  };
  auto stats = stream_pages(api, cfg.api.concurrency, sink);
  if (!stats) return stats.error();
  auto repeated = (*stage)->finish_staging();
  if (!repeated) return repeated.error();
  for (const auto& id : repeated.value()) stats->unclean.push_back("integration " + id + " was listed twice (page drift)");
  spdlog::debug("pull: {} pages, {} objects read and staged in {:.3f} s", stats->pages, stats->fetched,
                seconds_since(started));
  if (!options.dry_run) warn_new_unknown_fields(store, unknown_names);
  PullOutcome out;
  out.pages = stats->pages;
  out.fetched = stats->fetched;
  auto missing = (*stage)->missing_ids();
  if (!missing) return missing.error();
  if (!missing->empty() && !stats->clean()) {
    spdlog::info("not checking {} integrations missing from this listing, because the pass was not clean: {}",
                 missing->size(), join(stats->unclean, "; "));
    missing->clear();
  }
  PullPlan plan;
  if (auto s = confirm_missing(api, cfg.api.concurrency, missing.value(), plan); !s) return s.error();
  if (auto s = find_renames(store, **stage, plan); !s) return s.error();
  double size = static_cast<double>(base_size.value());
  double limit = std::max(static_cast<double>(cfg.sync.min_delete_guard), cfg.sync.max_delete_fraction * size);
  if (!plan.deletes.empty() && static_cast<double>(plan.deletes.size()) > limit && !options.force_deletes) {
    spdlog::warn("refusing to delete {} of {} mirrored integrations ({:.0f}% > max_delete_fraction {:.0f}%, and more "
                 "than min_delete_guard {}); run 'gigasync sync --force-deletes' if the remote deletions are intended",
                 plan.deletes.size(), base_size.value(), 100.0 * static_cast<double>(plan.deletes.size()) / size,
                 100.0 * cfg.sync.max_delete_fraction, cfg.sync.min_delete_guard);
    out.deletions_refused = true;
    out.deletions_held = static_cast<long long>(plan.deletes.size());
    plan.deletes.clear();
  }
  if (options.dry_run) {
    if (auto s = describe(store, **stage, plan, out.plan); !s) return s.error();
    return out;
  }
  auto staged = (*stage)->staged_count();
  if (!staged) return staged.error();
  if (staged.value() == 0 && plan.deletes.empty() && plan.found_again.empty() && plan.renames.empty()) return out;
  const auto applying = std::chrono::steady_clock::now();
  if (auto s = apply(store, cfg, **stage, plan, base_size.value() == 0, out); !s) return s.error();
  spdlog::debug("pull: {} staged objects applied in one transaction in {:.3f} s", staged.value(), seconds_since(applying));
  return out;
}

}  // namespace gigasync
