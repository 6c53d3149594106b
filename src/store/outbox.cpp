// Store: the outbox (pending_changes) and the conflicts table.
#include <SQLiteCpp/SQLiteCpp.h>

#include <optional>

#include "gigasync/store.h"
#include "store/db_error.h"
#include "store/schema.h"
#include "gigasync/integration.h"

namespace gigasync {
namespace {

constexpr const char* kChangeColumns =
    "id, integration_id, op, payload, base, idempotency_key, state, attempts, coalesce(last_error, ''), "
    "sent_body, created_at, updated_at";

Change row_to_change(SQLite::Statement& q) {
  Change c;
  c.id = q.getColumn(0).getInt64();
  c.integration_id = q.getColumn(1).getString();
  c.op = change_op_from(q.getColumn(2).getString()).value_or(ChangeOp::update);
  c.payload = q.getColumn(3).getString();
  c.base = q.getColumn(4).getString();
  c.idempotency_key = q.getColumn(5).getString();
  c.state = change_state_from(q.getColumn(6).getString()).value_or(ChangeState::failed);
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

using store::db_error;

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
                                   (include_done ? "" : std::string(" WHERE state IN ") + kActiveStates.sql()) + " ORDER BY id",
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
  // The oldest active row decides: a held or failed one keeps the later ones waiting (order).
  return collect<std::string>(*db_,
                              "SELECT p.integration_id FROM pending_changes p WHERE p.id IN (SELECT min(id) FROM "
                              "pending_changes WHERE state IN " + kActiveStates.sql() + " GROUP BY integration_id) AND p.state IN " +
                                  kSendableStates.sql() + " ORDER BY p.id",
                              [](SQLite::Statement& q) { return q.getColumn(0).getString(); });
}

Result<std::vector<Change>> Store::Txn::active_changes(const std::string& integration_id) {
  return collect<Change>(db(), std::string("SELECT ") + kChangeColumns +
                                   " FROM pending_changes WHERE integration_id = ? AND state IN " + kActiveStates.sql() + " ORDER BY id",
                         row_to_change, integration_id);
}

Result<std::optional<Change>> Store::Txn::change_by_id(long long id) { return store_.get_change(id); }
Result<std::optional<Conflict>> Store::Txn::conflict_by_id(long long id) { return store_.get_conflict(id); }

Status Store::Txn::write_change(const Change& c) {
  try {
    SQLite::Statement q(db(),
                        "UPDATE pending_changes SET state = ?, attempts = ?, payload = ?, last_error = ?, "
                        "sent_body = ?, op = ?, updated_at = strftime('%Y-%m-%dT%H:%M:%fZ','now') WHERE id = ?");
    q.bind(1, std::string(to_string(c.state)));
    q.bind(2, static_cast<int64_t>(c.attempts));
    q.bind(3, c.payload);
    if (c.last_error.empty()) q.bind(4); else q.bind(4, c.last_error);
    bind_opt(q, 5, c.sent_body);
    q.bind(6, std::string(to_string(c.op)));
    q.bind(7, static_cast<int64_t>(c.id));
    q.exec();
    return ok_status();
  } catch (const std::exception& e) {
    return db_error("updating change " + std::to_string(c.id), e);
  }
}

Result<long long> Store::Txn::insert_change(const std::string& integration_id, ChangeOp op, const std::string& payload,
                                            const std::string& base, ChangeState state) {
  try {
    SQLite::Statement q(db(),
                        "INSERT INTO pending_changes (integration_id, op, payload, base, state, idempotency_key) VALUES "
                        "(?, ?, ?, ?, ?, lower(hex(randomblob(4))) || '-' || lower(hex(randomblob(2))) || '-4' || "
                        "substr(lower(hex(randomblob(2))), 2) || '-' || substr('89ab', 1 + (abs(random()) % 4), 1) || "
                        "substr(lower(hex(randomblob(2))), 2) || '-' || lower(hex(randomblob(6))))");
    q.bind(1, integration_id);
    q.bind(2, std::string(to_string(op)));
    q.bind(3, payload);
    q.bind(4, base);
    q.bind(5, std::string(to_string(state)));
    q.exec();
    return db().getLastInsertRowid();
  } catch (const std::exception& e) {
    return db_error("queueing a change for " + integration_id, e);
  }
}

Result<std::set<std::string>> Store::Txn::active_change_ids() {
  auto ids = collect<std::string>(db(), std::string("SELECT DISTINCT integration_id FROM pending_changes WHERE state IN ") + kActiveStates.sql(),
                                  [](SQLite::Statement& q) { return q.getColumn(0).getString(); });
  if (!ids) return ids.error();
  return std::set<std::string>(ids->begin(), ids->end());
}

Result<std::optional<std::string>> Store::Txn::renamed_to(const std::string& remote_id) {
  auto to = collect<std::string>(db(), "SELECT new_id FROM local_renames WHERE old_id = ?",
                                 [](SQLite::Statement& q) { return q.getColumn(0).getString(); }, remote_id);
  if (!to) return to.error();
  if (to->empty()) return std::optional<std::string>{};
  return std::optional<std::string>(to->front());
}

Result<std::map<std::string, std::string>> Store::Txn::pending_renames() {
  try {
    std::map<std::string, std::string> out;
    SQLite::Statement q(db(), "SELECT old_id, new_id FROM local_renames");
    while (q.executeStep()) out.emplace(q.getColumn(0).getString(), q.getColumn(1).getString());
    return out;
  } catch (const std::exception& e) {
    return db_error("reading local renames", e);
  }
}

Status Store::Txn::follow_rename(const std::string& from, const std::string& to, bool mirror_too) {
  try {
    for (const char* sql : {"UPDATE pending_changes SET integration_id = ?2 WHERE integration_id = ?1",
                            "UPDATE conflicts SET integration_id = ?2 WHERE integration_id = ?1",
                            "UPDATE integration_changes SET integration_id = ?2 WHERE integration_id = ?1",
                            "UPDATE integration_base SET id = ?2 WHERE id = ?1",
                            "DELETE FROM local_renames WHERE old_id = ?1 AND ?2 IS NOT NULL"}) {
      SQLite::Statement q(db(), sql);
      q.bind(1, from);
      q.bind(2, to);
      q.exec();
    }
    // The integration's objects in the account's mirrors (the API keeps them under the new id),
    // and what the sync keeps per integration, follow it too.
    std::vector<std::string> follow = {"account_sync", "account_watermarks", "account_changes", "webhooks"};
    for (const Resource* r : account_resources()) {
      follow.emplace_back(r->table);
      follow.emplace_back(r->base_table);
    }
    for (const auto& t : follow) {
      SQLite::Statement q(db(), "UPDATE " + t + " SET integration_id = ?2 WHERE integration_id = ?1");
      q.bind(1, from);
      q.bind(2, to);
      q.exec();
    }
    SQLite::Statement scope(db(), "DELETE FROM listing_pages WHERE scope = ?1");
    scope.bind(1, from);
    scope.exec();
    forget_pages();
    if (mirror_too) {
      SQLite::Statement q(db(), "UPDATE integrations SET id = ?2 WHERE id = ?1");
      q.bind(1, from);
      q.bind(2, to);
      q.exec();
    }
    return ok_status();
  } catch (const std::exception& e) {
    return db_error("renaming integration " + from + " to " + to, e);
  }
}

Status Store::Txn::undo_rename(const std::string& remote_id) {
  try {
    SQLite::Statement up(db(), "UPDATE integrations SET id = ?1 WHERE id = (SELECT new_id FROM local_renames WHERE old_id = ?1)");
    up.bind(1, remote_id);
    up.exec();
    SQLite::Statement del(db(), "DELETE FROM local_renames WHERE old_id = ?");
    del.bind(1, remote_id);
    del.exec();
    return ok_status();
  } catch (const std::exception& e) {
    return db_error("undoing the rename of " + remote_id, e);
  }
}

Result<std::vector<Divergence>> Store::divergences() {
  std::string differs, any = "b.id IS NULL OR i.type IS NOT b.type";
  for (auto f : mutable_fields()) {
    std::string c(f);
    // The same metadata text is the same object: it is parsed only when the texts differ.
    std::string test = c == "metadata" ? "(i.metadata IS NOT b.metadata AND json(i.metadata) IS NOT json(b.metadata))"
                                       : "i." + c + " IS NOT b." + c;
    if (!differs.empty()) differs += " || ";
    differs += "CASE WHEN " + test + " THEN '," + c + "' ELSE '' END";
    any += " OR " + test;
  }
  auto quiet_for = [](const std::string& x) {
    return "NOT EXISTS (SELECT 1 FROM pending_changes p WHERE p.integration_id = " + x + " AND p.state IN " + kActiveStates.sql() + ")";
  };
  // A CASE evaluates in order: one cheap comparison per row, and the list of fields, the rename
  // and the outbox look-ups only for the rare row that differs or is missing.
  std::string sql =
      "SELECT i.id, CASE WHEN b.id IS NULL THEN ',(row)' ELSE " + differs + " || CASE WHEN i.type IS NOT b.type THEN "
      "',type' ELSE '' END END FROM integrations i LEFT JOIN integration_base b ON b.id = i.id "
      "WHERE CASE WHEN NOT (" + any + ") THEN 0 WHEN i.id IN (SELECT new_id FROM local_renames) THEN 0 WHEN " +
      quiet_for("i.id") + " THEN 1 ELSE 0 END "
      "UNION ALL SELECT b.id, ',(row)' FROM integration_base b WHERE CASE WHEN EXISTS (SELECT 1 FROM integrations i "
      "WHERE i.id = b.id) THEN 0 WHEN b.id IN (SELECT old_id FROM local_renames) THEN 0 WHEN " + quiet_for("b.id") +
      " THEN 1 ELSE 0 END";
  // A read snapshot (a deferred transaction takes no write lock): a person's edit commits with its
  // outbox row, so every snapshot is consistent, and writers do not wait for this scan.
  std::optional<SQLite::Transaction> snapshot;
  long long writes = 0;
  try {
    snapshot.emplace(*db_, SQLite::TransactionBehavior::DEFERRED);
    // Nothing wrote a mirror or base row since the last self-check that found the two equal (or
    // only a pull's plain copies, which write both alike): they are still equal.
    SQLite::Statement counter(*db_, "SELECT writes, checked FROM gigasync_control");
    counter.executeStep();
    writes = counter.getColumn(0).getInt64();
    if (writes == counter.getColumn(1).getInt64()) return std::vector<Divergence>{};
  } catch (const std::exception& e) {
    return db_error("starting the self-check", e);
  }
  auto found = collect<Divergence>(*db_, sql, [](SQLite::Statement& q) {
    Divergence d;
    d.integration_id = q.getColumn(0).getString();
    std::string list = q.getColumn(1).getString();
    size_t start = 1;
    while (start <= list.size()) {
      size_t end = list.find(',', start);
      if (end == std::string::npos) end = list.size();
      if (end > start) d.fields.push_back(list.substr(start, end - start));
      start = end + 1;
    }
    return d;
  });
  if (!found || !found->empty()) return found;
  try {
    snapshot->commit();
    // Equal as of `writes`: a later write (of anyone, captured or not) makes the next check look.
    SQLite::Statement mark(*db_, "UPDATE gigasync_control SET checked = ? WHERE checked <> ?");
    mark.bind(1, static_cast<int64_t>(writes));
    mark.bind(2, static_cast<int64_t>(writes));
    mark.exec();
  } catch (const std::exception& e) {
    return db_error("recording the self-check", e);
  }
  return found;
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
