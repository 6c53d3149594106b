// Store: the outbox (pending_changes) and the conflicts table.
#include <SQLiteCpp/SQLiteCpp.h>

#include "gigasync/store.h"

namespace gigasync {
namespace {

constexpr const char* kChangeColumns =
    "id, integration_id, op, payload, base, idempotency_key, state, attempts, coalesce(last_error, ''), "
    "sent_body, created_at, updated_at";

Change row_to_change(SQLite::Statement& q) {
  Change c;
  c.id = q.getColumn(0).getInt64();
  c.integration_id = q.getColumn(1).getString();
  c.op = q.getColumn(2).getString();
  c.payload = q.getColumn(3).getString();
  c.base = q.getColumn(4).getString();
  c.idempotency_key = q.getColumn(5).getString();
  c.state = q.getColumn(6).getString();
  c.attempts = q.getColumn(7).getInt64();
  c.last_error = q.getColumn(8).getString();
  if (!q.getColumn(9).isNull()) c.sent_body = q.getColumn(9).getString();
  c.created_at = q.getColumn(10).getString();
  c.updated_at = q.getColumn(11).getString();
  return c;
}

constexpr const char* kConflictColumns =
    "id, integration_id, field, base_value, local_value, remote_value, detected_at, coalesce(resolved_at, ''), "
    "coalesce(resolution, ''), change_id";

std::optional<std::string> opt_text(const SQLite::Column& c) {
  if (c.isNull()) return std::nullopt;
  return c.getString();
}

Conflict row_to_conflict(SQLite::Statement& q) {
  Conflict c;
  c.id = q.getColumn(0).getInt64();
  c.integration_id = q.getColumn(1).getString();
  c.field = q.getColumn(2).getString();
  c.base_value = opt_text(q.getColumn(3));
  c.local_value = opt_text(q.getColumn(4));
  c.remote_value = opt_text(q.getColumn(5));
  c.detected_at = q.getColumn(6).getString();
  c.resolved_at = q.getColumn(7).getString();
  c.resolution = q.getColumn(8).getString();
  if (!q.getColumn(9).isNull()) c.change_id = q.getColumn(9).getInt64();
  return c;
}

void bind_opt(SQLite::Statement& q, int i, const std::optional<std::string>& v) {
  if (v) q.bind(i, *v); else q.bind(i);
}

Error db_error(const std::string& what, const std::exception& e) {
  return make_error(ExitCode::software, "database: " + what + ": " + e.what());
}

template <class T, class F>
Result<std::vector<T>> collect(SQLite::Database& db, const std::string& sql, F convert,
                               const std::string& bind1 = {}) {
  try {
    SQLite::Statement q(db, sql);
    if (!bind1.empty()) q.bind(1, bind1);
    std::vector<T> out;
    while (q.executeStep()) out.push_back(convert(q));
    return out;
  } catch (const std::exception& e) {
    return db_error("reading", e);
  }
}

}  // namespace

Result<std::vector<Change>> Store::list_changes(bool include_done) {
  return collect<Change>(*db_, std::string("SELECT ") + kChangeColumns + " FROM pending_changes" +
                                   (include_done ? "" : " WHERE state <> 'done'") + " ORDER BY id",
                         row_to_change);
}

Result<std::optional<Change>> Store::get_change(long long id) {
  auto all = collect<Change>(*db_, std::string("SELECT ") + kChangeColumns + " FROM pending_changes WHERE id = " +
                                       std::to_string(id), row_to_change);
  if (!all) return all.error();
  if (all->empty()) return std::optional<Change>{};
  return std::optional<Change>(all->front());
}

Result<std::vector<Conflict>> Store::list_conflicts(bool include_resolved) {
  return collect<Conflict>(*db_, std::string("SELECT ") + kConflictColumns + " FROM conflicts" +
                                     (include_resolved ? "" : " WHERE resolved_at IS NULL") + " ORDER BY id",
                           row_to_conflict);
}

Result<std::optional<Conflict>> Store::get_conflict(long long id) {
  auto all = collect<Conflict>(*db_, std::string("SELECT ") + kConflictColumns + " FROM conflicts WHERE id = " +
                                         std::to_string(id), row_to_conflict);
  if (!all) return all.error();
  if (all->empty()) return std::optional<Conflict>{};
  return std::optional<Conflict>(all->front());
}

Result<std::vector<std::string>> Store::integrations_with_pending() {
  return collect<std::string>(*db_,
                              "SELECT integration_id FROM pending_changes WHERE state IN ('pending', 'in_flight') "
                              "GROUP BY integration_id ORDER BY min(id)",
                              [](SQLite::Statement& q) { return q.getColumn(0).getString(); });
}

Result<std::vector<Change>> Store::Txn::active_changes(const std::string& integration_id) {
  return collect<Change>(db(), std::string("SELECT ") + kChangeColumns +
                                   " FROM pending_changes WHERE integration_id = ? AND state <> 'done' ORDER BY id",
                         row_to_change, integration_id);
}

Result<std::optional<Change>> Store::Txn::active_changes_by_id(long long id) { return store_.get_change(id); }
Result<std::optional<Conflict>> Store::Txn::conflict_by_id(long long id) { return store_.get_conflict(id); }

Status Store::Txn::update_change(const Change& c) {
  try {
    SQLite::Statement q(db(),
                        "UPDATE pending_changes SET state = ?, attempts = ?, payload = ?, last_error = ?, "
                        "sent_body = ?, updated_at = strftime('%Y-%m-%dT%H:%M:%fZ','now') WHERE id = ?");
    q.bind(1, c.state);
    q.bind(2, static_cast<int64_t>(c.attempts));
    q.bind(3, c.payload);
    if (c.last_error.empty()) q.bind(4); else q.bind(4, c.last_error);
    bind_opt(q, 5, c.sent_body);
    q.bind(6, static_cast<int64_t>(c.id));
    q.exec();
    return ok_status();
  } catch (const std::exception& e) {
    return db_error("updating change " + std::to_string(c.id), e);
  }
}

Result<long long> Store::Txn::insert_change(const std::string& integration_id, const std::string& op,
                                            const std::string& payload, const std::string& base) {
  try {
    SQLite::Statement q(db(),
                        "INSERT INTO pending_changes (integration_id, op, payload, base, idempotency_key) VALUES "
                        "(?, ?, ?, ?, lower(hex(randomblob(4))) || '-' || lower(hex(randomblob(2))) || '-4' || "
                        "substr(lower(hex(randomblob(2))), 2) || '-' || substr('89ab', 1 + (abs(random()) % 4), 1) || "
                        "substr(lower(hex(randomblob(2))), 2) || '-' || lower(hex(randomblob(6))))");
    q.bind(1, integration_id);
    q.bind(2, op);
    q.bind(3, payload);
    q.bind(4, base);
    q.exec();
    return db().getLastInsertRowid();
  } catch (const std::exception& e) {
    return db_error("queueing a change for " + integration_id, e);
  }
}

Result<long long> Store::Txn::record_conflict(const Conflict& c) {
  try {
    SQLite::Statement find(db(), "SELECT id FROM conflicts WHERE integration_id = ? AND field = ? AND resolved_at IS NULL");
    find.bind(1, c.integration_id);
    find.bind(2, c.field);
    if (find.executeStep()) {
      long long id = find.getColumn(0).getInt64();
      SQLite::Statement up(db(), "UPDATE conflicts SET local_value = ?, remote_value = ? WHERE id = ?");
      bind_opt(up, 1, c.local_value);
      bind_opt(up, 2, c.remote_value);
      up.bind(3, static_cast<int64_t>(id));
      up.exec();
      return id;
    }
    SQLite::Statement q(db(),
                        "INSERT INTO conflicts (integration_id, field, base_value, local_value, remote_value, "
                        "detected_at, resolved_at, resolution, change_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
    q.bind(1, c.integration_id);
    q.bind(2, c.field);
    bind_opt(q, 3, c.base_value);
    bind_opt(q, 4, c.local_value);
    bind_opt(q, 5, c.remote_value);
    q.bind(6, now_iso8601());
    if (c.resolution.empty()) { q.bind(7); q.bind(8); } else { q.bind(7, now_iso8601()); q.bind(8, c.resolution); }
    if (c.change_id) q.bind(9, static_cast<int64_t>(*c.change_id)); else q.bind(9);
    q.exec();
    return db().getLastInsertRowid();
  } catch (const std::exception& e) {
    return db_error("recording a conflict on " + c.integration_id, e);
  }
}

Result<std::vector<Conflict>> Store::Txn::open_conflicts(const std::string& integration_id) {
  return collect<Conflict>(db(), std::string("SELECT ") + kConflictColumns +
                                     " FROM conflicts WHERE integration_id = ? AND resolved_at IS NULL ORDER BY id",
                           row_to_conflict, integration_id);
}

Status Store::Txn::resolve_conflict(long long id, const std::string& resolution) {
  try {
    SQLite::Statement q(db(), "UPDATE conflicts SET resolved_at = ?, resolution = ? WHERE id = ?");
    q.bind(1, now_iso8601());
    q.bind(2, resolution);
    q.bind(3, static_cast<int64_t>(id));
    q.exec();
    return ok_status();
  } catch (const std::exception& e) {
    return db_error("resolving conflict " + std::to_string(id), e);
  }
}

}  // namespace gigasync
