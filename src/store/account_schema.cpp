#include "store/account_schema.h"

#include "gigasync/resource.h"
#include "store/pull_queries.h"
#include "store/rows.h"

namespace gigasync::schema {
namespace {

constexpr const char* kOps[] = {"insert", "update", "delete"};

std::string read_only_triggers(const Resource& r) {
  const std::string t(r.table);
  std::string out;
  for (const char* op : kOps) {
    std::string upper = op == std::string("insert") ? "INSERT" : op == std::string("update") ? "UPDATE" : "DELETE";
    out += "CREATE TRIGGER IF NOT EXISTS " + t + "_read_only_" + op + " BEFORE " + upper + " ON " + t +
           " WHEN (SELECT applying FROM gigasync_control) = 0 BEGIN SELECT RAISE(ABORT, 'gigasync: " + t +
           " is a read-only mirror of the API (gigasync keeps it equal to the API); nothing was changed or queued'); "
           "END;\n";
  }
  return out;
}

std::string resource_tables(const Resource& r) {
  const std::string t(r.table), b(r.base_table);
  std::string out = "CREATE TABLE IF NOT EXISTS " + t + " (" + store::mirror_columns_sql(r) + ");\n";
  // The last version read: its content hash (an unchanged object is recognised without reading
  // its row) and the fields the documents do not describe.
  out += "CREATE TABLE IF NOT EXISTS " + b +
         " (integration_id TEXT NOT NULL, id TEXT NOT NULL, content_hash INTEGER, unknown_fields TEXT, "
         "synced_at TEXT NOT NULL, PRIMARY KEY (integration_id, id));\n";
  out += "CREATE INDEX IF NOT EXISTS " + store::base_hash_index(r) + " ON " + b + " (integration_id, id, content_hash);\n";
  // What can still change, found without reading the settled rows (the incremental sync asks
  // every cycle).
  if (!r.unsettled_sql.empty())
    out += "CREATE INDEX IF NOT EXISTS " + t + "_unsettled ON " + t + " (integration_id, id) WHERE " +
           std::string(r.unsettled_sql) + ";\n";
  // References to other objects, for the reports' joins.
  for (const Field& f : r.fields)
    if (f.kind == Kind::reference && f.name != "id")
      out += "CREATE INDEX IF NOT EXISTS " + t + "_by_" + std::string(f.name) + " ON " + t + " (integration_id, " +
             std::string(f.name) + ");\n";
  return out + read_only_triggers(r);
}

}  // namespace

std::string account_schema() {
  std::string out =
      // History of the read-only mirrors (remote changes only: nothing is edited locally).
      "CREATE TABLE IF NOT EXISTS account_changes (id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, "
      "resource TEXT NOT NULL, integration_id TEXT NOT NULL, object_id TEXT NOT NULL, "
      "op TEXT NOT NULL CHECK (op IN ('insert', 'update', 'delete')), field TEXT, old_value TEXT, new_value TEXT);\n"
      "CREATE INDEX IF NOT EXISTS account_changes_by_time ON account_changes (at);\n"
      "CREATE INDEX IF NOT EXISTS account_changes_by_object ON account_changes (resource, integration_id, object_id);\n"
      // Pages of a complete listing as last applied: a page whose bytes are the same is not parsed
      // again (its objects are the ones the base has). Emptied for a resource and integration when
      // anything but a pull writes its base.
      "CREATE TABLE IF NOT EXISTS listing_pages (resource TEXT NOT NULL, scope TEXT NOT NULL, query TEXT NOT NULL, "
      "page INTEGER NOT NULL, body_hash INTEGER NOT NULL, count INTEGER NOT NULL, next TEXT, objects INTEGER NOT NULL, "
      "ids BLOB NOT NULL, PRIMARY KEY (resource, scope, query, page)) WITHOUT ROWID;\n"
      // Per resource and integration: when it was last listed in full, and why its objects were refused.
      "CREATE TABLE IF NOT EXISTS account_sync (resource TEXT NOT NULL, integration_id TEXT NOT NULL, "
      "full_at TEXT, last_at TEXT, refused_at TEXT, refused_error TEXT, PRIMARY KEY (resource, integration_id)) "
      "WITHOUT ROWID;\n"
      // The newest event time seen per resource, integration and field (microseconds, the server's
      // clock): where the next incremental window starts.
      "CREATE TABLE IF NOT EXISTS account_watermarks (resource TEXT NOT NULL, integration_id TEXT NOT NULL, "
      "field TEXT NOT NULL, max_micros INTEGER NOT NULL, PRIMARY KEY (resource, integration_id, field)) WITHOUT ROWID;\n"
      // `gigasync webhooks register`: one webhook per integration, its secret readable by this
      // database's owner only (the file is 0600).
      "CREATE TABLE IF NOT EXISTS webhooks (integration_id TEXT PRIMARY KEY, webhook_id TEXT NOT NULL, "
      "url TEXT NOT NULL, secret TEXT NOT NULL, created_at TEXT NOT NULL);\n";
  for (const Resource* r : account_resources()) out += resource_tables(*r);
  return out;
}

std::string unknown_fields_view() {
  std::string out = "CREATE VIEW account_unknown_fields AS ";
  bool first = true;
  for (const Resource* r : account_resources()) {
    if (!first) out += " UNION ALL ";
    first = false;
    out += "SELECT '" + std::string(r->name) + "' AS resource, b.integration_id, b.id AS object_id, j.key AS field, "
           "j.value AS value, j.type AS json_type FROM " + std::string(r->base_table) +
           " b, json_each(b.unknown_fields) j WHERE b.unknown_fields IS NOT NULL";
  }
  return out + ";\n";
}

std::vector<std::string> account_trigger_names() {
  std::vector<std::string> out;
  for (const Resource* r : account_resources())
    for (const char* op : kOps) out.push_back(std::string(r->table) + "_read_only_" + op);
  return out;
}

}  // namespace gigasync::schema
