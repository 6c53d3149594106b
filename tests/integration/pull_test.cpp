// The pull, end to end: the real gigasync binary against the sandbox API over loopback.
#include <httplib.h>

#include <catch2/catch.hpp>
#include <thread>

#include "support/sandbox_fixture.h"

using namespace gigasync;
using namespace gigasync::test;

namespace {

// Counts every write to the mirror tables, so "writes nothing" can be checked exactly.
void install_write_counter(SandboxRun& run) {
  run.exec("CREATE TABLE IF NOT EXISTS test_writes (tbl TEXT);");
  for (const char* t : {"integrations", "integration_base", "integration_changes"})
    for (const char* op : {"INSERT", "UPDATE", "DELETE"})
      run.exec(std::string("CREATE TRIGGER IF NOT EXISTS test_count_") + t + "_" + op + " AFTER " + op + " ON " + t +
               " BEGIN INSERT INTO test_writes VALUES ('" + t + "'); END;");
}

std::string first_id_of_type(SandboxRun& run, int type) {
  for (const auto& [id, o] : run.remote())
    if (o.get("type") == std::to_string(type)) return id;
  FAIL("no integration of type " << type);
  return "";
}

}  // namespace

TEST_CASE("an initial sync of a few thousand integrations equals the server field for field", "[pull]") {
  SandboxRun run(sandbox_options(3000), "page_size = 100\nconcurrency = 4");
  auto r = run.sync();
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  auto mirror = run.mirror();
  auto remote = run.remote();
  REQUIRE(remote.size() == 3000);
  REQUIRE(mirror.size() == remote.size());
  for (const auto& [id, o] : remote) {
    INFO("integration " << id);
    REQUIRE(mirror.count(id) == 1);
    CHECK(mirror.at(id) == o);
  }
  // The first pull of a new mirror is one event (its run row), not 3,000 history rows.
  CHECK(run.count("SELECT count(*) FROM integration_changes") == 0);
  CHECK(run.count("SELECT inserted FROM sync_runs ORDER BY id DESC LIMIT 1") == 3000);
  CHECK(run.text("SELECT status FROM sync_runs ORDER BY id DESC LIMIT 1") == "ok");
  CHECK(run.count("SELECT fetched FROM sync_runs ORDER BY id DESC LIMIT 1") == 3000);
  CHECK(run.count("SELECT pages FROM sync_runs ORDER BY id DESC LIMIT 1") == 30);
  CHECK(run.count("SELECT count(*) FROM pending_changes") == 0);
}

TEST_CASE("a resync with no remote change writes nothing to the mirror", "[pull]") {
  SandboxRun run(sandbox_options(500));
  REQUIRE(run.sync().exit_code == 0);
  install_write_counter(run);
  auto r = run.sync();
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(run.count("SELECT count(*) FROM test_writes") == 0);
  CHECK(run.count("SELECT count(*) FROM sync_runs") == 2);
  CHECK(run.count("SELECT inserted + updated + deleted FROM sync_runs ORDER BY id DESC LIMIT 1") == 0);
}

TEST_CASE("remote updates, creations and deletions reach the mirror with field-level history", "[pull]") {
  SandboxRun run(sandbox_options(200), "page_size = 50");
  REQUIRE(run.sync().exit_code == 0);
  auto before = run.remote();
  auto it = before.begin();
  std::string changed = (it++)->first, deleted = (++it)->first;
  while (before.at(deleted).get("type") != "3") deleted = (++it)->first;
  remote_set(run.server, changed, "email", "\"ny.adress@exempel.se\"");
  remote_set(run.server, changed, "metadata", R"({"erp": {"nr": 7}, "a": [1, 2]})");
  REQUIRE(run.server.remove_object(deleted));
  REQUIRE(run.server.put_object(R"({"id": "new-one", "name": "Nybildat AB", "type": 3, "logo": null,
    "metadata": {}, "email": "a@b.se", "recipient": "Nybildat AB", "address_line_1": "Storgatan 1",
    "address_line_2": null, "zip_code": "111 22", "city": "Örebro"})"));
  auto r = run.sync();
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(differences(run.mirror(), run.remote()) == "");
  CHECK(run.count("SELECT count(*) FROM integrations WHERE id = '" + deleted + "'") == 0);
  CHECK(run.text("SELECT city FROM integrations WHERE id = 'new-one'") == "Örebro");
  CHECK(run.text("SELECT new_value FROM integration_changes WHERE integration_id = '" + changed +
                 "' AND field = 'email'") == "ny.adress@exempel.se");
  CHECK(run.text("SELECT metadata FROM integrations WHERE id = '" + changed + "'") == R"({"a":[1,2],"erp":{"nr":7}})");
  CHECK(run.count("SELECT count(*) FROM integration_changes WHERE integration_id = '" + deleted + "' AND op = 'delete'") == 1);
  CHECK(run.count("SELECT inserted FROM sync_runs ORDER BY id DESC LIMIT 1") == 1);
  CHECK(run.count("SELECT updated FROM sync_runs ORDER BY id DESC LIMIT 1") == 1);
  CHECK(run.count("SELECT deleted FROM sync_runs ORDER BY id DESC LIMIT 1") == 1);
}

TEST_CASE("page drift during a pass loses nothing and deletes nothing wrongly", "[pull][faults]") {
  for (int concurrency : {1, 4}) {
    DYNAMIC_SECTION("with concurrency " << concurrency) {
      SandboxRun run(sandbox_options(600, 50), "page_size = 50\nconcurrency = " + std::to_string(concurrency));
      REQUIRE(run.sync().exit_code == 0);
      auto before = run.mirror();
      sandbox::Faults f;
      f.drift_every = 2;
      run.server.set_faults(f);
      auto r = run.sync();
      INFO(r.err);
      REQUIRE(r.exit_code == 0);
      auto mirror = run.mirror();
      auto remote = run.remote();
      for (const auto& [id, o] : before)
        if (remote.count(id)) CHECK(mirror.count(id) == 1);  // still on the server: never deleted here
      run.server.set_faults({});
      REQUIRE(run.sync().exit_code == 0);
      CHECK(differences(run.mirror(), run.remote()) == "");
    }
  }
}

TEST_CASE("transient faults end in a mirror equal to the server", "[pull][faults]") {
  sandbox::Faults f;
  SECTION("429 with Retry-After") { f.rate_limit_every = 4; f.retry_after_s = 1; }
  SECTION("502/503 with an HTML body") { f.error_rate = 0.3; }
  SECTION("truncated bodies") { f.truncate_rate = 0.3; }
  SECTION("latency") { f.latency_ms = 20; }
  auto o = sandbox_options(400, 50);
  o.faults = f;
  SandboxRun run(o, "page_size = 50\nmax_retries = 8");
  auto r = run.sync();
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(differences(run.mirror(), run.remote()) == "");
  CHECK(run.count("SELECT count(*) FROM integrations") == 400);
}

TEST_CASE("permanent faults leave the mirror unchanged and exit with the documented code", "[pull][faults]") {
  SandboxRun run(sandbox_options(300, 50), "page_size = 50\nmax_retries = 2");
  REQUIRE(run.sync().exit_code == 0);
  std::string id = first_id_of_type(run, 3);
  remote_set(run.server, id, "city", "\"Kiruna\"");  // a change that must NOT land
  auto before = run.mirror();
  sandbox::Faults f;
  int expected = 0;
  std::string words;
  SECTION("a server that keeps failing: 69") { f.error_rate = 1.0; expected = 69; words = "(HTML body) (gave up after 3 attempts)"; }
  SECTION("bodies that stay truncated: 65") { f.truncate_rate = 1.0; expected = 65; words = "not JSON"; }
  SECTION("a wrong token: 77") { expected = 77; words = "refused the token"; }
  SECTION("an address not on the allow-list: 77") { f.forbid = true; expected = 77; words = "403"; }
  run.server.set_faults(f);
  if (expected == 77 && !f.forbid) write_config(run.dir.path, run.server.base_url(), "max_retries = 2", "", "wrong-token");
  auto r = run.sync();
  INFO(r.err);
  CHECK(r.exit_code == expected);
  CHECK(r.err.find(words) != std::string::npos);
  CHECK(run.mirror() == before);
  CHECK(run.text("SELECT status FROM sync_runs ORDER BY id DESC LIMIT 1") == "failed");
  CHECK_FALSE(run.text("SELECT error FROM sync_runs ORDER BY id DESC LIMIT 1").empty());
}

TEST_CASE("an object of the wrong shape fails the cycle with a message naming page and field", "[pull]") {
  SandboxRun run(sandbox_options(120, 50), "page_size = 50\nmax_retries = 1");
  REQUIRE(run.sync().exit_code == 0);
  auto before = run.mirror();
  std::string id = first_id_of_type(run, 3);
  remote_set(run.server, id, "zip_code", "12345");  // a number where the API promises a string
  auto r = run.sync();
  CHECK(r.exit_code == 65);
  CHECK(r.err.find("zip_code") != std::string::npos);
  CHECK(r.err.find("page ") != std::string::npos);
  CHECK(r.err.find(id) != std::string::npos);
  CHECK(run.mirror() == before);
}

TEST_CASE("a next link to another host is refused and that host receives nothing", "[pull][security]") {
  sandbox::Server foreign(sandbox_options(5));
  auto port = foreign.start();
  REQUIRE(port);
  auto o = sandbox_options(120, 50);
  o.faults.foreign_next = foreign.origin() + "/";
  SandboxRun run(o, "page_size = 50");
  auto r = run.sync();
  CHECK(r.exit_code == 65);
  CHECK(r.err.find("refused to follow a link") != std::string::npos);
  CHECK(foreign.requests().empty());
  CHECK(run.count("SELECT count(*) FROM integrations") == 0);
  foreign.stop();
}

TEST_CASE("a redirect is reported, never followed", "[pull][security]") {
  httplib::Server redirector;
  std::atomic<int> hits{0};
  redirector.Get(".*", [&](const httplib::Request&, httplib::Response& res) {
    hits++;
    res.status = 301;
    res.set_header("Location", "https://127.0.0.1:1/v2/integrations/");
  });
  int port = redirector.bind_to_any_port("127.0.0.1");
  std::thread t([&] { redirector.listen_after_bind(); });
  TempDir dir;
  std::string cfg = write_config(dir.path, "http://127.0.0.1:" + std::to_string(port) + "/v2/");
  auto r = run_gigasync({"sync", "-c", cfg}, {{"GIGAPAY_TOKEN", "\x01"}});
  redirector.stop();
  t.join();
  CHECK(r.exit_code == 78);
  CHECK(r.err.find("redirect") != std::string::npos);
  CHECK(r.err.find("base_url") != std::string::npos);
  CHECK(hits == 1);
}

TEST_CASE("remote deletions above max_delete_fraction are refused unless forced", "[pull]") {
  SandboxRun run(sandbox_options(100, 100));
  REQUIRE(run.sync().exit_code == 0);
  int removed = 0;
  for (const auto& [id, o] : run.remote())
    if (o.get("type") == "3" && removed < 30 && run.server.remove_object(id)) removed++;
  REQUIRE(removed == 30);
  auto r = run.sync();
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("refusing to delete 30 of 100") != std::string::npos);
  CHECK(run.count("SELECT count(*) FROM integrations") == 100);
  auto forced = run.sync({"--force-deletes"});
  CHECK(forced.exit_code == 0);
  CHECK(run.count("SELECT count(*) FROM integrations") == 70);
  CHECK(differences(run.mirror(), run.remote()) == "");
}

TEST_CASE("the token appears in no log output, at any level, in success or failure", "[pull][security]") {
  auto o = sandbox_options(60, 50);
  o.token = "tok-Zq81-very-secret-4711";
  o.faults.rate_limit_every = 3;
  SandboxRun run(o, "page_size = 50");
  write_config(run.dir.path, run.server.base_url(), "page_size = 50", "[log]\nlevel = \"trace\"", o.token);
  auto ok = run.sync();
  CHECK(ok.exit_code == 0);
  auto status = run.gigasync({"status", "--json"});
  auto check = run.gigasync({"check"});
  CHECK(check.exit_code == 0);
  run.server.set_faults([] { sandbox::Faults f; f.forbid = true; return f; }());
  auto refused = run.sync();
  CHECK(refused.exit_code == 77);
  for (const auto* r : {&ok, &status, &check, &refused}) {
    CHECK(r->out.find(o.token) == std::string::npos);
    CHECK(r->err.find(o.token) == std::string::npos);
  }
  CHECK(ok.err.find("debug") != std::string::npos);  // the trace/debug lines were really printed
  CHECK(read_file(run.db()).find(o.token) == std::string::npos);
}

TEST_CASE("a dry run prints what the pull would change and writes nothing", "[pull]") {
  SandboxRun run(sandbox_options(50));
  REQUIRE(run.sync().exit_code == 0);
  std::string id = first_id_of_type(run, 3);
  remote_set(run.server, id, "recipient", "\"Ändrad Mottagare AB\"");
  install_write_counter(run);
  auto r = run.sync({"--dry-run"});
  INFO(r.err);
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("would update integration " + id + ": recipient") != std::string::npos);
  CHECK(run.count("SELECT count(*) FROM test_writes") == 0);
  CHECK(run.count("SELECT count(*) FROM sync_runs") == 1);
}
