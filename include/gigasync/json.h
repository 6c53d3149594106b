#pragma once
// The API's JSON: pages and integration objects, validated field by field with RapidJSON.
// Every parse error is an Error(ExitCode::data) whose message names where (`where`) and the field.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gigasync/error.h"
#include "gigasync/integration.h"

namespace gigasync::json {

// Limits on what the API (or the outbox) may hand over, checked before memory is spent on it.
// Deepest nesting of objects and arrays in any JSON text read (metadata is any object).
inline constexpr int kMaxDepth = 64;
// Most integrations a page's `count` may claim; more is an Error(data) naming the page.
inline constexpr long long kMaxCount = 10'000'000;

struct IntegrationPage {
  long long count = 0;
  std::optional<std::string> next;
  std::vector<Integration> results;
  bool gone = false;  // the page answered 404 (the list shrank while it was read)
};

// A list page: {"count": int, "next": string|null, "previous": string|null, "results": [object...]}.
// A count over kMaxCount, or nesting deeper than kMaxDepth, is an Error(data) too.
Result<IntegrationPage> parse_page(std::string_view body, std::string_view where);

// One integration object (e.g. the answer to GET/PATCH/PUT/POST).
Result<Integration> parse_integration(std::string_view body, std::string_view where);

// JSON text of an object with sorted keys and no spaces; Error when `text` is not a JSON object.
Result<std::string> canonical_object(std::string_view text);

// Request body holding `fields` of `obj` (metadata as an object, nulls as null).
std::string integration_body(const Integration& obj, const std::vector<std::string_view>& fields);

// `body` (a JSON object) with the members of `extra` (a canonical object of fields the documents
// do not describe, Integration::extra) added after its own: a PUT keeps what the API added.
std::string with_unknown_fields(std::string body, const std::optional<std::string>& extra);

// {"field": value, ...} from a JSON text object (as the outbox stores payloads); fields parsed
// into `obj` over its current values. Error(data) if not an object or a value has a wrong type, or
// it has a field that is not documented, unless `sent_body`: a body gigasync sent, where the API's
// unknown fields (Integration::extra) ride along with a PUT; those are skipped (not returned).
Result<std::vector<std::string>> apply_payload(std::string_view payload, Integration& obj, bool sent_body = false);

// The validation errors of a 400 answer, flattened: "email: Enter a valid email address.; ...".
// Falls back to the raw body (cut to 300 bytes) when it is not the field-keyed shape.
std::string describe_error_body(std::string_view body);

// A string as a JSON string literal.
std::string quote(std::string_view s);

}  // namespace gigasync::json

namespace gigasync::json {
// A payload object without `field`.
std::string payload_without(std::string_view payload, std::string_view field);
// A payload object with `field` set to the integration field's value (metadata as an object).
std::string payload_with(std::string_view payload, std::string_view field, const std::optional<std::string>& value);
// Keys of a JSON object text (empty when it is not an object).
std::vector<std::string> payload_fields(std::string_view payload);
}  // namespace gigasync::json

namespace gigasync::json {
// `o` with its metadata in canonical form (a mirror row may hold any spelling of an object), so rows
// compare equal exactly when their content does.
Integration canonical_row(Integration o);
}  // namespace gigasync::json
