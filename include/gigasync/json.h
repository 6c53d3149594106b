#pragma once
// The API's JSON, read and written by the resource descriptions (resource.h): pages and objects
// validated field by field with RapidJSON, request bodies, outbox payloads, error bodies.
// Every parse error is an Error(ExitCode::data) whose message names where (`where`), the object
// and the field.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gigasync/error.h"
#include "gigasync/integration.h"
#include "gigasync/record.h"
#include "gigasync/resource.h"
#include "gigasync/layer.h"
GIGASYNC_LAYER(json);

namespace gigasync::json {

// Limits on what the API (or the outbox) may hand over, checked before memory is spent on it.
// Deepest nesting of objects and arrays in any JSON text read (metadata is any object).
inline constexpr int kMaxDepth = 64;
// Most objects a page's `count` may claim; more is an Error(data) naming the page.
inline constexpr long long kMaxCount = 10'000'000;

// One list page.
struct Page {
  long long count = 0;
  std::optional<std::string> next;
  std::vector<Record> results;
  bool gone = false;  // the page answered 404 (the list shrank while it was read)
};
using IntegrationPage = Page;

// A list page of `r`: {"count": int, "next": string|null, "previous": string|null, "results":
// [object...]}. Each object is checked against r's fields: a documented field of the wrong type is
// an error, one of r's always-sent fields missing is an error (others read as null), members the
// documents do not describe are kept (Record::extra). `scope` is stored in each record (the
// Integration-ID it was read under). A count over kMaxCount, or nesting deeper than kMaxDepth, is
// an Error(data) too.
Result<Page> parse_page(const Resource& r, std::string_view body, std::string_view where, const std::string& scope = "");
// One object of `r` (the answer to GET/PATCH/PUT/POST).
Result<Record> parse_object(const Resource& r, std::string_view body, std::string_view where,
                            const std::string& scope = "");

// The same for integrations.
inline Result<Page> parse_page(std::string_view body, std::string_view where) {
  return parse_page(integrations_resource(), body, where);
}
inline Result<Integration> parse_integration(std::string_view body, std::string_view where) {
  return parse_object(integrations_resource(), body, where);
}

// JSON text of an object with sorted keys and no spaces; Error when `text` is not a JSON object.
Result<std::string> canonical_object(std::string_view text);

// Request body holding `fields` of `obj` in that order (objects as objects, integers and booleans
// as JSON numbers and booleans, nulls as null).
std::string object_body(const Record& obj, const std::vector<std::string_view>& fields);
// Every field, in the API's order, for history and conflict rows.
std::string object_json(const Record& o);

// `body` (a JSON object) with the members of `extra` (a canonical object of fields the documents
// do not describe, Record::extra) added after its own: a PUT keeps what the API added.
std::string with_unknown_fields(std::string body, const std::optional<std::string>& extra);

// {"field": value, ...} from a JSON text object (as the outbox stores payloads); fields parsed
// into `obj` over its current values. Error(data) if not an object or a value has a wrong type, or
// it has a field that is not documented, unless `sent_body`: a body gigasync sent, where the API's
// unknown fields (Record::extra) ride along with a PUT; those are skipped (not returned).
Result<std::vector<std::string>> apply_payload(std::string_view payload, Record& obj, bool sent_body = false);

// The validation errors of a 400 answer, flattened: "email: Enter a valid email address.; ...".
// Falls back to the raw body (cut to 300 bytes) when it is not the field-keyed shape.
std::string describe_error_body(std::string_view body);

// The id (a string, or an integer as its decimal text) and the member names of a JSON object
// (a webhook notification); nullopt when `body` is not an object with an id.
struct Members {
  std::string id;
  std::vector<std::string> names;
};
std::optional<Members> id_and_members(std::string_view body);

// A string as a JSON string literal.
std::string quote(std::string_view s);

// Outbox payloads (integrations): a payload object without `field`; with `field` set to the
// value in its SQL form (an object field as an object, an integer as a number); its keys (empty
// when the text is not an object).
std::string payload_without(std::string_view payload, std::string_view field);
std::string payload_with(std::string_view payload, std::string_view field, const std::optional<std::string>& value);
std::vector<std::string> payload_fields(std::string_view payload);

// `o` with its object fields (metadata) in canonical form (a mirror row may hold any spelling of
// an object), so rows compare equal exactly when their content does.
Record canonical_row(Record o);

}  // namespace gigasync::json
