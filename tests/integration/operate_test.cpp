// The outbound guard and pausing pushes, with the real binary.
#include <catch2/catch.hpp>

#include <httplib.h>

#include <mutex>
#include <thread>

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
  CHECK(run.remote().at(id).get("city") == "Kiruna");
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
  CHECK(run.mirror().at(other).get("zip_code") == "99999");  // the pull went on
  CHECK(run.count("SELECT count(*) FROM pending_changes WHERE state = 'pending'") == 1);  // still queued
  REQUIRE(run.gigasync({"resume"}).exit_code == 0);
  CHECK(run.gigasync({"status"}).out.find("pushing:       on") != std::string::npos);
  CHECK(run.sync().exit_code == 0);
  CHECK(run.remote().at(id).get("city") == "Paused");
}

TEST_CASE("backup writes a consistent owner-only copy with the outbox, refuses an existing file", "[operate][backup]") {
  SandboxRun run(sandbox_options(25));
  REQUIRE(run.sync().exit_code == 0);
  std::string id = run.text("SELECT id FROM integrations WHERE type = 3 LIMIT 1");
  REQUIRE(sqlite3(run, "UPDATE integrations SET city = 'Queued' WHERE id = '" + id + "'").exit_code == 0);
  const std::string copy = run.dir.str("backup.db");
  auto r = run.gigasync({"backup", copy});
  INFO(r.err);
  CHECK(r.exit_code == 0);
  REQUIRE(fs::exists(copy));
  CHECK((fs::status(copy).permissions() & (fs::perms::group_all | fs::perms::others_all)) == fs::perms::none);
  auto rows = run_gigasync_tool("sqlite3", {copy, "SELECT count(*) FROM integrations; SELECT count(*) FROM "
                                                  "pending_changes WHERE state = 'pending'; PRAGMA integrity_check"});
  CHECK(rows.out == "25\n1\nok\n");
  CHECK(run.gigasync({"backup", copy}).exit_code == 64);  // never overwritten
}

TEST_CASE("refresh applies named integrations now, as a pull would, and confirms a deletion by 404",
          "[operate][refresh]") {
  SandboxRun run(sandbox_options(25));
  REQUIRE(run.sync().exit_code == 0);
  std::string changed = run.text("SELECT id FROM integrations WHERE type = 3 ORDER BY id LIMIT 1");
  std::string gone = run.text("SELECT id FROM integrations WHERE type = 3 ORDER BY id LIMIT 1 OFFSET 1");
  std::string edited = run.text("SELECT id FROM integrations WHERE type = 3 ORDER BY id LIMIT 1 OFFSET 2");
  remote_set(run.server, changed, "city", "\"Refreshed\"");
  REQUIRE(run.server.remove_object(gone));
  remote_set(run.server, edited, "city", "\"Remote\"");
  REQUIRE(sqlite3(run, "UPDATE integrations SET city = 'Local' WHERE id = '" + edited + "'").exit_code == 0);
  auto r = run.gigasync({"refresh", changed, gone, edited});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("integration " + changed + ": updated") != std::string::npos);
  CHECK(r.out.find("integration " + gone + ": deleted in the API (404): removed") != std::string::npos);
  CHECK(r.out.find("integration " + edited + ": updated, with 1 conflict(s)") != std::string::npos);
  CHECK(run.mirror().at(changed).get("city") == "Refreshed");
  CHECK(run.mirror().count(gone) == 0);
  CHECK(run.mirror().at(edited).get("city") == "Local");  // manual: the local value waits for a decision
  CHECK(run.count("SELECT count(*) FROM conflicts WHERE resolved_at IS NULL AND field = 'city'") == 1);
  CHECK(run.gigasync({"refresh"}).exit_code == 64);
  CHECK(run.gigasync({"refresh", "--all"}).exit_code == 1);  // a full pull; the conflict is still open
}

TEST_CASE("the heartbeat URL is pinged after a good cycle and /fail after a failed one, without the token",
          "[operate][heartbeat]") {
  httplib::Server hb;
  std::mutex mu;
  std::vector<std::string> seen;
  bool saw_auth = false;
  hb.Get(R"(/ping.*)", [&](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard lock(mu);
    seen.push_back(req.path);
    saw_auth = saw_auth || req.has_header("Authorization");
    res.set_content("OK", "text/plain");
  });
  int port = hb.bind_to_any_port("127.0.0.1");
  std::thread serving([&] { hb.listen_after_bind(); });
  {
    SandboxRun run(sandbox_options(10), "",
                   "[notify]\nheartbeat_url = \"http://127.0.0.1:" + std::to_string(port) + "/ping\"\n");
    CHECK(run.sync().exit_code == 0);
    sandbox::Faults f;
    f.forbid = true;
    run.server.set_faults(f);
    CHECK(run.sync().exit_code == 77);
  }
  hb.stop();
  serving.join();
  std::lock_guard lock(mu);
  CHECK(seen == std::vector<std::string>{"/ping", "/ping/fail"});
  CHECK_FALSE(saw_auth);
}
