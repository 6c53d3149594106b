// Store: operator state (pause, approvals) and the outbound guard's count.
#include <SQLiteCpp/SQLiteCpp.h>

#include <algorithm>

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
    SQLite::Statement q(*db_, "SELECT count(DISTINCT integration_id) FROM pending_changes WHERE state = " +
                                  sql_literal(ChangeState::pending) + " "
                              "AND id > ?");
    q.bind(1, static_cast<int64_t>(after));
    q.executeStep();
    return q.getColumn(0).getInt64();
  } catch (const std::exception& e) {
    return store::db_error("counting the outbox", e);
  }
}

Status Store::check_writable() {
  try {
    db_->exec("BEGIN IMMEDIATE");
    db_->exec("ROLLBACK");
    return ok_status();
  } catch (const std::exception& e) {
    return make_error(ExitCode::cant_create, "database " + path_ + " is not writable: " + e.what());
  }
}

Result<std::vector<std::string>> Store::custom_integration_ids(int limit) {
  try {
    SQLite::Statement q(*db_, "SELECT id FROM integrations WHERE type = 3 ORDER BY name LIMIT ?");
    q.bind(1, limit);
    std::vector<std::string> out;
    while (q.executeStep()) out.push_back(q.getColumn(0).getString());
    return out;
  } catch (const std::exception& e) {
    return store::db_error("reading the custom integrations", e);
  }
}

Status edit_as_a_person(const std::string& db_path, const std::string& id, std::string_view field,
                        const std::string& value) {
  if (std::find(mutable_fields().begin(), mutable_fields().end(), field) == mutable_fields().end())
    return make_error(ExitCode::software, "not a field a person may edit: " + std::string(field));
  try {
    SQLite::Database db(db_path, SQLite::OPEN_READWRITE);
    db.setBusyTimeout(5000);
    SQLite::Statement q(db, "UPDATE integrations SET " + std::string(field) + " = ? WHERE id = ?");
    q.bind(1, value);
    q.bind(2, id);
    q.exec();
    return ok_status();
  } catch (const std::exception& e) {
    return store::db_error("editing integration " + id, e);
  }
}

}  // namespace gigasync
