// Store::maintain: retention, the WAL checkpoint and the planner's statistics after a cycle.
#include <SQLiteCpp/SQLiteCpp.h>
#include <sys/stat.h>

#include <filesystem>

#include "gigasync/store.h"
#include "store/db_error.h"
#include "store/maintenance.h"
#include "store/schema.h"

namespace gigasync {

namespace store {

std::vector<std::string> retention_statements(int keep_history_days) {
  std::string cutoff = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-" + std::to_string(keep_history_days) + " days')";
  return {"DELETE FROM integration_changes WHERE at < " + cutoff, "DELETE FROM account_changes WHERE at < " + cutoff,
          "DELETE FROM sync_runs WHERE started_at < " + cutoff + " AND status <> 'running' AND id IS NOT (SELECT max(id) FROM "
          "sync_runs WHERE status IN ('ok', 'partial'))",
          std::string("DELETE FROM pending_changes WHERE state IN ") + kSettledStates.sql() + " AND updated_at < " + cutoff,
          "DELETE FROM conflicts WHERE resolved_at IS NOT NULL AND resolved_at < " + cutoff};
}

}  // namespace store

Result<long long> Store::maintain(int keep_history_days) {
  long long deleted = 0;
  try {
    db_->exec("PRAGMA journal_size_limit = 67108864");
    if (keep_history_days > 0) {
      SQLite::Transaction txn(*db_, SQLite::TransactionBehavior::IMMEDIATE);
      for (const std::string& sql : store::retention_statements(keep_history_days)) deleted += db_->exec(sql);
      txn.commit();
    }
    db_->exec("PRAGMA wal_checkpoint(PASSIVE)");
    // A daemon's connection lives for months: the planner's statistics are refreshed after each
    // cycle where they went stale (cheap when they did not; bounded by analysis_limit).
    db_->exec("PRAGMA analysis_limit = 400");
    db_->exec("PRAGMA optimize");
    return deleted;
  } catch (const std::exception& e) {
    return store::db_error("after the cycle", e);
  }
}

Status Store::backup_to(const std::string& file) {
  if (std::filesystem::exists(file))
    return make_error(ExitCode::usage, "backup: " + file + " exists; name a new file (nothing was written)");
  mode_t old = ::umask(077);  // the copy holds the same names and addresses as the mirror
  try {
    SQLite::Statement q(*db_, "VACUUM INTO ?");
    q.bind(1, file);
    q.exec();
    ::umask(old);
    return ok_status();
  } catch (const std::exception& e) {
    ::umask(old);
    std::error_code ec;
    std::filesystem::remove(file, ec);
    return make_error(ExitCode::cant_create, "backup to " + file + " failed: " + e.what());
  }
}

}  // namespace gigasync
