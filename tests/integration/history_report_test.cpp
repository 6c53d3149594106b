// report_recent_history as the README promises it: every change from either side, field by field,
// with the integration's name even after it left the mirror, including a value taken by
// `conflicts resolve --keep remote`.
#include <catch2/catch.hpp>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "support/sandbox_fixture.h"

using namespace gigasync;
using namespace gigasync::test;

namespace {

RunResult sqlite3(SandboxRun& run, const std::string& sql) {
  return run_gigasync_tool("sqlite3", {"-cmd", ".timeout 5000", run.db(), sql});
}

std::string id_of_type_3(SandboxRun& run, int nth) {
  return run.text("SELECT id FROM integrations WHERE type = 3 ORDER BY id LIMIT 1 OFFSET " + std::to_string(nth));
}

}  // namespace

TEST_CASE("report_recent_history: keep remote, deletions and inserts field by field, with names", "[history]") {
  SandboxRun run(sandbox_options(8));
  REQUIRE(run.sync().exit_code == 0);
  CHECK(run.count("SELECT count(*) FROM report_recent_history") == 0);  // a first load is one event: the run

  // A conflict resolved by keeping the API's value: the mirror's value changes, so history says so.
  std::string a = id_of_type_3(run, 0);
  REQUIRE(sqlite3(run, "UPDATE integrations SET city = 'Lokalstad' WHERE id = '" + a + "'").exit_code == 0);
  remote_set(run.server, a, "city", "\"Fjärrby\"");
  REQUIRE(run.sync().exit_code == 1);
  long long conflict = run.count("SELECT id FROM conflicts WHERE resolved_at IS NULL");
  auto resolved = run.gigasync({"conflicts", "resolve", std::to_string(conflict), "--keep", "remote"});
  INFO(resolved.err);
  REQUIRE(resolved.exit_code == 0);
  CHECK(run.count("SELECT count(*) FROM report_recent_history WHERE integration_id = '" + a +
                  "' AND field = 'city' AND old_value = 'Lokalstad' AND new_value = 'Fjärrby'") == 1);

  // A remote deletion: one row per field, old values kept, and the name although the row is gone.
  std::string b = id_of_type_3(run, 1);
  std::string b_name = run.text("SELECT name FROM integrations WHERE id = '" + b + "'");
  std::string b_email = run.text("SELECT email FROM integrations WHERE id = '" + b + "'");
  REQUIRE(run.server.remove_object(b));
  REQUIRE(run.sync().exit_code == 0);
  CHECK(run.count("SELECT count(*) FROM integrations WHERE id = '" + b + "'") == 0);
  CHECK(run.count("SELECT count(*) FROM report_recent_history WHERE integration_id = '" + b +
                  "' AND op = 'delete' AND field = 'email' AND old_value = '" + b_email + "' AND new_value IS NULL") == 1);
  CHECK(run.count("SELECT count(*) FROM report_recent_history WHERE integration_id = '" + b + "' AND op = 'delete'") == 11);
  CHECK(run.text("SELECT DISTINCT name FROM report_recent_history WHERE integration_id = '" + b + "'") == b_name);

  // A remote insert: one row per field, new values.
  REQUIRE(run.server.put_object(R"({"id": "new-one", "type": 3, "name": "Nya AB", "logo": null, "metadata": {"k": 1},
      "email": "ny@example.se", "recipient": "Nya AB", "address_line_1": "Väg 1", "address_line_2": null,
      "zip_code": "123 45", "city": "Umeå"})"));
  REQUIRE(run.sync().exit_code == 0);
  CHECK(run.count("SELECT count(*) FROM report_recent_history WHERE integration_id = 'new-one' AND op = 'insert'") == 11);
  CHECK(run.text("SELECT new_value FROM report_recent_history WHERE integration_id = 'new-one' AND field = 'metadata'") ==
        "{\"k\":1}");
  CHECK(run.text("SELECT name FROM report_recent_history WHERE integration_id = 'new-one' AND field = 'city'") == "Nya AB");

  // A local deletion pushed to the API: named too, after the row left the mirror.
  std::string c = id_of_type_3(run, 2);
  std::string c_name = run.text("SELECT name FROM integrations WHERE id = '" + c + "'");
  REQUIRE(sqlite3(run, "DELETE FROM integrations WHERE id = '" + c + "'").exit_code == 0);
  REQUIRE(run.sync().exit_code == 0);
  CHECK(run.text("SELECT DISTINCT name FROM report_recent_history WHERE integration_id = '" + c +
                 "' AND source = 'local' AND op = 'delete'") == c_name);
}
