// The outbound guard and pausing pushes, with the real binary.
#include <catch2/catch.hpp>

#include "support/sandbox_fixture.h"

using namespace gigasync;
using namespace gigasync::test;

namespace {

RunResult sqlite3(SandboxRun& run, const std::string& sql) {
  return run_gigasync_tool("sqlite3", {"-cmd", ".timeout 5000", run.db(), sql});
}

long long writes(SandboxRun& run) {
  long long n = 0;
  for (const auto& r : run.server.requests())
    if (r.method != "GET") ++n;
  return n;
}

}  // namespace

TEST_CASE("an UPDATE without WHERE is held by the outbound guard until approved", "[operate][guard]") {
  SandboxRun run(sandbox_options(60));
  REQUIRE(run.sync().exit_code == 0);
  long long custom = run.count("SELECT count(*) FROM integrations WHERE type = 3");
  REQUIRE(custom > 12);  // more than max(10, 0.2 × 60)
  REQUIRE(sqlite3(run, "UPDATE integrations SET city = 'Everywhere' WHERE type = 3").exit_code == 0);
  auto held = run.sync();
  INFO(held.err);
  CHECK(held.exit_code == 1);
  CHECK(held.err.find("outbound guard: " + std::to_string(custom) + " integrations") != std::string::npos);
  CHECK(held.err.find("gigasync changes approve --all") != std::string::npos);
  CHECK(writes(run) == 0);
  CHECK(run.text("SELECT status FROM sync_runs ORDER BY id DESC LIMIT 1") == "guarded");
  CHECK(run.sync({"--push-only"}).exit_code == 1);  // the daemon's quick push is held too
  CHECK(writes(run) == 0);
  SECTION("changes approve --all lets them go") {
    CHECK(run.gigasync({"changes", "approve", "--all"}).exit_code == 0);
  }
  SECTION("sync --force-push lets them go") {}
  auto go = run.sync({"--force-push"});
  INFO(go.err);
  CHECK(go.exit_code == 0);
  CHECK(writes(run) == custom);
  CHECK(differences(run.mirror(), run.remote()) == "");
  // Approval covers what was queued; a later small edit goes through without one.
  std::string id = run.text("SELECT id FROM integrations WHERE type = 3 LIMIT 1");
  REQUIRE(sqlite3(run, "UPDATE integrations SET city = 'Kiruna' WHERE id = '" + id + "'").exit_code == 0);
  CHECK(run.sync().exit_code == 0);
  CHECK(run.remote().at(id).city == "Kiruna");
}

TEST_CASE("a small edit is never held by the guard", "[operate][guard]") {
  SandboxRun run(sandbox_options(20));
  REQUIRE(run.sync().exit_code == 0);
  REQUIRE(sqlite3(run, "UPDATE integrations SET city = 'Lund' WHERE id IN (SELECT id FROM integrations WHERE type = 3 "
                       "LIMIT 10)").exit_code == 0);
  auto r = run.sync();
  INFO(r.err);
  CHECK(r.exit_code == 0);  // 10 = min_push_guard
  CHECK(writes(run) == 10);
}

TEST_CASE("pause stops pushing while pulls go on; resume pushes the queue", "[operate][pause]") {
  SandboxRun run(sandbox_options(20));
  REQUIRE(run.sync().exit_code == 0);
  REQUIRE(run.gigasync({"pause"}).exit_code == 0);
  auto status = run.gigasync({"status", "--json"});
  CHECK(status.out.find("\"push_paused\":true") != std::string::npos);
  std::string id = run.text("SELECT id FROM integrations WHERE type = 3 LIMIT 1");
  std::string other = run.text("SELECT id FROM integrations WHERE type = 3 LIMIT 1 OFFSET 1");
  REQUIRE(sqlite3(run, "UPDATE integrations SET city = 'Paused' WHERE id = '" + id + "'").exit_code == 0);
  remote_set(run.server, other, "zip_code", "\"99999\"");
  auto paused = run.sync();
  INFO(paused.err);
  CHECK(paused.exit_code == 0);
  CHECK(writes(run) == 0);
  CHECK(run.mirror().at(other).zip_code == "99999");  // the pull went on
  CHECK(run.count("SELECT count(*) FROM pending_changes WHERE state = 'pending'") == 1);  // still queued
  REQUIRE(run.gigasync({"resume"}).exit_code == 0);
  CHECK(run.gigasync({"status"}).out.find("pushing:       on") != std::string::npos);
  CHECK(run.sync().exit_code == 0);
  CHECK(run.remote().at(id).city == "Paused");
}
