// Store: operator state (pause, approvals) and the outbound guard's count.
#include <SQLiteCpp/SQLiteCpp.h>

#include "gigasync/store.h"
#include "store/db_error.h"

namespace gigasync {

Result<std::string> Store::state(const std::string& key) {
  try {
    SQLite::Statement q(*db_, "SELECT value FROM gigasync_state WHERE key = ?");
    q.bind(1, key);
    return q.executeStep() ? q.getColumn(0).getString() : std::string();
  } catch (const std::exception& e) {
    return store::db_error("reading " + key, e);
  }
}

Status Store::set_state(const std::string& key, const std::string& value) {
  try {
    SQLite::Statement q(*db_, "INSERT INTO gigasync_state (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET "
                              "value = excluded.value");
    q.bind(1, key);
    q.bind(2, value);
    q.exec();
    return ok_status();
  } catch (const std::exception& e) {
    return store::db_error("writing " + key, e);
  }
}

Result<long long> Store::newest_change_id() {
  try {
    return db_->execAndGet("SELECT coalesce(max(id), 0) FROM pending_changes").getInt64();
  } catch (const std::exception& e) {
    return store::db_error("reading the outbox", e);
  }
}

Result<long long> Store::integrations_to_push_after(long long after) {
  try {
    SQLite::Statement q(*db_, "SELECT count(DISTINCT integration_id) FROM pending_changes WHERE state = 'pending' "
                              "AND id > ?");
    q.bind(1, static_cast<int64_t>(after));
    q.executeStep();
    return q.getColumn(0).getInt64();
  } catch (const std::exception& e) {
    return store::db_error("counting the outbox", e);
  }
}

}  // namespace gigasync
