// Schema version 1: tables, report views, and the capture triggers that turn people's SQL edits of
// `integrations` into outbox rows. The triggers are generated from the field list so that every
// field is handled alike.
#include "store/schema.h"

#include <string_view>

#include "gigasync/change.h"
#include "gigasync/integration.h"
#include "store/account_schema.h"
#include "store/report_views.h"
#include "store/rows.h"

namespace gigasync::schema {
namespace {

constexpr std::string_view kNow = "strftime('%Y-%m-%dT%H:%M:%fZ','now')";
constexpr std::string_view kCapturing = "(SELECT applying FROM gigasync_control) = 0";

std::string uuid4_sql() {
  return "(lower(hex(randomblob(4))) || '-' || lower(hex(randomblob(2))) || '-4' || "
         "substr(lower(hex(randomblob(2))), 2) || '-' || substr('89ab', 1 + (abs(random()) % 4), 1) || "
         "substr(lower(hex(randomblob(2))), 2) || '-' || lower(hex(randomblob(6))))";
}

std::string columns_sql() { return store::mirror_columns_sql(integrations_resource()); }

// JSON value of a column of row `r` (an object field as an object, not a string).
std::string json_value(std::string_view r, std::string_view f) {
  const Field* field = integrations_resource().field(f);
  if (field != nullptr && field->kind == Kind::object) return "json(" + std::string(r) + "." + std::string(f) + ")";
  return std::string(r) + "." + std::string(f);
}

// json_object(...) of all eleven fields of row alias `r`.
std::string whole_object(std::string_view r) {
  std::string out = "json_object(";
  bool first = true;
  for (auto f : integration_fields()) {
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
  for (auto f : mutable_fields()) {
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
  for (auto f : mutable_fields()) out += (out.empty() ? "" : " OR ") + changed(f);
  return "(" + out + ")";
}

// The id the API knows a mirror row by: its own, or the one it had before a local rename that is
// not pushed yet.
std::string remote_id(std::string_view mirror_id) {
  std::string m(mirror_id);
  return "coalesce((SELECT old_id FROM local_renames WHERE new_id = " + m + "), " + m + ")";
}

// The outbox row an edit may still fold into: the newest live row of the integration, never sent,
// pending (a held change keeps what it held; a newer edit starts a change behind it).
std::string coalescable(const std::string& rid) {
  return "SELECT 1 FROM pending_changes p WHERE p.id = (SELECT max(id) FROM pending_changes WHERE "
         "integration_id = " + rid + " AND state IN " + kActiveStates.sql() + ") AND p.state = " + sql_literal(ChangeState::pending) + " AND "
         "p.sent_body IS NULL AND p.op IN ('update', 'create', 'replace')";
}

std::string has_base(const std::string& rid) { return "EXISTS (SELECT 1 FROM integration_base b WHERE b.id = " + rid + ")"; }

// A create or replace of `rid` that was sent and not settled: the API may have the object already.
std::string sent_create(const std::string& rid) {
  return "EXISTS (SELECT 1 FROM pending_changes c WHERE c.integration_id = " + rid +
         " AND c.op IN ('create', 'replace') AND c.sent_body IS NOT NULL AND c.state IN " + kActiveStates.sql() + ")";
}

std::string refuse(const std::string& message, const std::string& when) {
  return "  SELECT RAISE(ABORT, 'gigasync: " + message + "') WHERE " + when + ";\n";
}

// `metadata_may_be_null`: an INSERT without metadata gets the API's default, {}.
std::string validate_row(std::string_view row, bool metadata_may_be_null = false) {
  std::string r(row);
  std::string out = refuse("metadata must be a JSON object, e.g. ''{}'' or ''{\"k\": \"v\"}''",
                           (metadata_may_be_null ? r + ".metadata IS NOT NULL AND (" : r + ".metadata IS NULL OR (") + "json_valid(" + r +
                               ".metadata) = 0 OR json_type(" + r + ".metadata) <> 'object')");
  for (auto f : integration_required_fields()) {
    std::string c = r + "." + std::string(f);
    out += refuse(std::string(f) + " is required by the API and can not be NULL", c + " IS NULL");
    out += refuse(std::string(f) + " can not be blank (the API refuses it)",
                  "typeof(" + c + ") = 'text' AND trim(" + c + ", ' ' || char(9, 10, 13)) = ''");
  }
  for (auto f : mutable_fields()) {
    if (f == "metadata") continue;
    std::string c = r + "." + std::string(f);
    out += refuse(std::string(f) + " must be text or NULL", c + " IS NOT NULL AND typeof(" + c + ") NOT IN ('text', 'integer', 'real')");
  }
  out += refuse("email does not look like an e-mail address (the API refuses it)",
                r + ".email NOT GLOB '?*@?*.?*' OR " + r + ".email GLOB '*[ ,;<>]*' OR " + r + ".email GLOB '*@*@*'");
  return out;
}

std::string update_triggers() {
  std::string s;
  std::string rid = remote_id("OLD.id");
  // UPDATE: refuse what the API refuses, then record the changed fields.
  s += "CREATE TRIGGER integrations_refuse_update BEFORE UPDATE ON integrations WHEN " + std::string(kCapturing) +
       " BEGIN\n" +
       refuse("integrations.type is set by the API and can not be changed", "NEW.type IS NOT OLD.type") +
       refuse("type 2 (invoice) integrations are read-only in the API", "OLD.type = 2") +
       refuse("id must be non-empty text", "NEW.id IS NOT OLD.id AND (typeof(NEW.id) <> 'text' OR NEW.id = '')") +
       refuse("that id belongs to another integration in the API",
              "NEW.id IS NOT OLD.id AND NEW.id IS NOT " + rid + " AND (EXISTS (SELECT 1 FROM integration_base b "
              "WHERE b.id = NEW.id) OR EXISTS (SELECT 1 FROM local_renames r WHERE r.old_id = NEW.id))") +
       validate_row("NEW") + "END;\n";
  auto include = [&rid](std::string_view f) {
    return "(" + changed(f) + " OR EXISTS (SELECT 1 FROM pending_changes q WHERE q.integration_id = " + rid +
           " AND " + sql_may_make(Move::edited_again, "q.") + " AND json_type(q.payload, '$." + std::string(f) + "') IS NOT NULL))";
  };
  // The id travels in the payload while a rename is unpushed; renamed back, it leaves it.
  auto with_id = [&rid](const std::string& json) {
    return "CASE WHEN NEW.id IS NOT " + rid + " THEN json_set(" + json + ", '$.id', NEW.id) ELSE json_remove(" +
           json + ", '$.id') END";
  };
  std::string base_chain = json_set_chain("'{}'", "OLD", [](std::string_view f) { return changed(f); });
  std::string fresh = "CASE WHEN " + has_base(rid) + " OR " + sent_create(rid) + " THEN " +
                      with_id(json_set_chain("'{}'", "NEW", include)) + " ELSE " + whole_object("NEW") + " END";
  s += "CREATE TRIGGER integrations_capture_update AFTER UPDATE ON integrations WHEN " +
       std::string(kCapturing) + " AND (" + any_changed() + " OR NEW.id IS NOT OLD.id) BEGIN\n"
       "  UPDATE pending_changes SET payload = " + with_id(json_set_chain("payload", "NEW", include)) +
       ", updated_at = " + std::string(kNow) + " WHERE EXISTS (" + coalescable(rid) +
       " AND p.id = pending_changes.id);\n"
       "  INSERT INTO pending_changes (integration_id, op, payload, base, idempotency_key) SELECT " + rid +
       ", CASE WHEN " + has_base(rid) + " OR " + sent_create(rid) + " THEN 'update' ELSE 'create' END, " + fresh +
       ", " + base_chain + ", " + uuid4_sql() + " WHERE NOT EXISTS (" + coalescable(rid) + ");\n"
       "  UPDATE pending_changes SET state = " + sql_literal(rule(Move::edited_again).to) + ", last_error = 'superseded by change ' || "
       "(SELECT max(id) FROM pending_changes WHERE integration_id = " + rid + ") || ': ' || coalesce(last_error, ''), "
       "updated_at = " + std::string(kNow) + " WHERE integration_id = " + rid + " AND " + sql_may_make(Move::edited_again) + ";\n"
       "  INSERT OR REPLACE INTO local_renames (old_id, new_id) SELECT " + rid + ", NEW.id WHERE NEW.id IS NOT OLD.id "
       "AND NEW.id IS NOT " + rid + ";\n"
       "  DELETE FROM local_renames WHERE old_id = NEW.id AND new_id = OLD.id;\n"
       "END;\n";
  return s;
}

std::string insert_triggers() {
  std::string s;
  // INSERT (and INSERT OR REPLACE): refuse, fill defaults, record create or replace.
  s += "CREATE TRIGGER integrations_refuse_insert BEFORE INSERT ON integrations WHEN " + std::string(kCapturing) +
       " BEGIN\n" +
       refuse("type 2 (invoice) integrations are read-only in the API",
              "EXISTS (SELECT 1 FROM integrations WHERE id = NEW.id AND type = 2) OR NEW.type = 2") +
       refuse("a replaced integration must keep its type",
              "EXISTS (SELECT 1 FROM integrations WHERE id = NEW.id AND type IS NOT NEW.type) AND NEW.type IS NOT NULL") +
       refuse("new integrations are type 3 (custom); leave type NULL or set 3",
              "NOT EXISTS (SELECT 1 FROM integrations WHERE id = NEW.id) AND NEW.type IS NOT NULL AND NEW.type <> 3") +
       refuse("id must be text (or NULL for a new uuid4)",
              "NEW.id IS NOT NULL AND (typeof(NEW.id) <> 'text' OR NEW.id = '')") +
       refuse("that id is being renamed locally; sync the rename first",
              "EXISTS (SELECT 1 FROM local_renames r WHERE r.old_id = NEW.id)") +
       validate_row("NEW", true) + "END;\n";
  std::string rid = remote_id("i.id");
  s += "CREATE TRIGGER integrations_capture_insert AFTER INSERT ON integrations WHEN " + std::string(kCapturing) +
       " BEGIN\n"
       "  UPDATE gigasync_control SET applying = 1;\n"
       "  UPDATE integrations SET id = coalesce(id, " + uuid4_sql() + "), type = coalesce(type, "
       "(SELECT type FROM integration_base b WHERE b.id = integrations.id), 3), metadata = coalesce(metadata, '{}') "
       "WHERE rowid = NEW.rowid;\n"
       "  UPDATE gigasync_control SET applying = 0;\n"
       "  INSERT INTO pending_changes (integration_id, op, payload, base, idempotency_key) "
       "SELECT " + rid + ", CASE WHEN " + has_base(rid) + " OR " + sent_create(rid) + " THEN 'replace' ELSE 'create' END, " +
       whole_object("i") + ", coalesce((SELECT " + whole_object("b") + " FROM integration_base b WHERE b.id = " + rid +
       "), '{}'), " + uuid4_sql() + " FROM integrations i WHERE i.rowid = NEW.rowid;\n"
       "  UPDATE pending_changes SET state = " + sql_literal(rule(Move::replaced_locally).to) + ", last_error = 'superseded by a later insert or replace', "
       "updated_at = " + std::string(kNow) + " WHERE integration_id = (SELECT " + rid + " FROM integrations i WHERE "
       "i.rowid = NEW.rowid) AND id < (SELECT max(id) FROM pending_changes) AND " + sql_may_make(Move::replaced_locally) + ";\n"
       "END;\n";
  return s;
}

std::string delete_triggers() {
  std::string s;
  std::string rid = remote_id("OLD.id");
  // DELETE: refuse for types 1 and 2; record a delete unless the object never left this database.
  s += "CREATE TRIGGER integrations_refuse_delete BEFORE DELETE ON integrations WHEN " + std::string(kCapturing) +
       " BEGIN\n" + refuse("the type 1 (web app) integration can not be deleted", "OLD.type = 1") +
       refuse("type 2 (invoice) integrations are read-only in the API", "OLD.type = 2") + "END;\n";
  s += "CREATE TRIGGER integrations_capture_delete AFTER DELETE ON integrations WHEN " + std::string(kCapturing) +
       " BEGIN\n"
       "  INSERT INTO pending_changes (integration_id, op, payload, base, idempotency_key) "
       "SELECT " + rid + ", 'delete', '{}', " + whole_object("OLD") + ", " + uuid4_sql() +
       " WHERE " + has_base(rid) + " OR " + sent_create(rid) + ";\n"
       "  UPDATE pending_changes SET state = " + sql_literal(rule(Move::deleted_locally).to) + ", last_error = 'dropped: the integration was deleted locally "
       "before this change was pushed', updated_at = " + std::string(kNow) +
       " WHERE integration_id = " + rid + " AND op <> 'delete' AND " + sql_may_make(Move::deleted_locally) + ";\n"
       "  DELETE FROM local_renames WHERE new_id = OLD.id;\n"
       "END;\n";
  return s;
}

// The outbox table, `states` being the CHECK list of its state column (version 1, then version 5).
std::string pending_changes_table(std::string_view name, std::string_view states) {
  std::string now(kNow);
  return "CREATE TABLE " + std::string(name) + " (\n"
         "  id INTEGER PRIMARY KEY AUTOINCREMENT,\n"
         "  integration_id TEXT NOT NULL,\n"
         "  op TEXT NOT NULL CHECK (op IN ('create', 'update', 'replace', 'delete')),\n"
         "  payload TEXT NOT NULL DEFAULT '{}',\n"
         "  base TEXT NOT NULL DEFAULT '{}',\n"
         "  idempotency_key TEXT NOT NULL UNIQUE,\n"
         "  state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN (" + std::string(states) + ")),\n"
         "  attempts INTEGER NOT NULL DEFAULT 0,\n"
         "  last_error TEXT,\n"
         "  sent_body TEXT,\n"
         "  created_at TEXT NOT NULL DEFAULT (" + now + "),\n"
         "  updated_at TEXT NOT NULL DEFAULT (" + now + "));\n";
}

std::string triggers() { return update_triggers() + insert_triggers() + delete_triggers(); }

std::string tables() {
  std::string now(kNow);
  return "CREATE TABLE integrations (" + columns_sql() + ");\n"
         "CREATE TABLE integration_base (" + columns_sql() + ", synced_at TEXT NOT NULL);\n" +
         pending_changes_table("pending_changes", "'pending', 'in_flight', 'done', 'failed', 'conflict'") +
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

// Version 2: typed outbox moves (held changes take newer edits), renames, the self-check count.
std::string version_2() {
  std::string drop;
  for (const char* t : {"integrations_refuse_update", "integrations_capture_update", "integrations_refuse_insert",
                        "integrations_capture_insert", "integrations_refuse_delete", "integrations_capture_delete"})
    drop += std::string("DROP TRIGGER IF EXISTS ") + t + ";\n";
  return drop +
         "CREATE TABLE local_renames (old_id TEXT PRIMARY KEY, new_id TEXT NOT NULL UNIQUE);\n"
         "ALTER TABLE sync_runs ADD COLUMN diverged INTEGER NOT NULL DEFAULT 0;\n"
         "CREATE INDEX pending_changes_by_state ON pending_changes (state, integration_id);\n" + triggers();
}

std::string views() {
  return "CREATE VIEW report_integrations_by_type AS SELECT type, CASE type WHEN 1 THEN 'web app' WHEN 2 THEN "
         "'invoice' WHEN 3 THEN 'custom' ELSE 'other' END AS kind, count(*) AS integrations FROM integrations "
         "GROUP BY type;\n"
         "CREATE VIEW report_pending_changes AS SELECT c.id, c.integration_id, i.name, c.op, c.state, c.attempts, "
         "c.payload, c.last_error, c.created_at, c.updated_at FROM pending_changes c LEFT JOIN integrations i "
         "ON i.id = c.integration_id WHERE c.state IN ('pending', 'in_flight', 'failed', 'conflict') ORDER BY c.id;\n"
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

// Version 3: a content hash per base row (an unchanged object is skipped without reading its row),
// and indexes for the per-cycle questions.
std::string version_3() {
  return "ALTER TABLE integration_base ADD COLUMN content_hash INTEGER;\n"
         "CREATE INDEX integration_base_by_id_hash ON integration_base (id, content_hash);\n"
         "CREATE INDEX sync_runs_by_status ON sync_runs (status, id);\n"
         "CREATE INDEX conflicts_unresolved ON conflicts (resolved_at) WHERE resolved_at IS NULL;\n"
         "CREATE INDEX integration_changes_by_time ON integration_changes (at);\n";
}

// Version 4: operator state kept in the database, so a running daemon obeys a command at once
// (push paused, pushes approved past the outbound guard).
std::string version_4() {
  return "CREATE TABLE gigasync_state (key TEXT PRIMARY KEY, value TEXT NOT NULL);\n";
}

// The report views of version 5: the outbox's settled states, and a history read field by field
// (an insert or a delete, stored as one object, is shown one row per field) with the name the
// integration had, even when it has left the mirror since.
std::string views_5() {
  std::string recent = "h.at >= strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-7 days')";
  std::string object_name = "json_extract(coalesce(h.new_value, h.old_value), '$.name')";
  // The newest whole-object record of the integration names it after it left the mirror.
  std::string last_known = "(SELECT json_extract(coalesce(d.new_value, d.old_value), '$.name') FROM integration_changes d "
                           "WHERE d.integration_id = h.integration_id AND d.field IS NULL ORDER BY d.id DESC LIMIT 1)";
  return "DROP VIEW IF EXISTS report_pending_changes;\n"
         "DROP VIEW IF EXISTS report_recent_history;\n"
         "CREATE VIEW report_pending_changes AS SELECT c.id, c.integration_id, i.name, c.op, c.state, c.attempts, "
         "c.payload, c.last_error, c.created_at, c.updated_at FROM pending_changes c LEFT JOIN integrations i "
         "ON i.id = c.integration_id WHERE c.state IN " + kActiveStates.sql() + " ORDER BY c.id;\n"
         "CREATE VIEW report_recent_history AS "
         "SELECT h.id AS change, h.at, h.integration_id, coalesce(i.name, " + last_known + ") AS name, h.source, h.op, "
         "h.field, h.old_value, h.new_value FROM integration_changes h LEFT JOIN integrations i ON i.id = h.integration_id "
         "WHERE h.field IS NOT NULL AND " + recent + "\n"
         "UNION ALL "
         "SELECT h.id, h.at, h.integration_id, coalesce(" + object_name + ", i.name), h.source, h.op, j.key, "
         "CASE WHEN h.op = 'delete' THEN j.value END, CASE WHEN h.op = 'delete' THEN NULL ELSE j.value END "
         "FROM integration_changes h LEFT JOIN integrations i ON i.id = h.integration_id, "
         "json_each(coalesce(h.new_value, h.old_value)) j "
         "WHERE h.field IS NULL AND json_valid(coalesce(h.new_value, h.old_value)) AND " + recent + "\n"
         "ORDER BY 1 DESC, 7;\n";
}

// Version 5: settled outbox rows say how they settled (done, superseded, discarded: the CHECK
// constraint changes, so the table is rebuilt, ids and their sequence kept); fields the API sends
// that the documents do not describe are kept with the base row (never a column of `integrations`),
// with a view listing them; the report views above.
std::string version_5() {
  std::string now(kNow);
  std::string drop;
  for (const char* t : {"integrations_refuse_update", "integrations_capture_update", "integrations_refuse_insert",
                        "integrations_capture_insert", "integrations_refuse_delete", "integrations_capture_delete"})
    drop += std::string("DROP TRIGGER IF EXISTS ") + t + ";\n";
  return "ALTER TABLE integration_base ADD COLUMN unknown_fields TEXT;\n"
         "ALTER TABLE sync_runs ADD COLUMN deletions_held INTEGER NOT NULL DEFAULT 0;\n"
         "CREATE VIEW integration_unknown_fields AS SELECT b.id AS integration_id, j.key AS field, j.value AS value, "
         "j.type AS json_type FROM integration_base b, json_each(b.unknown_fields) j WHERE b.unknown_fields IS NOT NULL;\n" +
         drop +
         "DROP VIEW IF EXISTS report_pending_changes;\n"
         "DROP VIEW IF EXISTS report_failed_changes;\n" +
         pending_changes_table("pending_changes_v5",
                               "'pending', 'in_flight', 'done', 'failed', 'conflict', 'superseded', 'discarded'") +
         // Rows settled before version 5 get their state from the reason they recorded.
         "INSERT INTO pending_changes_v5 SELECT id, integration_id, op, payload, base, idempotency_key, CASE "
         "WHEN state <> 'done' THEN state "
         "WHEN last_error = 'discarded by hand' THEN 'discarded' "
         "WHEN last_error LIKE 'superseded%' OR last_error LIKE 'dropped%' OR last_error LIKE 'retried%' OR "
         "last_error LIKE 'abandoned%' OR last_error LIKE 'nothing left to send%' THEN 'superseded' "
         "ELSE 'done' END, attempts, last_error, sent_body, created_at, updated_at FROM pending_changes;\n"
         // The AUTOINCREMENT sequence goes with the table, so no id is ever given out twice.
         "DELETE FROM sqlite_sequence WHERE name = 'pending_changes_v5';\n"
         "UPDATE sqlite_sequence SET name = 'pending_changes_v5' WHERE name = 'pending_changes';\n"
         "DROP TABLE pending_changes;\n"
         "ALTER TABLE pending_changes_v5 RENAME TO pending_changes;\n"
         "CREATE INDEX pending_changes_by_integration ON pending_changes (integration_id, state);\n"
         "CREATE INDEX pending_changes_by_state ON pending_changes (state, integration_id);\n"
         "CREATE VIEW report_failed_changes AS SELECT c.id, c.integration_id, i.name, c.op, c.payload, c.last_error, "
         "c.updated_at FROM pending_changes c LEFT JOIN integrations i ON i.id = c.integration_id "
         "WHERE c.state = 'failed' ORDER BY c.id;\n" +
         triggers() + views_5();
}

// Version 6: indexes for the retention run after every cycle, so that its DELETEs find old rows by
// time instead of reading every settled change, run or resolved conflict (they stay flat as those
// tables grow).
std::string version_6() {
  return "CREATE INDEX pending_changes_by_state_time ON pending_changes (state, updated_at);\n"
         "CREATE INDEX sync_runs_by_start ON sync_runs (started_at);\n"
         "CREATE INDEX conflicts_resolved_by_time ON conflicts (resolved_at) WHERE resolved_at IS NOT NULL;\n";
}

// Version 7: every resource described (resource.h) has its tables (the account's read-only
// mirrors, store/account_schema.cpp), and content hashes are taken over every field in the API's
// order, the same way for every resource (post_migration recomputes the base's).
std::string version_7() {
  std::string counters;
  for (const char* t : {"integrations", "integration_base"})
    for (const char* op : {"insert", "update", "delete"}) {
      std::string upper = op == std::string("insert") ? "INSERT" : op == std::string("update") ? "UPDATE" : "DELETE";
      counters += "CREATE TRIGGER " + std::string(t) + "_count_" + op + " AFTER " + upper + " ON " + t +
                  " BEGIN UPDATE gigasync_control SET writes = writes + 1; END;\n";
    }
  // Every write to the mirror or the base, by anyone (captured or not), moves `writes`; the
  // self-check keeps in `checked` the value at which it last found them equal, and looks again
  // only when they differ.
  return "ALTER TABLE gigasync_control ADD COLUMN writes INTEGER NOT NULL DEFAULT 0;\n"
         "ALTER TABLE gigasync_control ADD COLUMN checked INTEGER NOT NULL DEFAULT -1;\n" + counters +
         "ALTER TABLE sync_runs ADD COLUMN account_fetched INTEGER NOT NULL DEFAULT 0;\n"
         "ALTER TABLE sync_runs ADD COLUMN account_written INTEGER NOT NULL DEFAULT 0;\n"
         "ALTER TABLE sync_runs ADD COLUMN refused INTEGER NOT NULL DEFAULT 0;\n" +
         account_schema() + report_views() + unknown_fields_view();
}

}  // namespace

const std::vector<std::string>& migrations() {
  static const std::vector<std::string> all = {tables() + views(), version_2(), version_3(), version_4(), version_5(),
                                               version_6(), version_7()};
  return all;
}

void post_migration(std::size_t version, SQLite::Database& db) {
  if (version != 7) return;
  const Resource& r = integrations_resource();
  SQLite::Statement read(db, "SELECT rowid, " + store::columns(r) + ", unknown_fields FROM integration_base");
  SQLite::Statement write(db, "UPDATE integration_base SET content_hash = ? WHERE rowid = ?");
  while (read.executeStep()) {
    Record o = store::read_record(read, 1, r);
    o.extra = store::text(read.getColumn(1 + store::column_count(r)));
    write.reset();
    write.bind(1, static_cast<int64_t>(content_hash(o)));
    write.bind(2, read.getColumn(0).getInt64());
    write.exec();
  }
}

std::string own_triggers_sql() {
  std::string out = "('integrations_refuse_update', 'integrations_capture_update', 'integrations_refuse_insert', "
                    "'integrations_capture_insert', 'integrations_refuse_delete', 'integrations_capture_delete'";
  for (const char* t : {"integrations", "integration_base"})
    for (const char* op : {"insert", "update", "delete"}) out += ", '" + std::string(t) + "_count_" + op + "'";
  for (const auto& name : account_trigger_names()) out += ", '" + name + "'";
  return out + ")";
}

}  // namespace gigasync::schema
