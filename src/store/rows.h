#pragma once
// Records to and from SQLite statements, by the resource descriptions (resource.h): the column
// lists, the binds and the row reads of every mirror and base table. Shared by the files of store/.
#include <SQLiteCpp/SQLiteCpp.h>

#include <optional>
#include <string>

#include "gigasync/record.h"
#include "gigasync/resource.h"
#include "gigasync/layer.h"
GIGASYNC_PRIVATE(store);

namespace gigasync::store {

inline std::optional<std::string> text(const SQLite::Column& c) {
  if (c.isNull()) return std::nullopt;
  return c.getString();
}

inline void bind_text(SQLite::Statement& q, int i, const std::optional<std::string>& v) {
  if (v) q.bind(i, *v); else q.bind(i);
}

// The mirror's columns of `r`, in order: "integration_id, " for a per-integration resource, then
// every field in the API's order ("id, name, type, ..."), each prefixed with `alias` ("s." or "").
std::string columns(const Resource& r, std::string_view alias = "");
// The number of those columns.
int column_count(const Resource& r);
// "?,?,...": one placeholder per column.
std::string placeholders(const Resource& r);
// "name = excluded.name, ...": every column but the key, for an upsert.
std::string set_from_excluded(const Resource& r);
// "c1 = s.c1, ...": every column but the key, from the row alias `from`.
std::string set_from(const Resource& r, std::string_view from);
// "a.integration_id = b.integration_id AND a.id = b.id" (or just the ids).
std::string same_key(const Resource& r, std::string_view a, std::string_view b);

// Binds `o`'s columns (in columns() order) from placeholder `first` on; returns the next index.
// Integers and booleans are bound as integers, everything else as text, without a copy: `o` (and
// `scope`) must outlive the statement's next step. `scope` is the integration column's value of a
// per-integration resource (o.scope when empty).
int bind_record(SQLite::Statement& q, int first, const Record& o, const std::string& scope = "");
// A record of `r` from the row's columns (in columns() order) starting at column `first`.
Record read_record(SQLite::Statement& q, int first, const Resource& r);

// The column definitions of the mirror table ("id TEXT PRIMARY KEY, name TEXT, ..." for
// integrations; "integration_id TEXT NOT NULL, id TEXT NOT NULL, ..., PRIMARY KEY (integration_id,
// id)" for the others).
std::string mirror_columns_sql(const Resource& r);

}  // namespace gigasync::store
