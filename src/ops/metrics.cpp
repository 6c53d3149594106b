// Prometheus textfile metrics, computed from the database so that counters survive restarts and
// one-shot runs alike.
#include "gigasync/metrics.h"

#include <SQLiteCpp/SQLiteCpp.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace gigasync {
namespace {

void gauge(std::ostringstream& out, const char* name, const char* help, const std::string& value,
           const char* type = "gauge") {
  out << "# HELP " << name << ' ' << help << "\n# TYPE " << name << ' ' << type << '\n' << name << ' ' << value << '\n';
}

std::string query(SQLite::Database& db, const std::string& sql) {
  SQLite::Statement q(db, sql);
  if (!q.executeStep() || q.getColumn(0).isNull()) return "0";
  return q.getColumn(0).getString();
}

std::string render(Store& store, const SyncReport* report) {
  auto& db = store.db();
  std::ostringstream out;
  gauge(out, "gigasync_last_success_timestamp_seconds", "Unix time of the last cycle that finished ok or partial.",
        query(db, "SELECT CAST(strftime('%s', max(finished_at)) AS INTEGER) FROM sync_runs WHERE status IN ('ok','partial')"));
  gauge(out, "gigasync_last_cycle_duration_seconds", "Duration of the last finished cycle.",
        query(db, "SELECT (julianday(finished_at) - julianday(started_at)) * 86400.0 FROM sync_runs "
                  "WHERE finished_at IS NOT NULL ORDER BY id DESC LIMIT 1"));
  gauge(out, "gigasync_last_cycle_success", "1 when the last cycle finished ok or partial, 0 when it failed.",
        report ? "1" : "0");
  gauge(out, "gigasync_integrations", "Integrations in the mirror.", query(db, "SELECT count(*) FROM integrations"));
  out << "# HELP gigasync_changes_total Changes applied to the mirror by pulls, by kind.\n"
         "# TYPE gigasync_changes_total counter\n";
  for (const char* kind : {"inserted", "updated", "deleted"})
    out << "gigasync_changes_total{kind=\"" << kind << "\"} " << query(db, std::string("SELECT sum(") + kind + ") FROM sync_runs") << '\n';
  gauge(out, "gigasync_pushes_total", "Local changes the API accepted.", query(db, "SELECT sum(pushed) FROM sync_runs"), "counter");
  gauge(out, "gigasync_push_failures_total", "Local changes the API refused.", query(db, "SELECT sum(push_failed) FROM sync_runs"), "counter");
  gauge(out, "gigasync_cycle_failures_total", "Cycles that failed.", query(db, "SELECT count(*) FROM sync_runs WHERE status = 'failed'"), "counter");
  gauge(out, "gigasync_self_check_violations_total", "Integrations found differing from their base with no change waiting.",
        query(db, "SELECT sum(diverged) FROM sync_runs"), "counter");
  gauge(out, "gigasync_cycles_total", "Cycles run.", query(db, "SELECT count(*) FROM sync_runs WHERE status <> 'running'"), "counter");
  gauge(out, "gigasync_open_conflicts", "Conflicts not resolved yet.", query(db, "SELECT count(*) FROM conflicts WHERE resolved_at IS NULL"));
  gauge(out, "gigasync_pending_changes", "Outbox rows waiting to be pushed.", query(db, "SELECT count(*) FROM pending_changes WHERE state IN ('pending','in_flight')"));
  gauge(out, "gigasync_failed_changes", "Outbox rows the API refused, waiting for a person.", query(db, "SELECT count(*) FROM pending_changes WHERE state = 'failed'"));
  return out.str();
}

}  // namespace

void write_metrics(const Config& cfg, Store& store, const SyncReport* report) {
  if (cfg.metrics.file.empty()) return;
  try {
    std::string text = render(store, report);
    std::string tmp = cfg.metrics.file + ".tmp";
    {
      std::ofstream f(tmp, std::ios::trunc);
      f << text;
      f.flush();
      if (!f) throw std::runtime_error("cannot write " + tmp);
    }
    std::filesystem::rename(tmp, cfg.metrics.file);
  } catch (const std::exception& e) {
    spdlog::error("metrics file {} not written: {}", cfg.metrics.file, e.what());
  }
}

}  // namespace gigasync
