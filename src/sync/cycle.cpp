// One cycle: pull, then push, recorded in sync_runs whatever the outcome.
#include <spdlog/spdlog.h>

#include "gigasync/sync.h"
#include "sync/account.h"
#include "sync/pull.h"
#include "sync/push.h"

namespace gigasync {
namespace {

std::string mode_of(const SyncOptions& o) {
  if (o.dry_run) return "dry-run";
  if (o.pull && o.push) return "full";
  return o.pull ? "pull" : "push";
}

// How a held deletion reads in sync_runs.error (the count is in sync_runs.deletions_held).
constexpr const char* kDeletionsHeldPhrase = "held by the delete guard";

std::string plural(long long n, const char* one, const char* many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

Status fill_counts(Store& store, SyncReport& report) {
  auto counts = store.status_counts();
  if (!counts) return counts.error();
  report.mirrored = counts->integrations;
  report.pending = counts->pending + counts->in_flight;
  report.failed = counts->failed;
  report.open_conflicts = counts->open_conflicts;
  return ok_status();
}

// After the push, every integration with no active change must equal its base: a difference is
// an edit that would never be pushed, or a remote value that never reached the mirror.
Result<std::vector<Divergence>> self_check(Store& store) {
  auto d = store.divergences();
  if (!d) return d.error();
  for (const auto& x : d.value()) {
    std::string fields;
    for (const auto& f : x.fields) fields += (fields.empty() ? "" : ", ") + f;
    spdlog::error("self-check: integration {} differs from what the API last agreed to ({}) and no change is "
                  "waiting to push it; run 'gigasync verify' and report this", x.integration_id, fields);
  }
  return d;
}

// How many remote deletions the delete guard held back (0: none).
long long deletions_held(const PullOutcome& o) { return o.deletions_refused ? o.deletions_held : 0; }

// Why a run ended `partial`, one line for sync_runs.error: the counts by kind, with what to run.
std::string partial_reason(const SyncReport& report, long long held_deletions) {
  std::vector<std::string> parts;
  if (report.run.push_failed > 0)
    parts.push_back(plural(report.run.push_failed, "change", "changes") + " refused by the API");
  if (long long earlier = report.failed - report.run.push_failed; earlier > 0)
    parts.push_back(plural(earlier, "change", "changes") + " refused earlier");
  if (report.failed > 0) parts.back() += " ('gigasync changes list')";
  if (report.open_conflicts > 0)
    parts.push_back(plural(report.open_conflicts, "open conflict", "open conflicts") + " ('gigasync conflicts list')");
  if (held_deletions > 0)
    parts.push_back(plural(held_deletions, "remote deletion", "remote deletions") + " " + kDeletionsHeldPhrase +
                    " ('gigasync sync --force-deletes' applies them)");
  if (!report.refused.empty())
    parts.push_back(plural(static_cast<long long>(report.refused.size()), "resource of an integration",
                           "resources of integrations") + " refused by the API ('gigasync status'): " +
                    report.refused.front() + (report.refused.size() > 1 ? "; ..." : ""));
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : "; ") + p;
  return out;
}

}  // namespace

std::string SyncReport::summary() const {
  std::string s = run.mode + " cycle " + run.status + ": " + plural(mirrored, "integration", "integrations") +
                  " mirrored; pulled " + std::to_string(run.fetched) + " (+" + std::to_string(run.inserted) + " ~" +
                  std::to_string(run.updated) + " -" + std::to_string(run.deleted) + "), pushed " +
                  std::to_string(run.pushed) + "; " + std::to_string(pending) + " pending, " +
                  std::to_string(failed) + " failed, " + plural(open_conflicts, "open conflict", "open conflicts");
  if (deletions_refused) s += "; remote deletions held by the delete guard ('gigasync sync --force-deletes' applies them)";
  if (unpushed > 0) s += "; " + std::to_string(unpushed) + " not pushed (API unreachable)";
  if (held_by_guard > 0) s += "; " + std::to_string(held_by_guard) + " held by the outbound guard (see log)";
  if (push_paused) s += "; pushing paused";
  if (run.account_fetched > 0 || run.account_written > 0)
    s += "; account: read " + std::to_string(run.account_fetched) + ", wrote " + std::to_string(run.account_written);
  if (!refused.empty()) s += "; " + std::to_string(refused.size()) + " refused by the API (see 'gigasync status')";
  if (run.diverged > 0) s += "; SELF-CHECK FAILED for " + std::to_string(run.diverged) + " (see log)";
  return s;
}

Result<SyncReport> run_cycle(const Config& cfg, Store& store, Remote& api, const SyncOptions& options) {
  SyncReport report;
  report.run.mode = mode_of(options);
  if (!options.dry_run) {
    if (auto dead = store.abandon_dead_runs(); !dead) return dead.error();  // callers hold the CycleLock
    auto id = store.begin_run(report.run.mode);
    if (!id) return id.error();
    report.run.id = id.value();
  }
  auto fail = [&](const Error& e) -> Result<SyncReport> {
    if (options.dry_run) return e;
    report.run.status = "failed";
    report.run.error = e.message;
    if (auto s = store.finish_run(report.run); !s) spdlog::error("{}", s.error().message);
    return e;
  };
  long long held_deletions = 0;
  if (options.pull) {
    auto p = pull(cfg, store, api, options);
    if (!p) return fail(p.error());
    report.run.pages = p->pages;
    report.run.fetched = p->fetched;
    report.run.inserted = p->inserted;
    report.run.updated = p->updated;
    report.run.deleted = p->deleted;
    report.by_resource[std::string(integrations_resource().name)] = {p->fetched, p->inserted + p->updated + p->deleted};
    report.run.conflicts = p->conflicts;
    report.deletions_refused = p->deletions_refused;
    held_deletions = deletions_held(p.value());
    report.run.deletions_held = held_deletions;
    report.plan = std::move(p->plan);
  }
  if (options.push) {
    auto p = push(cfg, store, api, options, options.pull);
    if (!p) return fail(p.error());
    report.run.pushed = p->pushed;
    report.run.push_failed = p->failed;
    report.run.conflicts += p->conflicts;
    report.unpushed = p->unpushed;
    report.held_by_guard = p->held_by_guard;
    report.push_paused = p->paused;
    for (auto& line : p->plan) report.plan.push_back(std::move(line));
  }
  if (!options.dry_run) {
    auto d = self_check(store);
    if (!d) return fail(d.error());
    report.run.diverged = static_cast<long long>(d->size());
  }
  if (options.pull) {
    auto a = sync_account(cfg, store, api, options);
    if (!a) return fail(a.error());
    report.run.account_fetched = a->fetched + a->gets;
    report.run.account_written = a->inserted + a->updated + a->deleted;
    report.run.refused = static_cast<long long>(a->refused.size());
    report.refused = a->refused;
    for (const auto& [name, figures] : a->by_resource) report.by_resource[name] = figures;
    if (a->deletions_held > 0) {
      report.deletions_refused = true;
      held_deletions += a->deletions_held;
      report.run.deletions_held = held_deletions;
    }
    for (auto& line : a->plan) report.plan.push_back(std::move(line));
  }
  if (auto s = fill_counts(store, report); !s) return fail(s.error());
  bool partial = report.run.push_failed > 0 || report.failed > 0 || report.open_conflicts > 0 ||
                 report.deletions_refused || report.held_by_guard > 0 || !report.refused.empty();
  report.exit = partial ? ExitCode::partial : ExitCode::ok;
  report.run.status = partial ? "partial" : "ok";
  if (partial) report.run.error = partial_reason(report, held_deletions);
  if (report.held_by_guard > 0) {
    report.run.status = "guarded";
    report.run.error = std::to_string(report.held_by_guard) + " integrations to push wait for approval (outbound guard)" +
                       (report.run.error.empty() ? "" : "; " + report.run.error);
  }
  if (report.unpushed > 0) {
    report.exit = ExitCode::unavailable;
    report.run.status = "unpushed";
    report.run.error = std::to_string(report.unpushed) + " change(s) not pushed: the API did not answer after the retries" +
                       (report.run.error.empty() ? "" : "; " + report.run.error);
  }
  if (report.run.diverged > 0) {
    report.exit = ExitCode::software;
    report.run.status = "diverged";
    report.run.error = std::to_string(report.run.diverged) + " integration(s) differ from their base with no change "
                       "waiting (see the log); this is a gigasync bug";
  }
  if (!options.dry_run) {
    if (auto s = store.finish_run(report.run); !s) return s.error();
    auto kept = store.maintain(cfg.database.keep_history_days);
    if (!kept) spdlog::warn("{}", kept.error().message);  // the cycle itself is done
    else if (kept.value() > 0) spdlog::debug("retention: {} old rows deleted", kept.value());
  }
  return report;
}

}  // namespace gigasync
