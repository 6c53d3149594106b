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
  CHECK(o.name == "Acme Shop");
  CHECK(o.type == 3);
  CHECK(o.logo == "https://cdn.gigapay.se/logos/acme.png");
  CHECK(o.email == "billing@acme.example");
  CHECK(o.recipient == "Acme AB");
  CHECK(o.address_line_1 == "Storgatan 1");
  CHECK(o.address_line_2 == "Box 12");
  CHECK(o.zip_code == "111 22");
  CHECK(o.city == "Stockholm");
}

TEST_CASE("parse_integration stores metadata as canonical JSON with sorted keys at every depth", "[json]") {
  auto r = json::parse_integration(kFull, "GET integration");
  REQUIRE(r.ok());
  CHECK(r->metadata == R"({"alpha":{"x":null,"y":[2,1]},"zeta":1})");
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
  CHECK(r->results[0].name == "Acme Shop");
  CHECK(r->results[1].id == "abc");
  CHECK(r->results[1].name == "Other");
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
  o.type = 3;
  o.name = "Quote \"me\"";
  o.metadata = R"({"b":1,"a":2})";
  o.logo = std::nullopt;
  std::string body = json::integration_body(o, {"id", "name", "type", "metadata", "logo"});
  CHECK(body == R"({"id":"id-1","name":"Quote \"me\"","type":3,"metadata":{"a":2,"b":1},"logo":null})");
}

TEST_CASE("integration_body of no fields is an empty object", "[json]") {
  Integration o;
  CHECK(json::integration_body(o, {}) == "{}");
}

TEST_CASE("an integration_body parses back into the same integration", "[json]") {
  auto r = json::parse_integration(kFull, "x");
  REQUIRE(r.ok());
  std::string body = json::integration_body(r.value(), {gigasync::kIntegrationFields.begin(), gigasync::kIntegrationFields.end()});
  auto back = json::parse_integration(body, "y");
  REQUIRE(back.ok());
  CHECK(back.value() == r.value());
}

TEST_CASE("apply_payload sets the payload's fields over the object and lists them", "[json]") {
  Integration o;
  o.id = "x";
  o.name = "Old";
  o.city = "Malmö";
  o.logo = "https://logo";
  auto fields = json::apply_payload(R"({"name": "New", "logo": null, "metadata": {"b": 1, "a": 2}})", o);
  REQUIRE(fields.ok());
  CHECK(fields.value() == std::vector<std::string>{"name", "logo", "metadata"});
  CHECK(o.name == "New");
  CHECK_FALSE(o.logo.has_value());
  CHECK(o.metadata == R"({"a":2,"b":1})");
  CHECK(o.city == "Malmö");  // untouched
}

TEST_CASE("apply_payload reads type as an integer and refuses it as text", "[json]") {
  Integration o;
  auto ok = json::apply_payload(R"({"type": 3, "id": "n"})", o);
  REQUIRE(ok.ok());
  CHECK(o.type == 3);
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
