// The metrics' numbers (src/ops builds the Prometheus text from them).
#include "gigasync/metrics_snapshot.h"

#include <SQLiteCpp/SQLiteCpp.h>

#include "gigasync/resource.h"
#include "gigasync/timestamp.h"
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

Result<std::vector<ResourceFigures>> resource_figures(Store& store, const std::vector<std::string>& account_resources) {
  try {
    auto& db = StoreInternals::db(store);
    std::vector<ResourceFigures> out;
    SQLite::Transaction read(db);  // one state for every figure; rolled back (nothing written)
    ResourceFigures integrations;
    integrations.resource = std::string(integrations_resource().name);
    integrations.rows = db.execAndGet("SELECT count(*) FROM " + std::string(integrations_resource().table)).getInt64();
    out.push_back(std::move(integrations));
    for (const auto& name : account_resources) {
      const Resource* r = resource_named(name);
      if (r == nullptr || !r->per_integration) continue;
      ResourceFigures f;
      f.resource = std::string(r->name);
      f.rows = db.execAndGet("SELECT count(*) FROM " + std::string(r->table)).getInt64();
      // Only the integrations the mirror has count: a deleted one's state leaves with its objects.
      SQLite::Statement q(db,
                          "SELECT (SELECT count(*) FROM account_sync s WHERE s.resource = ?1 AND s.refused_error IS NOT "
                          "NULL AND s.integration_id IN (SELECT id FROM integration_base)), "
                          "(SELECT count(*) FROM integration_base b WHERE NOT EXISTS (SELECT 1 FROM account_sync s "
                          "WHERE s.resource = ?1 AND s.integration_id = b.id AND s.full_at IS NOT NULL)), "
                          "(SELECT min(s.full_at) FROM account_sync s WHERE s.resource = ?1 AND s.full_at IS NOT NULL "
                          "AND s.integration_id IN (SELECT id FROM integration_base))");
      q.bind(1, f.resource);
      if (q.executeStep()) {
        f.refused = integer(q, 0);
        f.never_listed = integer(q, 1);
        if (!q.getColumn(2).isNull())
          if (auto t = parse_iso8601(q.getColumn(2).getString())) f.full_list_unix = *t / 1'000'000;
      }
      out.push_back(std::move(f));
    }
    return out;
  } catch (const std::exception& e) {
    return db_error("reading the figures of the mirrored resources", e);
  }
}

}  // namespace gigasync::store
