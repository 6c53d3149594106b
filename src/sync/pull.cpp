#include "sync/pull.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <mutex>

#include "sync/fetch.h"
#include "sync/merge.h"
#include "sync/reconcile.h"
#include "util/parallel.h"

namespace gigasync {
namespace {

struct PullPlan {
  std::vector<const Integration*> changed;  // new or different from base
  std::vector<Integration> found_again;     // missing from the pass, but GET found them
  std::vector<std::string> deletes;         // confirmed by 404
  std::vector<std::pair<std::string, const Integration*>> renames;  // old id (404) -> new object, same content
};

bool same_content(const Integration& a, const Integration& b) {
  for (auto f : kMutableFields)
    if (a.get(f) != b.get(f)) return false;
  return a.type == b.type;
}

// A confirmed deletion whose content reappears under exactly one new id is a remote rename (the
// API's PATCH can change an id). Ids with a local rename waiting are left as deletions.
void find_renames(PullPlan& plan, const std::map<std::string, Integration>& base,
                  const std::map<std::string, std::string>& local_renames) {
  std::vector<std::string> still_deleted;
  for (const auto& gone : plan.deletes) {
    const Integration& old = base.at(gone);
    const Integration* match = nullptr;
    int matches = 0;
    auto own = local_renames.find(gone);
    for (const auto* r : plan.changed) {
      if (base.count(r->id)) continue;
      // Our own rename whose answer was lost: the API has the new id we sent.
      bool ours = own != local_renames.end() && own->second == r->id;
      if (ours || (own == local_renames.end() && same_content(old, *r))) { match = r; ++matches; }
    }
    if (matches == 1) {
      plan.renames.emplace_back(gone, match);
      std::erase(plan.changed, match);
    } else {
      still_deleted.push_back(gone);
    }
  }
  plan.deletes = std::move(still_deleted);
}

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

void describe(const PullPlan& plan, const std::map<std::string, Integration>& base, std::vector<std::string>& out) {
  auto describe_one = [&](const Integration& r) {
    auto b = base.find(r.id);
    if (b == base.end()) {
      out.push_back("pull: would insert integration " + r.id + " (" + r.name.value_or("") + ")");
      return;
    }
    out.push_back("pull: would update integration " + r.id + ": " + join(diff_fields(b->second, r), ", "));
  };
  for (const auto* r : plan.changed) describe_one(*r);
  for (const auto& r : plan.found_again)
    if (!(base.at(r.id) == r)) describe_one(r);
  for (const auto& id : plan.deletes) out.push_back("pull: would delete integration " + id + " (404 confirmed)");
  for (const auto& [from, to] : plan.renames)
    out.push_back("pull: would rename integration " + from + " to " + to->id + " (renamed in the API)");
}

Status apply(Store& store, const Config& cfg, const PullPlan& plan, const std::map<std::string, Integration>& base,
             PullOutcome& out) {
  Store::Txn txn(store);
  if (auto s = txn.begin(); !s) return s;
  auto active = txn.active_change_ids();
  if (!active) return active.error();
  Reconciler rec(txn, cfg.sync.conflict_policy, std::move(active.value()));
  auto base_of = [&](const std::string& id) -> std::optional<Integration> {
    auto it = base.find(id);
    if (it == base.end()) return std::nullopt;
    return it->second;
  };
  for (const auto* r : plan.changed)
    if (auto s = rec.apply_remote(base_of(r->id), *r); !s) return s;
  for (const auto& r : plan.found_again)
    if (!(base.at(r.id) == r))
      if (auto s = rec.apply_remote(base_of(r.id), r); !s) return s;
  for (const auto& id : plan.deletes)
    if (auto s = rec.apply_remote_delete(base.at(id)); !s) return s;
  for (const auto& [from, to] : plan.renames)
    if (auto s = rec.apply_remote_rename(base.at(from), *to); !s) return s;
  if (auto s = txn.commit(); !s) return s;
  out.inserted = rec.counts().inserted;
  out.updated = rec.counts().updated;
  out.deleted = rec.counts().deleted;
  out.conflicts = rec.counts().conflicts;
  out.renamed = rec.counts().renamed;
  return ok_status();
}

Result<std::map<std::string, std::string>> local_renames(Store& store) {
  Store::Txn txn(store);
  if (auto s = txn.begin(); !s) return s.error();
  return txn.pending_renames();  // read only; rolled back
}

}  // namespace

Result<PullOutcome> pull(const Config& cfg, Store& store, ApiClient& api, const SyncOptions& options) {
  auto base = store.load_all(Table::base);
  if (!base) return base.error();
  auto snap = fetch_all(api, cfg.api.concurrency);
  if (!snap) return snap.error();
  PullOutcome out;
  out.pages = snap->pages;
  out.fetched = snap->fetched;
  PullPlan plan;
  for (const auto& r : snap->objects) {
    auto b = base->find(r.id);
    if (b == base->end() || !(b->second == r)) plan.changed.push_back(&r);
  }
  std::vector<std::string> missing;
  for (const auto& [id, obj] : base.value())
    if (!snap->index.count(id)) missing.push_back(id);
  if (!missing.empty() && !snap->clean()) {
    spdlog::info("not checking {} integrations missing from this listing, because the pass was not clean: {}",
                 missing.size(), join(snap->unclean, "; "));
    missing.clear();
  }
  if (auto s = confirm_missing(api, cfg.api.concurrency, missing, plan); !s) return s.error();
  auto renames = local_renames(store);
  if (!renames) return renames.error();
  find_renames(plan, base.value(), renames.value());
  double limit = std::max(static_cast<double>(cfg.sync.min_delete_guard),
                          cfg.sync.max_delete_fraction * static_cast<double>(base->size()));
  if (!plan.deletes.empty() && static_cast<double>(plan.deletes.size()) > limit && !options.force_deletes) {
    spdlog::warn("refusing to delete {} of {} mirrored integrations ({:.0f}% > max_delete_fraction {:.0f}%, and more "
                 "than min_delete_guard {}); run 'gigasync sync --force-deletes' if the remote deletions are intended",
                 plan.deletes.size(), base->size(), 100.0 * static_cast<double>(plan.deletes.size()) / static_cast<double>(base->size()),
                 100.0 * cfg.sync.max_delete_fraction, cfg.sync.min_delete_guard);
    out.deletions_refused = true;
    plan.deletes.clear();
  }
  if (options.dry_run) {
    describe(plan, base.value(), out.plan);
    return out;
  }
  if (plan.changed.empty() && plan.deletes.empty() && plan.found_again.empty() && plan.renames.empty()) return out;
  if (auto s = apply(store, cfg, plan, base.value(), out); !s) return s.error();
  return out;
}

}  // namespace gigasync
