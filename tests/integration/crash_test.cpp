// Exactly once under crashes: the real binary is killed with SIGKILL at random instants of pushes
// while the sandbox loses responses; afterwards no local change is lost and none was applied twice.
#include <signal.h>

#include <SQLiteCpp/SQLiteCpp.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <map>
#include <random>
#include <thread>

#include "support/sandbox_fixture.h"

using namespace gigasync;
using namespace gigasync::test;

namespace {
int rounds_from_env() {
  const char* v = std::getenv("GIGASYNC_CRASH_ROUNDS");
  return v ? std::atoi(v) : 300;
}
}  // namespace

TEST_CASE("killing gigasync at random instants of a push never loses a change and never applies one twice",
          "[push][crash]") {
  auto o = sandbox_options(80);
  SandboxRun run(o, "max_retries = 2\nconcurrency = 2");
  REQUIRE(run.sync().exit_code == 0);
  std::vector<std::string> ids;
  for (const auto& [id, obj] : run.remote())
    if (obj.get("type") == "3" && ids.size() < 12) ids.push_back(id);
  REQUIRE(ids.size() == 12);

  sandbox::Faults f;
  f.lose_response_rate = 0.3;
  f.latency_ms = 3;
  run.server.set_faults(f);
  std::mt19937 rng(20261128);
  std::map<std::string, std::string> last_written;  // id → the last value a person wrote
  SQLite::Database person(run.db(), SQLite::OPEN_READWRITE);
  person.setBusyTimeout(10000);
  int rounds = rounds_from_env(), killed_mid_run = 0;
  for (int round = 0; round < rounds; ++round) {
    const std::string& id = ids[rng() % ids.size()];
    std::string value = "Mottagare " + std::to_string(round);
    person.exec("UPDATE integrations SET recipient = '" + value + "' WHERE id = '" + id + "'");
    last_written[id] = value;
    Child sync(gigasync_binary(), {"sync", "--push-only", "-c", run.config}, {{"GIGAPAY_TOKEN", "\x01"}},
               run.dir.path, "crash");
    std::this_thread::sleep_for(std::chrono::microseconds(rng() % 60000));
    if (sync.running()) {
      sync.signal(SIGKILL);
      killed_mid_run++;
    }
    sync.wait(std::chrono::seconds(30));
  }
  INFO("rounds " << rounds << ", killed mid-run " << killed_mid_run);
  CHECK(killed_mid_run >= rounds / 3);

  run.server.set_faults({});
  RunResult last;
  for (int i = 0; i < 3; ++i) last = run.sync();
  INFO(last.err);
  REQUIRE(last.exit_code == 0);
  CHECK(run.count("SELECT count(*) FROM pending_changes WHERE state IN ('pending', 'in_flight', 'failed', 'conflict')") == 0);

  // Nothing lost: the API holds the last value written to each row, and so does the mirror.
  auto remote = run.remote();
  for (const auto& [id, value] : last_written) {
    INFO("integration " << id);
    CHECK(remote.at(id).get("recipient") == value);
  }
  CHECK(differences(run.mirror(), remote) == "");

  // Nothing twice: every key was applied at most once, and every pushed change exactly once.
  std::map<std::string, int> applied;
  for (const auto& r : run.server.requests())
    if (r.idempotency_key && r.applied) applied[*r.idempotency_key]++;
  for (const auto& [key, n] : applied) {
    INFO("key " << key);
    CHECK(n == 1);
  }
  SQLite::Database db(run.db(), SQLite::OPEN_READONLY);
  SQLite::Statement q(db, "SELECT idempotency_key FROM pending_changes WHERE state = 'done' AND last_error IS NULL OR "
                          "last_error LIKE 'done%'");
  int pushed = 0;
  while (q.executeStep()) {
    pushed++;
    CHECK(applied.count(q.getColumn(0).getString()) == 1);
  }
  CHECK(pushed > 0);
  CHECK(static_cast<size_t>(pushed) == applied.size());
}
