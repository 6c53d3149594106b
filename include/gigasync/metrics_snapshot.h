#pragma once
// The numbers behind the Prometheus metrics, read from the database in one read transaction.
// Counters come from sync_runs, so they survive restarts and count one-shot runs too (and go
// down when database.keep_history_days prunes old runs: Prometheus takes that as a reset).
#include <optional>
#include <string>
#include <vector>

#include "gigasync/error.h"
#include "gigasync/store.h"
#include "gigasync/layer.h"
GIGASYNC_LAYER(store);

namespace gigasync::store {

struct MetricsSnapshot {
  // Gauges.
  long long last_success_unix = 0;     // finished_at of the newest run with status ok or partial; 0: none
  double last_cycle_duration_s = 0;    // of the newest finished run; 0: none
  long long integrations = 0;          // rows in the mirror
  long long open_conflicts = 0;        // conflicts not resolved
  long long pending_changes = 0;       // outbox rows pending or in flight
  long long failed_changes = 0;        // outbox rows the API refused
  bool push_paused = false;            // `gigasync pause` is in force
  // Counters: sums over every recorded run.
  long long cycles = 0;                // runs that are not `running`
  long long cycle_failures = 0;        // runs with status failed
  long long inserted = 0, updated = 0, deleted = 0;  // applied by pulls
  long long pushed = 0, push_failed = 0;
  long long diverged = 0;              // self-check violations
  bool operator==(const MetricsSnapshot&) const = default;
};

// Reads the snapshot. Every query but one uses an index or the rowid order (the state index of
// the outbox, the partial index of open conflicts, sync_runs_by_status); the sums over
// sync_runs are one pass over that table (kept short by database.keep_history_days).
// REQUIRES: no transaction open on the store's connection.
Result<MetricsSnapshot> metrics_snapshot(Store& store);

// One mirrored resource's figures (the `resource` label of /metrics, the "resources" of /healthz).
struct ResourceFigures {
  std::string resource;        // "integrations", "payouts", ... (Resource::name)
  long long rows = 0;          // rows in its mirror table
  // Account resources (read under an Integration-ID); 0 / nullopt for integrations:
  long long refused = 0;       // integrations whose objects of this resource the API refused the last time
  long long never_listed = 0;  // mirrored integrations whose objects were never listed in full yet
  std::optional<long long> full_list_unix;  // the oldest of its integrations' last complete listings
  // From the last cycle that pulled (filled by the caller from SyncReport::by_resource, not from the
  // database); nullopt when unknown (no such cycle in this process).
  std::optional<long long> fetched, written;
  bool operator==(const ResourceFigures&) const = default;
};

// "integrations" then every resource of `account_resources` (the config's [account] resources, in
// that order; names that are not account resources are skipped), read in one read transaction.
// Small queries: a count per mirror table and a few over account_sync (one row per resource and
// integration). REQUIRES: no transaction open on the store's connection.
Result<std::vector<ResourceFigures>> resource_figures(Store& store, const std::vector<std::string>& account_resources);

}  // namespace gigasync::store
