// The self-check after every push, and `gigasync verify`.
#include <catch2/catch.hpp>

#include "support/sandbox_fixture.h"

using namespace gigasync;
using namespace gigasync::test;

namespace {

RunResult sqlite3(SandboxRun& run, const std::string& sql) {
  return run_gigasync_tool("sqlite3", {"-cmd", ".timeout 5000", run.db(), sql});  // waits for a running sync
}

std::string a_custom_id(SandboxRun& run) {
  return run.text("SELECT id FROM integrations WHERE type = 3 ORDER BY id LIMIT 1");
}

}  // namespace

TEST_CASE("verify exits 0 on an equal mirror and 1 listing each difference", "[self-check]") {
  SandboxRun run(sandbox_options(12));
  REQUIRE(run.sync().exit_code == 0);
  auto same = run.gigasync({"verify"});
  INFO(same.out << same.err);
  CHECK(same.exit_code == 0);
  std::string id = a_custom_id(run);
  remote_set(run.server, id, "city", "\"Kiruna\"");
  auto diff = run.gigasync({"verify"});
  CHECK(diff.exit_code == 1);
  CHECK(diff.out.find("integration " + id + " city: mirror") != std::string::npos);
  CHECK(diff.out.find("API \"Kiruna\"") != std::string::npos);
}

TEST_CASE("a mirror row that differs from its base with nothing queued fails the cycle as diverged (exit 70)",
          "[self-check]") {
  SandboxRun run(sandbox_options(12));
  REQUIRE(run.sync().exit_code == 0);
  std::string id = a_custom_id(run);
  // An uncaptured write (as if an edit had been lost by a bug): no outbox row explains it.
  REQUIRE(sqlite3(run, "BEGIN; UPDATE gigasync_control SET applying = 1; UPDATE integrations SET city = 'Lost' "
                       "WHERE id = '" + id + "'; UPDATE gigasync_control SET applying = 0; COMMIT;").exit_code == 0);
  auto r = run.sync({"--push-only"});
  INFO(r.err);
  CHECK(r.exit_code == 70);
  CHECK(r.err.find("self-check: integration " + id) != std::string::npos);
  CHECK(r.err.find("city") != std::string::npos);
  CHECK(run.text("SELECT status FROM sync_runs ORDER BY id DESC LIMIT 1") == "diverged");
  CHECK(run.count("SELECT diverged FROM sync_runs ORDER BY id DESC LIMIT 1") == 1);
}
