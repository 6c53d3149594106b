// `gigasync verify` (src/sync/verify.cpp) against the API double: every difference listed, none
// when equal, the ones a waiting change explains marked, and a listing that fails validation.
#include <algorithm>
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "support/engine_fixture.h"

using gigasync::ExitCode;
using gigasync::Record;
using gigasync::integrations_resource;
using gigasync::test::EngineFixture;
using gigasync::test::Garble;
using gigasync::test::make_integration;

namespace {

std::vector<std::string> verify_ok(EngineFixture& f) {
  auto lines = gigasync::verify(f.cfg, *f.store, f.api);
  INFO((lines.ok() ? std::string() : lines.error().message));
  REQUIRE(lines.ok());
  auto out = lines.value();
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

TEST_CASE("verify finds no difference when the mirror equals the API", "[engine]") {
  EngineFixture f(2);
  f.remote_has({"a", "b", "c", "d", "e"});
  f.cycle();
  CHECK(verify_ok(f).empty());
  CHECK(f.api.calls("GET", "integrations/?page=").size() == 3 + 3);  // the cycle's pages and verify's
}

TEST_CASE("verify lists a changed field, an object only in the API and one only in the mirror", "[engine]") {
  EngineFixture f(2);
  f.remote_has({"a", "b", "c"});
  f.cycle();
  const auto mirror_rows = f.rows("integrations");
  Record a = make_integration("a");
  a.set("zip_code", "222 22");
  f.api.put(a);
  f.api.put(make_integration("d"));
  f.api.erase(integrations_resource(), "c");

  auto lines = verify_ok(f);
  REQUIRE(lines.size() == 3);
  CHECK(lines[0] == R"(integration a zip_code: mirror "111 22", API "222 22")");
  CHECK(lines[1] == "integration c: in the mirror, not in the API");
  CHECK(lines[2] == "integration d: in the API, not in the mirror");
  CHECK(f.rows("integrations") == mirror_rows);  // verify only reads
}

TEST_CASE("verify marks a difference that a waiting local change explains", "[engine]") {
  EngineFixture f;
  f.remote_has({"a", "b"});
  f.cycle();
  f.edit("UPDATE integrations SET city = 'Lund' WHERE id = 'b'");

  auto lines = verify_ok(f);
  REQUIRE(lines.size() == 1);
  CHECK(lines[0] == R"(integration b city: mirror "Lund", API "Stockholm" (a local change is waiting))");
}

TEST_CASE("verify of a listing that fails validation is an Error(data)", "[engine]") {
  EngineFixture f(2);
  f.remote_has({"a", "b", "c"});
  f.cycle();
  f.api.garble_next("GET", "integrations/?page=2", Garble::wrong_type, 100);

  auto lines = gigasync::verify(f.cfg, *f.store, f.api);
  REQUIRE_FALSE(lines.ok());
  CHECK(lines.error().code == ExitCode::data);
  CHECK_THAT(lines.error().message, Catch::Contains("page 2"));
}

// A row renamed locally (UPDATE ... SET id) is in the mirror under its new id while the outbox still
// names the id the API knows: both are explained by the waiting change (verify once missed the new one).
TEST_CASE("verify marks both sides of a local rename that waits to be pushed as explained", "[engine]") {
  EngineFixture f;
  f.remote_has({"a", "b"});
  f.cycle();
  f.edit("UPDATE integrations SET id = 'a-new' WHERE id = 'a'");

  auto lines = verify_ok(f);
  REQUIRE(lines.size() == 2);
  CHECK(lines[0] == "integration a-new: in the mirror, not in the API (a local change is waiting)");
  CHECK(lines[1] == "integration a: in the API, not in the mirror (a local change is waiting)");
}
