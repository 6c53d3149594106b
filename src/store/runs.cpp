// Store: the run records' ends that no cycle writes itself: runs cut short by a stop signal
// (`interrupted`) and runs whose process died (`abandoned`).
#include <SQLiteCpp/SQLiteCpp.h>
#include <spdlog/spdlog.h>

#include "gigasync/store.h"

namespace gigasync {

Result<long long> Store::abandon_dead_runs() {
  try {
    SQLite::Statement q(db(),
                        "UPDATE sync_runs SET status = 'abandoned', finished_at = ?, error = 'abandoned: the process "
                        "running this cycle ended without finishing it (killed, crashed or powered "
                        "off)' || coalesce('; ' || error, '') "
                        "WHERE status = 'running'");
    q.bind(1, now_iso8601());
    long long n = q.exec();
    if (n > 0) spdlog::warn("{} earlier run{} left 'running' by a process that died marked 'abandoned' in sync_runs", n,
                            n == 1 ? "" : "s");
    return n;
  } catch (const std::exception& e) {
    return make_error(ExitCode::software, std::string("database: marking dead runs abandoned: ") + e.what());
  }
}

Result<long long> Store::last_run_id() {
  try {
    return db().execAndGet("SELECT coalesce(max(id), 0) FROM sync_runs").getInt64();
  } catch (const std::exception& e) {
    return make_error(ExitCode::software, std::string("database: reading the runs: ") + e.what());
  }
}

Status Store::mark_interrupted(long long after_id, const std::string& why) {
  try {
    SQLite::Statement q(db(),
                        "UPDATE sync_runs SET status = 'interrupted', finished_at = coalesce(finished_at, ?), "
                        "error = ? || coalesce(': ' || error, '') WHERE id > ?");
    q.bind(1, now_iso8601());
    q.bind(2, why);
    q.bind(3, static_cast<int64_t>(after_id));
    q.exec();
    return ok_status();
  } catch (const std::exception& e) {
    return make_error(ExitCode::software, std::string("database: recording the interrupted run: ") + e.what());
  }
}

}  // namespace gigasync
