// SIGINT and SIGTERM for the one-shot commands that write (`sync`, `changes retry|discard`,
// `conflicts resolve`), SIGPIPE ignored, and run rows never left `running` by a dead process.
#include <signal.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <functional>
#include <thread>

#include "support/sandbox_fixture.h"

using namespace gigasync;
using namespace gigasync::test;
using namespace std::chrono_literals;

namespace {

// `gigasync ARGS -c CONFIG` in the background, as cron or a person at a terminal starts it.
std::unique_ptr<Child> start(SandboxRun& run, std::vector<std::string> args, const std::string& name) {
  Env e{{"GIGAPAY_TOKEN", "\x01"},          {"GIGAPAY_BASE_URL", "\x01"}, {"GIGASYNC_DB", "\x01"},
        {"GIGASYNC_CONFIG", "\x01"},        {"CREDENTIALS_DIRECTORY", "\x01"},
        {"GIGASYNC_TEST_BACKOFF_MS", "20"}, {"JOURNAL_STREAM", "\x01"}};
  args.push_back("-c");
  args.push_back(run.config);
  return std::make_unique<Child>(gigasync_binary(), args, e, run.dir.path, name);
}

void set_latency(SandboxRun& run, int ms) {
  auto f = run.server.faults();
  f.latency_ms = ms;
  run.server.set_faults(f);
}

bool cycle_running(SandboxRun& run) {
  if (!fs::exists(run.db())) return false;  // not created yet
  try {
    return run.count("SELECT count(*) FROM sync_runs WHERE status = 'running'") > 0;
  } catch (const std::exception&) {
    return false;  // the schema is still being made
  }
}

// The SigIgn mask of a process, from /proc.
unsigned long long ignored_signals(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("SigIgn:", 0) == 0) return std::stoull(line.substr(7), nullptr, 16);
  return 0;
}

std::vector<std::string> custom_ids(SandboxRun& run, std::size_t n) {
  std::vector<std::string> ids;
  for (const auto& [id, o] : run.remote())
    if (o.get("type") == "3" && ids.size() < n) ids.push_back(id);
  return ids;
}

}  // namespace

TEST_CASE("sync: SIGINT mid-pull exits 130, the run is 'interrupted', the mirror is as before", "[signals]") {
  SandboxRun run(sandbox_options(20), "page_size = 2\nconcurrency = 1");
  REQUIRE(run.sync().exit_code == 0);
  auto before = run.mirror();
  std::string id = custom_ids(run, 1).at(0);
  remote_set(run.server, id, "city", "\"Kiruna\"");
  set_latency(run, 1000);  // 10 pages at 1 s each
  auto sync = start(run, {"sync"}, "sync");
  REQUIRE(eventually([&] { return cycle_running(run); }));
  CHECK((ignored_signals(sync->pid()) & (1ULL << (SIGPIPE - 1))) != 0);  // SIGPIPE ignored process-wide
  auto t0 = std::chrono::steady_clock::now();
  sync->signal(SIGINT);
  CHECK(sync->wait(5s) == 130);
  CHECK(std::chrono::steady_clock::now() - t0 < 5s);
  INFO(sync->err());
  CHECK(sync->err().find("interrupted by SIGINT") != std::string::npos);
  CHECK(run.count("SELECT count(*) FROM sync_runs WHERE status = 'running'") == 0);
  CHECK(run.text("SELECT status FROM sync_runs ORDER BY id DESC LIMIT 1") == "interrupted");
  CHECK(run.text("SELECT error FROM sync_runs ORDER BY id DESC LIMIT 1").rfind("interrupted by SIGINT", 0) == 0);
  CHECK(differences(run.mirror(), before).empty());  // the pull writes all or nothing
  set_latency(run, 0);
  REQUIRE(run.sync().exit_code == 0);
  CHECK(run.mirror().at(id).get("city") == std::optional<std::string>("Kiruna"));
}

TEST_CASE("sync: SIGTERM mid-push exits 143; pushed changes stay done, the rest wait with their keys", "[signals]") {
  SandboxRun run(sandbox_options(12), "concurrency = 1");
  REQUIRE(run.sync().exit_code == 0);
  auto ids = custom_ids(run, 5);
  REQUIRE(ids.size() == 5);
  for (const auto& id : ids) run.exec("UPDATE integrations SET email = 'sig-" + id + "@example.se' WHERE id = '" + id + "'");
  std::string keys_before = run.text("SELECT group_concat(idempotency_key, ',') FROM pending_changes ORDER BY id");
  set_latency(run, 600);  // a GET and a PATCH per change: about 1.2 s each
  auto sync = start(run, {"sync", "--push-only"}, "push");
  REQUIRE(eventually([&] { return run.count("SELECT count(*) FROM pending_changes WHERE state = 'done'") >= 1; }));
  sync->signal(SIGTERM);
  CHECK(sync->wait(5s) == 143);
  INFO(sync->err());
  CHECK(run.text("SELECT status FROM sync_runs ORDER BY id DESC LIMIT 1") == "interrupted");
  long long done = run.count("SELECT count(*) FROM pending_changes WHERE state = 'done'");
  CHECK(done >= 1);
  CHECK(done < 5);
  for (const auto& id : ids) {  // what was pushed is in the API and settled in the mirror
    bool pushed = run.count("SELECT count(*) FROM pending_changes WHERE state = 'done' AND integration_id = '" + id + "'") == 1;
    if (pushed) CHECK(run.remote().at(id).get("email") == std::optional<std::string>("sig-" + id + "@example.se"));
  }
  CHECK(run.text("SELECT group_concat(idempotency_key, ',') FROM pending_changes ORDER BY id") == keys_before);
  set_latency(run, 0);
  auto again = run.sync();
  INFO(again.err);
  CHECK(again.exit_code == 0);
  for (const auto& id : ids) CHECK(run.remote().at(id).get("email") == std::optional<std::string>("sig-" + id + "@example.se"));
  CHECK(run.count("SELECT count(*) FROM pending_changes WHERE state IN ('pending', 'in_flight', 'failed', 'conflict')") == 0);
}

TEST_CASE("a run left 'running' by a killed sync is marked 'abandoned' by the next cycle", "[signals]") {
  SandboxRun run(sandbox_options(10), "page_size = 2\nconcurrency = 1");
  set_latency(run, 1000);
  auto sync = start(run, {"sync"}, "killed");
  REQUIRE(eventually([&] { return cycle_running(run); }));
  sync->signal(SIGKILL);
  sync->wait(5s);
  CHECK(run.count("SELECT count(*) FROM sync_runs WHERE status = 'running'") == 1);
  set_latency(run, 0);
  auto next = run.sync();
  INFO(next.err);
  CHECK(next.exit_code == 0);
  CHECK(next.err.find("abandoned") != std::string::npos);
  CHECK(run.count("SELECT count(*) FROM sync_runs WHERE status = 'running'") == 0);
  CHECK(run.count("SELECT count(*) FROM sync_runs WHERE status = 'abandoned' AND finished_at IS NOT NULL "
                  "AND error LIKE 'abandoned: %'") == 1);
  CHECK(run.text("SELECT status FROM sync_runs ORDER BY id DESC LIMIT 1") == "ok");
}

TEST_CASE("changes retry and conflicts resolve waiting for the lock stop on SIGTERM (143) and SIGINT (130)", "[signals]") {
  SandboxRun run(sandbox_options(10), "page_size = 2\nconcurrency = 1");
  REQUIRE(run.sync().exit_code == 0);
  set_latency(run, 1000);
  auto holder = start(run, {"sync"}, "holder");
  REQUIRE(eventually([&] { return cycle_running(run); }));
  auto retry = start(run, {"changes", "retry", "1"}, "retry");
  auto resolve = start(run, {"conflicts", "resolve", "1", "--keep", "local"}, "resolve");
  std::this_thread::sleep_for(700ms);  // both wait for the cycle lock
  CHECK(retry->running());
  CHECK(resolve->running());
  retry->signal(SIGTERM);
  resolve->signal(SIGINT);
  CHECK(retry->wait(3s) == 143);
  CHECK(resolve->wait(3s) == 130);
  CHECK(retry->err().find("interrupted by SIGTERM while waiting for the cycle lock") != std::string::npos);
  CHECK(resolve->err().find("interrupted by SIGINT") != std::string::npos);
  holder->signal(SIGTERM);
  CHECK(holder->wait(5s) == 143);
}
