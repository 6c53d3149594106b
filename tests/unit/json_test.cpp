// The API's JSON: validation of pages and objects, request bodies, outbox payloads, error bodies.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "gigasync/json.h"

using gigasync::ExitCode;
using gigasync::Integration;
namespace json = gigasync::json;

namespace {

// One integration object as the API sends it, with all eleven fields.
const std::string kFull =
    R"({"id": "89f3b8b5-1c27-4b4b-9d0f-1a1c2b3d4e5f", "name": "Acme Shop", "type": 3,)"
    R"( "logo": "https://cdn.gigapay.se/logos/acme.png", "metadata": {"zeta": 1, "alpha": {"y": [2, 1], "x": null}},)"
    R"( "email": "billing@acme.example", "recipient": "Acme AB", "address_line_1": "Storgatan 1",)"
    R"( "address_line_2": "Box 12", "zip_code": "111 22", "city": "Stockholm"})";

// The same object with one field's raw JSON replaced (or the field removed when value is empty).
std::string with_field(const std::string& field, const std::string& value) {
  std::string out = "{";
  const std::vector<std::pair<std::string, std::string>> fields = {
      {"id", R"("abc")"},          {"name", R"("Acme")"},        {"type", "3"},
      {"logo", "null"},            {"metadata", "{}"},           {"email", R"("a@b.example")"},
      {"recipient", R"("Acme")"},  {"address_line_1", R"("S 1")"}, {"address_line_2", "null"},
      {"zip_code", R"("11122")"}, {"city", R"("Sthlm")"}};
  for (const auto& [f, v] : fields) {
    std::string raw = f == field ? value : v;
    if (raw.empty()) continue;
    if (out.size() > 1) out += ", ";
    out += "\"" + f + "\": " + raw;
  }
  return out + "}";
}

std::string page_of(const std::string& results, const std::string& count = "2") {
  return R"({"count": )" + count + R"(, "next": "https://api.example/v2/integrations/?page=2", "previous": null, "results": )" +
         results + "}";
}

}  // namespace

TEST_CASE("parse_integration reads all eleven fields of an API object", "[json]") {
  auto r = json::parse_integration(kFull, "GET integration");
  REQUIRE(r.ok());
  const Integration& o = r.value();
  CHECK(o.id == "89f3b8b5-1c27-4b4b-9d0f-1a1c2b3d4e5f");
  CHECK(o.get("name") == "Acme Shop");
  CHECK(o.get("type") == "3");
  CHECK(o.get("logo") == "https://cdn.gigapay.se/logos/acme.png");
  CHECK(o.get("email") == "billing@acme.example");
  CHECK(o.get("recipient") == "Acme AB");
  CHECK(o.get("address_line_1") == "Storgatan 1");
  CHECK(o.get("address_line_2") == "Box 12");
  CHECK(o.get("zip_code") == "111 22");
  CHECK(o.get("city") == "Stockholm");
}

TEST_CASE("parse_integration stores metadata as canonical JSON with sorted keys at every depth", "[json]") {
  auto r = json::parse_integration(kFull, "GET integration");
  REQUIRE(r.ok());
  CHECK(r->get("metadata") == R"({"alpha":{"x":null,"y":[2,1]},"zeta":1})");
}

TEST_CASE("two objects whose metadata differs only in key order compare equal", "[json]") {
  auto a = json::parse_integration(with_field("metadata", R"({"b": {"d": 1, "c": 2}, "a": "x"})"), "a");
  auto b = json::parse_integration(with_field("metadata", R"({"a":"x","b":{"c":2,"d":1}})"), "b");
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  CHECK(a.value() == b.value());
  auto c = json::parse_integration(with_field("metadata", R"({"a":"x","b":{"c":2,"d":2}})"), "c");
  REQUIRE(c.ok());
  CHECK_FALSE(a.value() == c.value());
}

TEST_CASE("parse_integration accepts null for every field that may be null", "[json]") {
  for (const char* f : {"logo", "metadata", "email", "recipient", "address_line_1", "address_line_2", "zip_code", "city"}) {
    INFO("field " << f);
    auto r = json::parse_integration(with_field(f, "null"), "obj");
    REQUIRE(r.ok());
    CHECK_FALSE(r->get(f).has_value());
  }
}

TEST_CASE("parse_integration refuses a body that is an HTML error page, naming where", "[json]") {
  auto r = json::parse_integration("<html><body><h1>502 Bad Gateway</h1></body></html>", "GET integration x");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == ExitCode::data);
  CHECK_THAT(r.error().message, Catch::StartsWith("GET integration x"));
  CHECK_THAT(r.error().message, Catch::Contains("not JSON"));
  CHECK_THAT(r.error().message, Catch::Contains("<html>"));
}

TEST_CASE("parse_integration refuses JSON that is not an object", "[json]") {
  auto r = json::parse_integration("[1, 2]", "GET integration x");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == ExitCode::data);
  CHECK_THAT(r.error().message, Catch::Contains("GET integration x") && Catch::Contains("an array"));
}

TEST_CASE("parse_integration names every missing field", "[json]") {
  for (const char* f : {"id", "name", "type", "logo", "metadata", "email", "recipient", "address_line_1",
                        "address_line_2", "zip_code", "city"}) {
    INFO("field " << f);
    auto r = json::parse_integration(with_field(f, ""), "obj");
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == ExitCode::data);
    CHECK_THAT(r.error().message, Catch::Contains("'" + std::string(f) + "'") && Catch::Contains("missing"));
    CHECK_THAT(r.error().message, Catch::StartsWith("obj"));
  }
}

TEST_CASE("parse_integration refuses a type sent as the string \"3\"", "[json]") {
  auto r = json::parse_integration(with_field("type", R"("3")"), "obj");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == ExitCode::data);
  CHECK_THAT(r.error().message, Catch::Contains("'type'") && Catch::Contains("a string"));
  CHECK_THAT(r.error().message, Catch::Contains("abc"));  // the integration is named
}

TEST_CASE("parse_integration refuses an id sent as a number", "[json]") {
  auto r = json::parse_integration(with_field("id", "42"), "obj");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == ExitCode::data);
  CHECK_THAT(r.error().message, Catch::Contains("'id'") && Catch::Contains("a number"));
}

TEST_CASE("parse_integration refuses an empty id", "[json]") {
  auto r = json::parse_integration(with_field("id", R"("")"), "obj");
  REQUIRE_FALSE(r.ok());
  CHECK_THAT(r.error().message, Catch::Contains("'id'"));
}

TEST_CASE("parse_integration refuses metadata sent as a string", "[json]") {
  auto r = json::parse_integration(with_field("metadata", R"("{\"a\":1}")"), "obj");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == ExitCode::data);
  CHECK_THAT(r.error().message, Catch::Contains("'metadata'") && Catch::Contains("a string"));
}

TEST_CASE("parse_integration refuses a null name", "[json]") {
  auto r = json::parse_integration(with_field("name", "null"), "obj");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == ExitCode::data);
  CHECK_THAT(r.error().message, Catch::Contains("'name'") && Catch::Contains("null"));
}

TEST_CASE("parse_integration refuses a text field sent as a number", "[json]") {
  auto r = json::parse_integration(with_field("zip_code", "11122"), "obj");
  REQUIRE_FALSE(r.ok());
  CHECK_THAT(r.error().message, Catch::Contains("'zip_code'") && Catch::Contains("a number"));
}

TEST_CASE("parse_page reads count, next and every result", "[json]") {
  auto r = json::parse_page(page_of("[" + kFull + ", " + with_field("name", R"("Other")") + "]"), "page 1");
  REQUIRE(r.ok());
  CHECK(r->count == 2);
  CHECK(r->next == "https://api.example/v2/integrations/?page=2");
  REQUIRE(r->results.size() == 2);
  CHECK(r->results[0].get("name") == "Acme Shop");
  CHECK(r->results[1].id == "abc");
  CHECK(r->results[1].get("name") == "Other");
  CHECK_FALSE(r->gone);
}

TEST_CASE("parse_page accepts a null next on the last page and an empty result list", "[json]") {
  auto r = json::parse_page(R"({"count": 0, "next": null, "previous": null, "results": []})", "page 1");
  REQUIRE(r.ok());
  CHECK(r->count == 0);
  CHECK_FALSE(r->next.has_value());
  CHECK(r->results.empty());
}

TEST_CASE("parse_page refuses an HTML body, naming the page", "[json]") {
  auto r = json::parse_page("<!DOCTYPE html>\n<html><title>503 Service Unavailable</title></html>", "page 7");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == ExitCode::data);
  CHECK_THAT(r.error().message, Catch::StartsWith("page 7") && Catch::Contains("not JSON"));
  CHECK_THAT(r.error().message, !Catch::Contains("\n"));
}

TEST_CASE("parse_page refuses a truncated body", "[json]") {
  std::string body = page_of("[" + kFull + "]");
  auto r = json::parse_page(body.substr(0, body.size() / 2), "page 2");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == ExitCode::data);
  CHECK_THAT(r.error().message, Catch::StartsWith("page 2"));
}

TEST_CASE("parse_page refuses a body that is not an object", "[json]") {
  auto r = json::parse_page("[]", "page 2");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == ExitCode::data);
  CHECK_THAT(r.error().message, Catch::StartsWith("page 2") && Catch::Contains("an array"));
}

TEST_CASE("parse_page refuses results that are not an array", "[json]") {
  auto r = json::parse_page(page_of(kFull), "page 3");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == ExitCode::data);
  CHECK_THAT(r.error().message, Catch::StartsWith("page 3") && Catch::Contains("'results'"));
}

TEST_CASE("parse_page refuses a page without count", "[json]") {
  auto r = json::parse_page(R"({"next": null, "previous": null, "results": []})", "page 4");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == ExitCode::data);
  CHECK_THAT(r.error().message, Catch::StartsWith("page 4") && Catch::Contains("'count'"));
}

TEST_CASE("parse_page refuses a negative or textual count", "[json]") {
  CHECK_FALSE(json::parse_page(R"({"count": -1, "next": null, "results": []})", "p").ok());
  CHECK_FALSE(json::parse_page(R"({"count": "2", "next": null, "results": []})", "p").ok());
}

TEST_CASE("parse_page refuses a next link that is neither a string nor null", "[json]") {
  auto r = json::parse_page(R"({"count": 1, "next": 2, "previous": null, "results": []})", "page 1");
  REQUIRE_FALSE(r.ok());
  CHECK_THAT(r.error().message, Catch::Contains("'next'"));
}

TEST_CASE("parse_page names the page, the result index, the integration and the field of a bad object", "[json]") {
  auto r = json::parse_page(page_of("[" + kFull + ", " + with_field("type", R"("3")") + "]"), "page 5");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == ExitCode::data);
  CHECK_THAT(r.error().message, Catch::StartsWith("page 5"));
  CHECK_THAT(r.error().message, Catch::Contains("results[1]"));
  CHECK_THAT(r.error().message, Catch::Contains("abc"));
  CHECK_THAT(r.error().message, Catch::Contains("'type'"));
}

TEST_CASE("canonical_object sorts keys and refuses what is not an object", "[json]") {
  auto c = json::canonical_object(R"({ "b" : 2, "a" : [ {"z": 1, "y": 2} ] })");
  REQUIRE(c.ok());
  CHECK(c.value() == R"({"a":[{"y":2,"z":1}],"b":2})");
  CHECK_FALSE(json::canonical_object("[1]").ok());
  CHECK_FALSE(json::canonical_object("not json").ok());
  CHECK_FALSE(json::canonical_object("\"{}\"").ok());
}

TEST_CASE("integration_body writes the chosen fields with metadata as an object and nulls as null", "[json]") {
  Integration o;
  o.id = "id-1";
  o.set("type", "3");
  o.set("name", "Quote \"me\"");
  o.set("metadata", R"({"b":1,"a":2})");
  o.set("logo", std::nullopt);
  std::string body = json::object_body(o, {"id", "name", "type", "metadata", "logo"});
  CHECK(body == R"({"id":"id-1","name":"Quote \"me\"","type":3,"metadata":{"a":2,"b":1},"logo":null})");
}

TEST_CASE("integration_body of no fields is an empty object", "[json]") {
  Integration o;
  CHECK(json::object_body(o, {}) == "{}");
}

TEST_CASE("an integration_body parses back into the same integration", "[json]") {
  auto r = json::parse_integration(kFull, "x");
  REQUIRE(r.ok());
  std::string body = json::object_body(r.value(), {gigasync::integration_fields().begin(), gigasync::integration_fields().end()});
  auto back = json::parse_integration(body, "y");
  REQUIRE(back.ok());
  CHECK(back.value() == r.value());
}

TEST_CASE("apply_payload sets the payload's fields over the object and lists them", "[json]") {
  Integration o;
  o.id = "x";
  o.set("name", "Old");
  o.set("city", "Malmö");
  o.set("logo", "https://logo");
  auto fields = json::apply_payload(R"({"name": "New", "logo": null, "metadata": {"b": 1, "a": 2}})", o);
  REQUIRE(fields.ok());
  CHECK(fields.value() == std::vector<std::string>{"name", "logo", "metadata"});
  CHECK(o.get("name") == "New");
  CHECK_FALSE(o.get("logo").has_value());
  CHECK(o.get("metadata") == R"({"a":2,"b":1})");
  CHECK(o.get("city") == "Malmö");  // untouched
}

TEST_CASE("apply_payload reads type as an integer and refuses it as text", "[json]") {
  Integration o;
  auto ok = json::apply_payload(R"({"type": 3, "id": "n"})", o);
  REQUIRE(ok.ok());
  CHECK(o.get("type") == "3");
  CHECK(o.id == "n");
  auto bad = json::apply_payload(R"({"type": "3"})", o);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().code == ExitCode::data);
  CHECK_THAT(bad.error().message, Catch::Contains("type"));
}

TEST_CASE("apply_payload refuses an unknown field, a wrong type and a payload that is not an object", "[json]") {
  Integration o;
  auto unknown = json::apply_payload(R"({"colour": "red"})", o);
  REQUIRE_FALSE(unknown.ok());
  CHECK_THAT(unknown.error().message, Catch::Contains("colour"));
  auto wrong = json::apply_payload(R"({"email": 5})", o);
  REQUIRE_FALSE(wrong.ok());
  CHECK_THAT(wrong.error().message, Catch::Contains("email"));
  CHECK_FALSE(json::apply_payload("[]", o).ok());
  CHECK_FALSE(json::apply_payload("{", o).ok());
}

TEST_CASE("payload_with adds or replaces a field, metadata as an object and null as null", "[json]") {
  CHECK(json::payload_with(R"({"name":"a"})", "city", std::string("Umeå")) == R"({"name":"a","city":"Umeå"})");
  CHECK(json::payload_with(R"({"name":"a"})", "name", std::string("b")) == R"({"name":"b"})");
  CHECK(json::payload_with(R"({"name":"a"})", "logo", std::nullopt) == R"({"name":"a","logo":null})");
  CHECK(json::payload_with("{}", "metadata", std::string(R"({"k":"v"})")) == R"({"metadata":{"k":"v"}})");
}

TEST_CASE("payload_without removes one field and leaves the rest", "[json]") {
  CHECK(json::payload_without(R"({"name":"a","city":"b"})", "name") == R"({"city":"b"})");
  CHECK(json::payload_without(R"({"name":"a"})", "name") == "{}");
  CHECK(json::payload_without(R"({"name":"a"})", "email") == R"({"name":"a"})");
}

TEST_CASE("payload_fields lists the keys of an object and nothing for other text", "[json]") {
  CHECK(json::payload_fields(R"({"name":"a","metadata":{"x":1},"logo":null})") ==
        std::vector<std::string>{"name", "metadata", "logo"});
  CHECK(json::payload_fields("{}").empty());
  CHECK(json::payload_fields("[1,2]").empty());
  CHECK(json::payload_fields("garbage").empty());
}

TEST_CASE("describe_error_body flattens a DRF validation error into field: message pairs", "[json]") {
  std::string d = json::describe_error_body(
      R"({"email": ["Enter a valid email address."], "non_field_errors": ["Name and city clash.", "Second."]})");
  CHECK(d == "email: Enter a valid email address.; non_field_errors: Name and city clash.; non_field_errors: Second.");
}

TEST_CASE("describe_error_body shows a detail message without a field name", "[json]") {
  CHECK(json::describe_error_body(R"({"detail": "Not found."})") == "Not found.");
}

TEST_CASE("describe_error_body falls back to the raw body of an HTML page, on one line and cut short", "[json]") {
  std::string html = "<html>\n<body>" + std::string(1000, 'x') + "</body>\n</html>";
  std::string d = json::describe_error_body(html);
  CHECK(d.size() == 300);
  CHECK_THAT(d, Catch::StartsWith("<html> <body>"));
  CHECK(d.find('\n') == std::string::npos);
}

TEST_CASE("describe_error_body says so when the body is empty", "[json]") {
  CHECK(json::describe_error_body("") == "(empty body)");
}

TEST_CASE("quote escapes quotes, backslashes and control characters", "[json]") {
  CHECK(json::quote("a\"b\\c\nd") == R"("a\"b\\c\nd")");
}

// ---------------------------------------------------------------------------------------------
// Bounded input: nesting depth and the count a page may claim (issue 9)

namespace {
// `levels` nested objects: {"a":{"a":...{}...}}.
std::string nested_objects(int levels) {
  std::string out;
  for (int i = 1; i < levels; ++i) out += R"({"a":)";
  out += "{}";
  for (int i = 1; i < levels; ++i) out += "}";
  return out;
}
}  // namespace

TEST_CASE("metadata nested to the depth limit is read, one level more is refused naming where", "[json][bounds]") {
  // The object itself is one level, so metadata may hold kMaxDepth - 1.
  auto ok = json::parse_integration(with_field("metadata", nested_objects(json::kMaxDepth - 1)), "GET x");
  REQUIRE(ok.ok());
  CHECK(ok->get("metadata")->size() > 300);
  auto deep = json::parse_integration(with_field("metadata", nested_objects(json::kMaxDepth)), "GET x");
  REQUIRE_FALSE(deep.ok());
  CHECK(deep.error().code == ExitCode::data);
  CHECK_THAT(deep.error().message, Catch::StartsWith("GET x") && Catch::Contains("nesting deeper than 64 levels"));
}

TEST_CASE("a page nested a million levels deep is refused without exhausting the stack", "[json][bounds]") {
  const std::string arrays(1'000'000, '[');
  auto r = json::parse_page(arrays, "page 4");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == ExitCode::data);
  CHECK_THAT(r.error().message, Catch::StartsWith("page 4") && Catch::Contains("nesting deeper than"));
  std::string objects;
  for (int i = 0; i < 200'000; ++i) objects += R"({"a":)";
  CHECK_FALSE(json::parse_integration(objects, "GET x").ok());
  CHECK_FALSE(json::canonical_object(objects).ok());
  Integration o;
  CHECK_FALSE(json::apply_payload(R"({"metadata":)" + objects, o).ok());
  CHECK(json::payload_fields(arrays).empty());
  CHECK(json::describe_error_body(arrays).size() == 300);
}

TEST_CASE("parse_page refuses a count above kMaxCount, naming the page, before reading results", "[json][bounds]") {
  auto at_limit = json::parse_page(page_of("[]", std::to_string(json::kMaxCount)), "page 1");
  REQUIRE(at_limit.ok());
  CHECK(at_limit->count == json::kMaxCount);
  auto over = json::parse_page(page_of("[]", "9223372036854775807"), "page 2");
  REQUIRE_FALSE(over.ok());
  CHECK(over.error().code == ExitCode::data);
  CHECK_THAT(over.error().message, Catch::StartsWith("page 2") && Catch::Contains("count"));
}

TEST_CASE("trailing garbage after a JSON value is still refused by the bounded parser", "[json][bounds]") {
  CHECK_FALSE(json::parse_integration(kFull + " x", "GET x").ok());
  CHECK(json::parse_integration(kFull + " \n", "GET x").ok());
}

// Found by tests/fuzz/fuzz_integration (crash-04ba557d...): RapidJSON's default number parsing is
// not correctly rounded, so a long number's canonical text changed when canonicalised again, and
// a mirror row could never equal its own canonical form. Numbers are now read at full precision.
TEST_CASE("canonical_object is stable for numbers the fast parser rounded wrongly", "[json][bounds][fuzz]") {
  const std::string input = R"({"emid,": "abc", "namo|e":)" + std::string("1111111110") + std::string(66, '1') +
                            R"(, "}p_coemid,300}p_code": "111)" + std::string("\x9d") + R"(etalm"})";
  auto once = json::canonical_object(input);
  REQUIRE(once.ok());
  auto twice = json::canonical_object(once.value());
  REQUIRE(twice.ok());
  CHECK(twice.value() == once.value());
  for (const char* n : {"0.1", "1e-320", "123456789012345678901234567890", "-2.2250738585072014e-308",
                        "9007199254740993", "18446744073709551616", "0.30000000000000004"}) {
    auto a = json::canonical_object(std::string(R"({"n":)") + n + "}");
    REQUIRE(a.ok());
    CHECK(json::canonical_object(a.value()).value() == a.value());
  }
}

// Found by tests/fuzz/fuzz_integration (crash-4cdd1f74...): RapidJSON's full-precision number
// parsing has undefined behaviour on a zero with a large exponent. Numbers are converted by
// gigasync (integers exactly, others with strtod), and one too big for a double is refused.
TEST_CASE("numbers are read exactly: zero with any exponent, 64-bit integers, too big refused", "[json][bounds][fuzz]") {
  CHECK(json::canonical_object(R"({"n": 0e300, "m": -0.0e-400, "k": 0E+5})").value() == R"({"k":0.0,"m":-0.0,"n":0.0})");
  CHECK(json::canonical_object(R"({"a": -9223372036854775808, "b": 18446744073709551615, "c": 3})").value() ==
        R"({"a":-9223372036854775808,"b":18446744073709551615,"c":3})");
  CHECK(json::canonical_object(R"({"big": 18446744073709551616})").value() == R"({"big":18446744073709553000.0})");
  auto too_big = json::parse_integration(with_field("metadata", R"({"x": 1e400})"), "GET x");
  REQUIRE_FALSE(too_big.ok());
  CHECK_THAT(too_big.error().message, Catch::Contains("too big"));
  auto type = json::parse_integration(with_field("type", "3"), "GET x");
  REQUIRE(type.ok());
  CHECK(type->get("type") == "3");
  CHECK_FALSE(json::parse_integration(with_field("type", "3.0"), "GET x").ok());
}

// Found by tests/fuzz/fuzz_page (crash-184a336d...): metadata with a key written twice had no
// stable canonical form (an unstable sort), so such a row would never equal itself. Of a repeated
// key the last value counts, as in the API's JSON reader.
TEST_CASE("canonical metadata keeps the last of a repeated key and is stable", "[json][bounds][fuzz]") {
  auto c = json::canonical_object(R"({"b": 1, "a": 1, "b": 2, "a": {"z": 0, "z": 1}, "b": 3})");
  REQUIRE(c.ok());
  CHECK(c.value() == R"({"a":{"z":1},"b":3})");
  CHECK(json::canonical_object(c.value()).value() == c.value());
  auto o = json::parse_integration(with_field("metadata", R"({"k": "x", "k": "y"})"), "GET x");
  REQUIRE(o.ok());
  CHECK(*o->get("metadata") == R"({"k":"y"})");
}

// Found by tests/fuzz/fuzz_payload (crash-2a683374...): payload_without removed only the first of a
// key written twice, so the field was still carried.
TEST_CASE("payload_without and payload_with handle a key written twice", "[json][bounds][fuzz]") {
  const std::string twice = R"({"city": "A", "email": "e@x.se", "city": "B"})";
  CHECK(json::payload_fields(json::payload_without(twice, "city")) == std::vector<std::string>{"email"});
  auto with = json::payload_with(twice, "city", std::string("C"));
  CHECK(with == R"({"email":"e@x.se","city":"C"})");
}
