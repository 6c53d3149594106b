// The metrics' numbers (src/ops builds the Prometheus text from them).
#include "gigasync/metrics_snapshot.h"

#include <SQLiteCpp/SQLiteCpp.h>

#include "store/db_error.h"
#include "store/internals.h"

namespace gigasync::store {
namespace {

// One row of gauges. The last success is found through sync_runs_by_status (status, id): the
// newest id per status is a min/max look-up, then one row by rowid.
std::string gauges_sql() {
  return std::string("SELECT "
    "(SELECT CAST(strftime('%s', max(finished_at)) AS INTEGER) FROM sync_runs WHERE id IN "
    "  (SELECT max(id) FROM sync_runs WHERE status = 'ok' UNION ALL SELECT max(id) FROM sync_runs WHERE status = 'partial')), "
    "(SELECT (julianday(finished_at) - julianday(started_at)) * 86400.0 FROM sync_runs "
    "  WHERE finished_at IS NOT NULL ORDER BY id DESC LIMIT 1), "
    "(SELECT count(*) FROM integrations), "
    "(SELECT count(*) FROM conflicts WHERE resolved_at IS NULL), "
    "(SELECT count(*) FROM pending_changes WHERE state IN ") + kSendableStates.sql() + "), "
    "(SELECT count(*) FROM pending_changes WHERE state = " + sql_literal(ChangeState::failed) + "), "
    "(SELECT value = '1' FROM gigasync_state WHERE key = 'push_paused')";
}

// The counters: one pass over sync_runs.
constexpr const char* kTotals =
    "SELECT count(*) FILTER (WHERE status <> 'running'), count(*) FILTER (WHERE status = 'failed'), "
    "coalesce(sum(inserted), 0), coalesce(sum(updated), 0), coalesce(sum(deleted), 0), "
    "coalesce(sum(pushed), 0), coalesce(sum(push_failed), 0), coalesce(sum(diverged), 0) FROM sync_runs";

long long integer(SQLite::Statement& q, int column) {
  auto c = q.getColumn(column);
  return c.isNull() ? 0 : c.getInt64();
}

}  // namespace

Result<MetricsSnapshot> metrics_snapshot(Store& store) {
  try {
    auto& db = StoreInternals::db(store);
    MetricsSnapshot s;
    SQLite::Transaction read(db);  // both statements see the same state; rolled back (nothing written)
    SQLite::Statement gauges(db, gauges_sql());
    if (gauges.executeStep()) {
      s.last_success_unix = integer(gauges, 0);
      s.last_cycle_duration_s = gauges.getColumn(1).isNull() ? 0.0 : gauges.getColumn(1).getDouble();
      s.integrations = integer(gauges, 2);
      s.open_conflicts = integer(gauges, 3);
      s.pending_changes = integer(gauges, 4);
      s.failed_changes = integer(gauges, 5);
      s.push_paused = integer(gauges, 6) != 0;
    }
    SQLite::Statement totals(db, kTotals);
    if (totals.executeStep()) {
      s.cycles = integer(totals, 0);
      s.cycle_failures = integer(totals, 1);
      s.inserted = integer(totals, 2);
      s.updated = integer(totals, 3);
      s.deleted = integer(totals, 4);
      s.pushed = integer(totals, 5);
      s.push_failed = integer(totals, 6);
      s.diverged = integer(totals, 7);
    }
    return s;
  } catch (const std::exception& e) {
    return db_error("reading the metrics", e);
  }
}

}  // namespace gigasync::store
