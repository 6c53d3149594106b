#pragma once
// Every kind of object gigasync mirrors is described once, in src/model/resources.cpp: its API
// path, its tables, its key and its fields. From these descriptions come the tables, column
// lists, binds and row reads (store/), the JSON validation and canonical form (json/), the content
// hash and the history rows; the sync engine (sync/) pages, stages, applies and proves deletions
// for any described resource. A two-way resource (integrations) adds the capture triggers, the
// outbox, renames and conflicts on top. To add a read-only resource, add a description.
#include <cstddef>
#include <span>
#include <string_view>

#include "gigasync/layer.h"
GIGASYNC_LAYER(model);

namespace gigasync {

// How a field's JSON value is checked and stored. Values are kept as the API sends them.
enum class Kind {
  text,       // a JSON string: TEXT
  integer,    // a JSON integer: INTEGER
  boolean,    // true/false: INTEGER 0/1
  decimal,    // money, a decimal string ("1314.20"): TEXT, digit for digit (never a binary float)
  timestamp,  // an ISO 8601 date and time string: TEXT, as sent
  date,       // an ISO 8601 date string ("2024-02-15"): TEXT
  object,     // a JSON object (metadata): canonical JSON TEXT (keys sorted, no spaces)
  reference,  // the id of another object: TEXT (an integer id is kept as its decimal text)
  list,       // a JSON array (a webhook's events): canonical JSON TEXT
};

// The SQL type of a kind's column: INTEGER or TEXT.
std::string_view sql_type(Kind k);
// "a string", "an integer", ... for messages.
std::string_view describe(Kind k);

struct Field {
  std::string_view name;  // as the API names it; also the column's name
  Kind kind = Kind::text;
  bool nullable = true;   // the API may send null
  // The API always sends it: an object without it fails the pull (ExitCode::data). Otherwise a
  // missing field is read as null (the documents' examples leave some fields out).
  bool always_sent = false;
  bool writable = false;  // two-way: a client may change it
  bool required = false;  // two-way: a create or replace must carry it (and it may not be blank)
  bool event = false;     // stamped by an event (created_at, paid_at, ...); filterable with {name}_after
};

struct Resource {
  std::string_view name;        // "payouts": the config's [account] resources, the metrics' label
  std::string_view singular;    // "payout", for messages
  std::string_view path;        // under the API's base URL, with the trailing slash: "payouts/"
  std::string_view table;       // the mirror people query
  std::string_view base_table;  // the last version read (two-way: agreed) with its content hash
  std::string_view history_table;  // where changes the mirror saw are recorded
  bool per_integration = false;    // read with `Integration-ID`; key (integration_id, id)
  bool two_way = false;            // local edits are captured and pushed
  std::span<const Field> fields;   // in the API's order, "id" among them
  // Incremental sync (per_integration resources; see README "How fresh is the mirror"):
  // list queries that together return every object that can still change ("" = none can) ...
  std::span<const std::string_view> unsettled_queries;
  // ... and the same set as an SQL condition on the mirror's columns (e.g. "accepted_at IS NULL").
  std::string_view unsettled_sql;
  // A list query that returns the newest objects first, for a resource whose list has no
  // timestamp filters ("" when it has them): read until objects older than the window.
  std::string_view newest_first_query;

  // The index of `field` in `fields`, or npos.
  std::size_t index_of(std::string_view field) const;
  const Field* field(std::string_view field) const;
  std::size_t id_index() const { return index_of("id"); }
  // The key columns as SQL: "id" or "integration_id, id".
  std::string_view key_columns() const { return per_integration ? "integration_id, id" : "id"; }
  static constexpr std::size_t npos = static_cast<std::size_t>(-1);
};

// The descriptions.
const Resource& integrations_resource();
const Resource& employees_resource();
const Resource& payouts_resource();
const Resource& payruns_resource();
const Resource& invoices_resource();

// The webhooks endpoint (`gigasync webhooks`): described for its URLs and answers; not mirrored.
const Resource& webhooks_resource();

// Every described resource, integrations first.
std::span<const Resource* const> all_resources();
// The resources read under an Integration-ID (all but integrations).
std::span<const Resource* const> account_resources();
// By name ("payouts"), or nullptr.
const Resource* resource_named(std::string_view name);

}  // namespace gigasync
