#include "gigasync/change_watch.h"

#include "gigasync/change.h"

#include <SQLiteCpp/SQLiteCpp.h>
#include <spdlog/spdlog.h>

namespace gigasync {

Result<std::unique_ptr<ChangeWatch>> ChangeWatch::open(const std::string& path) {
  try {
    auto db = std::make_unique<SQLite::Database>(path, SQLite::OPEN_READWRITE, 2000);
    std::unique_ptr<ChangeWatch> watch(new ChangeWatch(std::move(db)));
    watch->version_ = watch->data_version();
    watch->seen_ = watch->fingerprint();
    return watch;
  } catch (const std::exception& e) {
    return make_error(ExitCode::cant_create, "cannot watch database " + path + " for local edits: " + e.what());
  }
}

ChangeWatch::ChangeWatch(std::unique_ptr<SQLite::Database> db) : db_(std::move(db)) {}
ChangeWatch::~ChangeWatch() = default;

long long ChangeWatch::data_version() {
  SQLite::Statement q(*db_, "PRAGMA data_version");
  q.executeStep();
  return q.getColumn(0).getInt64();
}

ChangeWatch::Fingerprint ChangeWatch::fingerprint() {
  SQLite::Statement q(*db_,
                      std::string("SELECT count(*), coalesce(max(id), 0), coalesce(max(updated_at), '') || (SELECT coalesce(group_concat(key "
                      "|| '=' || value), '') FROM gigasync_state) FROM pending_changes "
                      "WHERE state = ") + sql_literal(ChangeState::pending) + " AND attempts = 0");
  q.executeStep();
  return Fingerprint{q.getColumn(0).getInt64(), q.getColumn(1).getInt64(), q.getColumn(2).getString()};
}

bool ChangeWatch::poll() {
  try {
    long long v = data_version();
    if (v == version_) return false;
    Fingerprint now = fingerprint();
    version_ = v;  // only after the fingerprint was read, so a failed read is tried again
    bool edited = now.count > 0 && !(now == seen_);
    seen_ = std::move(now);
    return edited;
  } catch (const std::exception& e) {
    spdlog::debug("watching for local edits: {}", e.what());
    return false;
  }
}

}  // namespace gigasync
