// Schema version 1: tables, report views, and the capture triggers that turn people's SQL edits of
// `integrations` into outbox rows. The triggers are generated from the field list so that every
// field is handled alike.
#include "store/schema.h"

#include <string_view>

#include "gigasync/integration.h"

namespace gigasync::schema {
namespace {

constexpr std::string_view kNow = "strftime('%Y-%m-%dT%H:%M:%fZ','now')";
constexpr std::string_view kCapturing = "(SELECT applying FROM gigasync_control) = 0";

std::string uuid4_sql() {
  return "(lower(hex(randomblob(4))) || '-' || lower(hex(randomblob(2))) || '-4' || "
         "substr(lower(hex(randomblob(2))), 2) || '-' || substr('89ab', 1 + (abs(random()) % 4), 1) || "
         "substr(lower(hex(randomblob(2))), 2) || '-' || lower(hex(randomblob(6))))";
}

std::string columns_sql() {
  return "id TEXT PRIMARY KEY, name TEXT, type INTEGER, logo TEXT, metadata TEXT, email TEXT, "
         "recipient TEXT, address_line_1 TEXT, address_line_2 TEXT, zip_code TEXT, city TEXT";
}

// JSON value of a column of row `r` (metadata as an object, not a string).
std::string json_value(std::string_view r, std::string_view f) {
  if (f == "metadata") return "json(" + std::string(r) + ".metadata)";
  return std::string(r) + "." + std::string(f);
}

// json_object(...) of all eleven fields of row alias `r`.
std::string whole_object(std::string_view r) {
  std::string out = "json_object(";
  bool first = true;
  for (auto f : kIntegrationFields) {
    if (!first) out += ", ";
    first = false;
    out += "'" + std::string(f) + "', " + json_value(r, f);
  }
  return out + ")";
}

// json_set over `start` that adds field f when `cond(f)` holds. Fields that do not qualify are
// written to a scratch key that is removed at the end, so the SQL grows linearly with the fields.
template <class Cond>
std::string json_set_chain(std::string start, std::string_view r, Cond cond) {
  for (auto f : kMutableFields) {
    start = "json_set(" + start + ", CASE WHEN " + cond(f) + " THEN '$." + std::string(f) + "' ELSE '$.__skip' END, " +
            json_value(r, f) + ")";
  }
  return "json_remove(" + start + ", '$.__skip')";
}

std::string changed(std::string_view f) {
  return "NEW." + std::string(f) + " IS NOT OLD." + std::string(f);
}

std::string any_changed() {
  std::string out;
  for (auto f : kMutableFields) out += (out.empty() ? "" : " OR ") + changed(f);
  return "(" + out + ")";
}

// The outbox row an edit may still fold into: the newest live row of the integration, never sent.
std::string coalescable(std::string_view id_expr) {
  std::string id(id_expr);
  return "SELECT 1 FROM pending_changes p WHERE p.id = (SELECT max(id) FROM pending_changes WHERE "
         "integration_id = " + id + " AND state <> 'done') AND p.state = 'pending' AND p.attempts = 0 "
         "AND p.op IN ('update', 'create', 'replace')";
}

std::string validate_row(std::string_view row) {
  std::string r(row);
  std::string out =
      "SELECT RAISE(ABORT, 'gigasync: metadata must be a JSON object, e.g. ''{}'' or ''{\"k\": \"v\"}''') "
      "WHERE " + r + ".metadata IS NOT NULL AND (json_valid(" + r + ".metadata) = 0 OR json_type(" + r +
      ".metadata) <> 'object');\n";
  for (auto f : kRequiredFields) {
    out += "  SELECT RAISE(ABORT, 'gigasync: " + std::string(f) +
           " is required by the API and can not be NULL') WHERE " + r + "." + std::string(f) + " IS NULL;\n";
  }
  return out;
}

std::string triggers() {
  std::string s;
  // UPDATE: refuse what the API refuses, then record the changed fields.
  s += "CREATE TRIGGER integrations_refuse_update BEFORE UPDATE ON integrations WHEN " + std::string(kCapturing) +
       " BEGIN\n"
       "  SELECT RAISE(ABORT, 'gigasync: integrations.id can not be changed (delete and insert instead)') "
       "WHERE NEW.id IS NOT OLD.id;\n"
       "  SELECT RAISE(ABORT, 'gigasync: integrations.type is set by the API and can not be changed') "
       "WHERE NEW.type IS NOT OLD.type;\n"
       "  SELECT RAISE(ABORT, 'gigasync: type 2 (invoice) integrations are read-only in the API') "
       "WHERE OLD.type = 2;\n  " + validate_row("NEW") + "END;\n";
  auto include = [](std::string_view f) {
    return "(" + changed(f) + " OR EXISTS (SELECT 1 FROM pending_changes q WHERE q.integration_id = NEW.id AND "
           "q.state = 'failed' AND json_type(q.payload, '$." + std::string(f) + "') IS NOT NULL))";
  };
  std::string base_chain = json_set_chain("'{}'", "OLD", [](std::string_view f) { return changed(f); });
  s += "CREATE TRIGGER integrations_capture_update AFTER UPDATE ON integrations WHEN " +
       std::string(kCapturing) + " AND " + any_changed() + " BEGIN\n"
       "  UPDATE pending_changes SET payload = " + json_set_chain("payload", "NEW", include) +
       ", updated_at = " + std::string(kNow) + " WHERE EXISTS (" + coalescable("NEW.id") +
       " AND p.id = pending_changes.id);\n"
       "  INSERT INTO pending_changes (integration_id, op, payload, base, idempotency_key) SELECT NEW.id, 'update', " +
       json_set_chain("'{}'", "NEW", include) + ", " + base_chain + ", " + uuid4_sql() +
       " WHERE NOT EXISTS (" + coalescable("NEW.id") + ");\n"
       "  UPDATE pending_changes SET state = 'done', last_error = 'superseded by change ' || "
       "(SELECT max(id) FROM pending_changes WHERE integration_id = NEW.id) || ': ' || coalesce(last_error, ''), "
       "updated_at = " + std::string(kNow) + " WHERE integration_id = NEW.id AND state = 'failed';\n"
       "END;\n";
  // INSERT (and INSERT OR REPLACE): refuse, fill defaults, record create or replace.
  s += "CREATE TRIGGER integrations_refuse_insert BEFORE INSERT ON integrations WHEN " + std::string(kCapturing) +
       " BEGIN\n"
       "  SELECT RAISE(ABORT, 'gigasync: type 2 (invoice) integrations are read-only in the API') "
       "WHERE EXISTS (SELECT 1 FROM integrations WHERE id = NEW.id AND type = 2) OR NEW.type = 2;\n"
       "  SELECT RAISE(ABORT, 'gigasync: a replaced integration must keep its type') "
       "WHERE EXISTS (SELECT 1 FROM integrations WHERE id = NEW.id AND type IS NOT NEW.type) AND NEW.type IS NOT NULL;\n"
       "  SELECT RAISE(ABORT, 'gigasync: new integrations are type 3 (custom); leave type NULL or set 3') "
       "WHERE NOT EXISTS (SELECT 1 FROM integrations WHERE id = NEW.id) AND NEW.type IS NOT NULL AND NEW.type <> 3;\n"
       "  SELECT RAISE(ABORT, 'gigasync: id must be text (or NULL for a new uuid4)') "
       "WHERE NEW.id IS NOT NULL AND (typeof(NEW.id) <> 'text' OR NEW.id = '');\n  " +
       validate_row("NEW") + "END;\n";
  s += "CREATE TRIGGER integrations_capture_insert AFTER INSERT ON integrations WHEN " + std::string(kCapturing) +
       " BEGIN\n"
       "  UPDATE gigasync_control SET applying = 1;\n"
       "  UPDATE integrations SET id = coalesce(id, " + uuid4_sql() + "), type = coalesce(type, "
       "(SELECT type FROM integration_base b WHERE b.id = integrations.id), 3), metadata = coalesce(metadata, '{}') "
       "WHERE rowid = NEW.rowid;\n"
       "  UPDATE gigasync_control SET applying = 0;\n"
       "  INSERT INTO pending_changes (integration_id, op, payload, base, idempotency_key) "
       "SELECT i.id, CASE WHEN EXISTS (SELECT 1 FROM integration_base b WHERE b.id = i.id) OR EXISTS ("
       "SELECT 1 FROM pending_changes c WHERE c.integration_id = i.id AND c.op IN ('create', 'replace') "
       "AND c.attempts > 0) THEN 'replace' ELSE 'create' END, " + whole_object("i") +
       ", coalesce((SELECT " + whole_object("b") + " FROM integration_base b WHERE b.id = i.id), '{}'), " +
       uuid4_sql() + " FROM integrations i WHERE i.rowid = NEW.rowid;\n"
       "  UPDATE pending_changes SET state = 'done', last_error = 'superseded by a later insert or replace', "
       "updated_at = " + std::string(kNow) + " WHERE integration_id = (SELECT id FROM integrations WHERE rowid = NEW.rowid) "
       "AND id < (SELECT max(id) FROM pending_changes) AND (state = 'failed' OR (state = 'pending' AND attempts = 0));\n"
       "END;\n";
  // DELETE: refuse for types 1 and 2; record a delete unless the object never left this database.
  s += "CREATE TRIGGER integrations_refuse_delete BEFORE DELETE ON integrations WHEN " + std::string(kCapturing) +
       " BEGIN\n"
       "  SELECT RAISE(ABORT, 'gigasync: the type 1 (web app) integration can not be deleted') WHERE OLD.type = 1;\n"
       "  SELECT RAISE(ABORT, 'gigasync: type 2 (invoice) integrations are read-only in the API') WHERE OLD.type = 2;\n"
       "END;\n";
  s += "CREATE TRIGGER integrations_capture_delete AFTER DELETE ON integrations WHEN " + std::string(kCapturing) +
       " BEGIN\n"
       "  INSERT INTO pending_changes (integration_id, op, payload, base, idempotency_key) "
       "SELECT OLD.id, 'delete', '{}', " + whole_object("OLD") + ", " + uuid4_sql() +
       " WHERE EXISTS (SELECT 1 FROM integration_base b WHERE b.id = OLD.id) OR EXISTS (SELECT 1 FROM "
       "pending_changes c WHERE c.integration_id = OLD.id AND c.op IN ('create', 'replace') AND c.attempts > 0 "
       "AND c.state <> 'done');\n"
       "  UPDATE pending_changes SET state = 'done', last_error = 'dropped: the integration was deleted locally "
       "before this change was pushed', updated_at = " + std::string(kNow) +
       " WHERE integration_id = OLD.id AND op <> 'delete' AND (state = 'failed' OR state = 'conflict' OR "
       "(state = 'pending' AND attempts = 0));\n"
       "END;\n";
  return s;
}

std::string tables() {
  std::string now(kNow);
  return "CREATE TABLE integrations (" + columns_sql() + ");\n"
         "CREATE TABLE integration_base (" + columns_sql() + ", synced_at TEXT NOT NULL);\n"
         "CREATE TABLE pending_changes (\n"
         "  id INTEGER PRIMARY KEY AUTOINCREMENT,\n"
         "  integration_id TEXT NOT NULL,\n"
         "  op TEXT NOT NULL CHECK (op IN ('create', 'update', 'replace', 'delete')),\n"
         "  payload TEXT NOT NULL DEFAULT '{}',\n"
         "  base TEXT NOT NULL DEFAULT '{}',\n"
         "  idempotency_key TEXT NOT NULL UNIQUE,\n"
         "  state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'in_flight', 'done', 'failed', 'conflict')),\n"
         "  attempts INTEGER NOT NULL DEFAULT 0,\n"
         "  last_error TEXT,\n"
         "  sent_body TEXT,\n"
         "  created_at TEXT NOT NULL DEFAULT (" + now + "),\n"
         "  updated_at TEXT NOT NULL DEFAULT (" + now + "));\n"
         "CREATE INDEX pending_changes_by_integration ON pending_changes (integration_id, state);\n"
         "CREATE TABLE conflicts (\n"
         "  id INTEGER PRIMARY KEY AUTOINCREMENT, integration_id TEXT NOT NULL, field TEXT NOT NULL,\n"
         "  base_value TEXT, local_value TEXT, remote_value TEXT, detected_at TEXT NOT NULL DEFAULT (" + now + "),\n"
         "  resolved_at TEXT, resolution TEXT, change_id INTEGER);\n"
         "CREATE INDEX conflicts_open ON conflicts (integration_id, field) WHERE resolved_at IS NULL;\n"
         "CREATE TABLE sync_runs (\n"
         "  id INTEGER PRIMARY KEY AUTOINCREMENT, started_at TEXT NOT NULL, finished_at TEXT, mode TEXT NOT NULL,\n"
         "  status TEXT NOT NULL, pages INTEGER NOT NULL DEFAULT 0, fetched INTEGER NOT NULL DEFAULT 0,\n"
         "  inserted INTEGER NOT NULL DEFAULT 0, updated INTEGER NOT NULL DEFAULT 0, deleted INTEGER NOT NULL DEFAULT 0,\n"
         "  pushed INTEGER NOT NULL DEFAULT 0, push_failed INTEGER NOT NULL DEFAULT 0,\n"
         "  conflicts INTEGER NOT NULL DEFAULT 0, error TEXT);\n"
         "CREATE TABLE integration_changes (\n"
         "  id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL DEFAULT (" + now + "), integration_id TEXT NOT NULL,\n"
         "  source TEXT NOT NULL CHECK (source IN ('remote', 'local')),\n"
         "  op TEXT NOT NULL CHECK (op IN ('insert', 'update', 'delete')), field TEXT, old_value TEXT, new_value TEXT);\n"
         "CREATE INDEX integration_changes_by_integration ON integration_changes (integration_id, at);\n"
         "CREATE TABLE gigasync_control (one INTEGER PRIMARY KEY CHECK (one = 1), applying INTEGER NOT NULL);\n"
         "INSERT INTO gigasync_control VALUES (1, 0);\n";
}

std::string views() {
  return "CREATE VIEW report_integrations_by_type AS SELECT type, CASE type WHEN 1 THEN 'web app' WHEN 2 THEN "
         "'invoice' WHEN 3 THEN 'custom' ELSE 'other' END AS kind, count(*) AS integrations FROM integrations "
         "GROUP BY type;\n"
         "CREATE VIEW report_pending_changes AS SELECT c.id, c.integration_id, i.name, c.op, c.state, c.attempts, "
         "c.payload, c.last_error, c.created_at, c.updated_at FROM pending_changes c LEFT JOIN integrations i "
         "ON i.id = c.integration_id WHERE c.state <> 'done' ORDER BY c.id;\n"
         "CREATE VIEW report_failed_changes AS SELECT c.id, c.integration_id, i.name, c.op, c.payload, c.last_error, "
         "c.updated_at FROM pending_changes c LEFT JOIN integrations i ON i.id = c.integration_id "
         "WHERE c.state = 'failed' ORDER BY c.id;\n"
         "CREATE VIEW report_open_conflicts AS SELECT k.id, k.integration_id, i.name, k.field, k.base_value, "
         "k.local_value, k.remote_value, k.detected_at FROM conflicts k LEFT JOIN integrations i "
         "ON i.id = k.integration_id WHERE k.resolved_at IS NULL ORDER BY k.id;\n"
         "CREATE VIEW report_recent_history AS SELECT h.at, h.integration_id, i.name, h.source, h.op, h.field, "
         "h.old_value, h.new_value FROM integration_changes h LEFT JOIN integrations i ON i.id = h.integration_id "
         "WHERE h.at >= strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-7 days') ORDER BY h.id DESC;\n"
         "CREATE VIEW report_sync_health AS SELECT r.id, r.started_at, r.finished_at, r.mode, r.status, "
         "round((julianday(r.finished_at) - julianday(r.started_at)) * 86400.0, 3) AS seconds, r.fetched, "
         "r.inserted, r.updated, r.deleted, r.pushed, r.push_failed, r.conflicts, r.error FROM sync_runs r "
         "ORDER BY r.id DESC;\n";
}

}  // namespace

const std::vector<std::string>& migrations() {
  static const std::vector<std::string> all = {tables() + triggers() + views()};
  return all;
}

}  // namespace gigasync::schema
