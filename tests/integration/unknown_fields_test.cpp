// Fields the API sends that the documents do not describe (issue: "API fields it does not know
// yet"): kept beside the base row, logged once per name, sent back by every PUT, never a column
// of `integrations`; a documented field of a wrong type still fails with 65.
#include <catch2/catch.hpp>

#include "support/sandbox_fixture.h"

using namespace gigasync;
using namespace gigasync::test;

namespace {

RunResult sqlite3(SandboxRun& run, const std::string& sql) {
  return run_gigasync_tool("sqlite3", {"-cmd", ".timeout 5000", run.db(), sql});
}

std::string remote_extra(SandboxRun& run, const std::string& id) {
  auto all = run.remote();
  auto it = all.find(id);
  return it == all.end() ? "(gone)" : it->second.extra.value_or("(none)");
}

std::size_t occurrences(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

}  // namespace

TEST_CASE("a field the API adds is kept, logged once, and survives a PUT", "[unknown-fields]") {
  auto opts = sandbox_options(6);
  opts.extra_fields = {"reference"};
  SandboxRun run(opts);
  auto first = run.sync();
  INFO(first.err);
  REQUIRE(first.exit_code == 0);
  CHECK(occurrences(first.err, "fields the documents do not describe: reference") == 1);
  CHECK(run.count("SELECT count(*) FROM pragma_table_info('integrations') WHERE name = 'reference'") == 0);
  CHECK(run.count("SELECT count(*) FROM integration_unknown_fields WHERE field = 'reference'") == 6);

  std::string id = run.text("SELECT id FROM integrations WHERE type = 3 ORDER BY id LIMIT 1");
  remote_set(run.server, id, "reference", "\"PO-77\"");
  auto second = run.sync();
  INFO(second.err);
  REQUIRE(second.exit_code == 0);
  CHECK(second.err.find("do not describe") == std::string::npos);  // once for the mirror, not per cycle
  // A change of the unknown field alone is a change: the content hash covers it.
  CHECK(run.text("SELECT value FROM integration_unknown_fields WHERE integration_id = '" + id +
                 "' AND field = 'reference'") == "PO-77");

  SECTION("INSERT OR REPLACE (a PUT) sends it back") {
    REQUIRE(sqlite3(run, "INSERT OR REPLACE INTO integrations SELECT id, name, type, logo, metadata, "
                         "'put@example.se', recipient, address_line_1, address_line_2, zip_code, city "
                         "FROM integrations WHERE id = '" + id + "'").exit_code == 0);
    auto push = run.sync();
    INFO(push.err);
    REQUIRE(push.exit_code == 0);
    bool put = false;
    for (const auto& r : run.server.requests())
      if (r.method == "PUT" && r.path.find(id) != std::string::npos) put = true;
    CHECK(put);
    CHECK(run.remote().at(id).get("email") == "put@example.se");
    CHECK(remote_extra(run, id) == "{\"reference\":\"PO-77\"}");
  }
  SECTION("an UPDATE (a PATCH) leaves it alone") {
    REQUIRE(sqlite3(run, "UPDATE integrations SET city = 'Luleå' WHERE id = '" + id + "'").exit_code == 0);
    REQUIRE(run.sync().exit_code == 0);
    CHECK(run.remote().at(id).get("city") == "Luleå");
    CHECK(remote_extra(run, id) == "{\"reference\":\"PO-77\"}");
  }
  CHECK(differences(run.mirror(), run.remote()) == "");
  auto verify = run.gigasync({"verify"});
  INFO(verify.out << verify.err);
  CHECK(verify.exit_code == 0);
}

TEST_CASE("a documented field of the wrong type still fails the cycle with 65", "[unknown-fields]") {
  SandboxRun run(sandbox_options(3));
  REQUIRE(run.sync().exit_code == 0);
  std::string id = run.text("SELECT id FROM integrations ORDER BY id LIMIT 1");
  std::string before = run.text("SELECT email FROM integrations WHERE id = '" + id + "'");
  remote_set(run.server, id, "email", "42");
  auto r = run.sync();
  INFO(r.err);
  CHECK(r.exit_code == 65);
  CHECK(r.err.find("field 'email' must be a string") != std::string::npos);
  CHECK(run.text("SELECT email FROM integrations WHERE id = '" + id + "'") == before);  // untouched
}
