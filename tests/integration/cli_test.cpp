// The command line as people and scripts use it: exit codes, config errors, the lock, status.
#include <signal.h>
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <thread>

#include "gigasync/sync.h"
#include "support/sandbox_fixture.h"

using namespace gigasync;
using namespace gigasync::test;

TEST_CASE("the version and help flags exit 0 and usage errors exit 64", "[cli]") {
  auto v = run_gigasync({"--version"});
  CHECK(v.exit_code == 0);
  CHECK(v.out.find("gigasync ") != std::string::npos);
  CHECK(run_gigasync({"--help"}).exit_code == 0);
  CHECK(run_gigasync({"sync", "--help"}).exit_code == 0);
  CHECK(run_gigasync({}).exit_code == 64);
  CHECK(run_gigasync({"frobnicate"}).exit_code == 64);
  CHECK(run_gigasync({"sync", "--pull-only", "--push-only"}).exit_code == 64);
  CHECK(run_gigasync({"conflicts", "resolve", "1", "--keep", "both"}).exit_code == 64);
}

TEST_CASE("a bad config line is exit 78 naming the file and the line", "[cli][config]") {
  TempDir dir;
  auto cfg = dir.str("bad.toml");
  std::ofstream(cfg) << "[api]\nbase_url = \"http://127.0.0.1:9/v2/\"\npage_size = 0\n";
  auto r = run_gigasync({"sync", "-c", cfg}, {{"GIGAPAY_TOKEN", "t-123456"}});
  CHECK(r.exit_code == 78);
  CHECK(r.err.find(cfg + ":3") != std::string::npos);
  CHECK(r.err.find("page_size") != std::string::npos);
  std::ofstream(cfg) << "[sync]\nintervall_s = 5\n";
  auto unknown = run_gigasync({"check", "-c", cfg}, {{"GIGAPAY_TOKEN", "t-123456"}});
  CHECK(unknown.exit_code == 78);
  CHECK(unknown.err.find(cfg + ":2") != std::string::npos);
  auto missing = run_gigasync({"sync", "-c", dir.str("nope.toml")});
  CHECK(missing.exit_code == 78);
}

TEST_CASE("a token file readable by others is refused with exit 78 and the token is not shown", "[cli][config]") {
  SandboxRun run(sandbox_options(5));
  ::chmod(run.dir.str("token").c_str(), 0644);
  auto r = run.sync();
  CHECK(r.exit_code == 78);
  CHECK(r.err.find("chmod 600") != std::string::npos);
  CHECK(r.err.find("sandbox-token") == std::string::npos);
  CHECK(run.sync().exit_code == 78);
  ::chmod(run.dir.str("token").c_str(), 0600);
  CHECK(run.sync().exit_code == 0);
}

TEST_CASE("GIGAPAY_TOKEN, GIGAPAY_BASE_URL and GIGASYNC_DB override the file", "[cli][config]") {
  SandboxRun run(sandbox_options(7));
  TempDir other;
  auto cfg = write_config(other.path, "http://127.0.0.1:9/v2/", "", "", "wrong-token");
  auto r = run_gigasync({"sync", "-c", cfg}, {{"GIGAPAY_TOKEN", "sandbox-token"},
                                              {"GIGAPAY_BASE_URL", run.server.base_url()},
                                              {"GIGASYNC_DB", other.str("env.db")}});
  INFO(r.err);
  CHECK(r.exit_code == 0);
  CHECK(fs::exists(other.path / "env.db"));
  CHECK_FALSE(fs::exists(other.path / "mirror.db"));
}

TEST_CASE("a sync that meets a running cycle exits 75, or waits with --wait", "[cli][lock]") {
  SandboxRun run(sandbox_options(5));
  REQUIRE(run.sync().exit_code == 0);
  {
    auto lock = CycleLock::acquire(run.db(), 0);
    REQUIRE(lock);
    auto busy = run.sync();
    CHECK(busy.exit_code == 75);
    CHECK(busy.err.find("another gigasync cycle") != std::string::npos);
    std::thread release([l = std::move(lock.value())]() mutable {
      std::this_thread::sleep_for(std::chrono::milliseconds(700));
      l.reset();
    });
    auto waited = run.sync({"--wait", "10"});
    release.join();
    CHECK(waited.exit_code == 0);
  }
}

TEST_CASE("a killed lock holder leaves no stale lock", "[cli][lock]") {
  SandboxRun run(sandbox_options(300, 10));
  REQUIRE(run.sync().exit_code == 0);
  sandbox::Faults slow;
  slow.latency_ms = 200;
  run.server.set_faults(slow);
  Child holder(gigasync_binary(), {"sync", "-c", run.config}, {{"GIGAPAY_TOKEN", "\x01"}}, run.dir.path, "holder");
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  CHECK(run.sync().exit_code == 75);
  holder.signal(SIGKILL);
  holder.wait(std::chrono::seconds(5));
  run.server.set_faults({});
  CHECK(run.sync().exit_code == 0);
}

TEST_CASE("status prints counts for people and JSON for scripts", "[cli]") {
  SandboxRun run(sandbox_options(12));
  REQUIRE(run.sync().exit_code == 0);
  auto text = run.gigasync({"status"});
  CHECK(text.exit_code == 0);
  CHECK(text.out.find("integrations:  12") != std::string::npos);
  auto j = run.gigasync({"status", "--json"});
  CHECK(j.exit_code == 0);
  CHECK(j.out.find("\"integrations\":12") != std::string::npos);
  CHECK(j.out.find("\"status\":\"ok\"") != std::string::npos);
  auto check = run.gigasync({"check"});
  CHECK(check.exit_code == 0);
  CHECK(check.out.find("accepted the token") != std::string::npos);
}

TEST_CASE("JSON log lines are one object per line", "[cli][log]") {
  SandboxRun run(sandbox_options(5), "", "[log]\nformat = \"json\"");
  auto r = run.sync();
  REQUIRE(r.exit_code == 0);
  CHECK(r.err.rfind("{\"ts\":\"", 0) == 0);
  CHECK(r.err.find("\"level\":\"info\",\"msg\":\"full cycle ok") != std::string::npos);
}

TEST_CASE("the demo runs the whole loop and ends with a conflict listed", "[cli][demo]") {
  TempDir dir;
  auto r = run_gigasync({"demo", "--db", dir.str("demo.db")});
  INFO(r.err);
  CHECK(r.exit_code == 0);
  std::string all = r.out + r.err;
  CHECK(all.find("pushed 1;") != std::string::npos);
  CHECK(r.out.find("the API now has email = faktura@demo.se") != std::string::npos);
  CHECK(all.find("conflict on integration") != std::string::npos);
  CHECK(r.out.find("conflicts:     1 open") != std::string::npos);
}

TEST_CASE("a plain http:// base_url to another host is refused with exit 78 saying why", "[cli][config]") {
  TempDir dir;
  auto cfg = write_config(dir.path, "http://api.gigapay.se/v2/");
  auto r = run_gigasync({"check", "-c", cfg}, {{"GIGAPAY_TOKEN", "\x01"}, {"GIGAPAY_BASE_URL", "\x01"}});
  CHECK(r.exit_code == 78);
  INFO(r.err);
  CHECK(r.err.find("unencrypted") != std::string::npos);
  CHECK(r.err.find("allow_insecure_http") != std::string::npos);
  CHECK(r.err.find("sandbox-token") == std::string::npos);
  CHECK_FALSE(fs::exists(dir.path / "mirror.db"));  // refused before anything is touched
}
