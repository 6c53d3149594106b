// The metrics: numbers from a real SQLite file (store/metrics_snapshot), the Prometheus text made
// by prometheus-cpp (ops/metrics_text), /healthz's answers, metrics.listen, and the listener's
// routing and binding (ops/metrics_http; tests named "daemon metrics listener: ..." start its
// threads and run under ThreadSanitizer with the other "unit: daemon..." tests).
#include <SQLiteCpp/SQLiteCpp.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <sstream>

#include "gigasync/config.h"
#include "gigasync/metrics.h"
#include "gigasync/store.h"
#include "gigasync/metrics_http.h"
#include "gigasync/metrics_text.h"
#include "gigasync/metrics_snapshot.h"
#include "support/process.h"

using namespace gigasync;
using gigasync::test::free_port;
using gigasync::test::TempDir;

namespace {

// Every sample line "name{labels} value" of a Prometheus text, by its name with labels.
std::map<std::string, std::string> samples(const std::string& text) {
  std::map<std::string, std::string> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    auto space = line.rfind(' ');
    REQUIRE(space != std::string::npos);
    out[line.substr(0, space)] = line.substr(space + 1);
  }
  return out;
}

bool has_line(const std::string& text, const std::string& line) {
  return ("\n" + text).find("\n" + line + "\n") != std::string::npos;
}

void add_run(SQLite::Database& db, const std::string& status, const std::string& started, const std::string& finished,
             int inserted, int pushed, int diverged = 0) {
  SQLite::Statement q(db, "INSERT INTO sync_runs (started_at, finished_at, mode, status, inserted, updated, deleted, "
                          "pushed, push_failed, diverged) VALUES (?, ?, 'full', ?, ?, 1, 2, ?, 1, ?)");
  q.bind(1, started);
  if (finished.empty()) q.bind(2);
  else q.bind(2, finished);
  q.bind(3, status);
  q.bind(4, inserted);
  q.bind(5, pushed);
  q.bind(6, diverged);
  q.exec();
}

void add_change(SQLite::Database& db, const std::string& state, int n) {
  SQLite::Statement q(db, "INSERT INTO pending_changes (integration_id, op, idempotency_key, state) VALUES ('x', 'update', ?, ?)");
  q.bind(1, state + std::to_string(n));
  q.bind(2, state);
  q.exec();
}

}  // namespace

TEST_CASE("metrics text: every metric has HELP and TYPE, counters as counters, gauges as gauges", "[metrics]") {
  store::MetricsSnapshot s;
  s.last_success_unix = 1700000000;
  s.last_cycle_duration_s = 1.5;
  s.integrations = 123456;
  s.open_conflicts = 2;
  s.pending_changes = 3;
  s.failed_changes = 4;
  s.push_paused = true;
  s.cycles = 10;
  s.cycle_failures = 1;
  s.inserted = 100;
  s.updated = 7;
  s.deleted = 5;
  s.pushed = 9;
  s.push_failed = 6;
  s.diverged = 8;
  const std::string text = ops::render_metrics(s, true);
  INFO(text);
  const std::vector<std::pair<std::string, std::string>> types = {
      {"gigasync_last_success_timestamp_seconds", "gauge"}, {"gigasync_last_cycle_duration_seconds", "gauge"},
      {"gigasync_last_cycle_success", "gauge"},             {"gigasync_integrations", "gauge"},
      {"gigasync_changes_total", "counter"},                {"gigasync_pushes_total", "counter"},
      {"gigasync_push_failures_total", "counter"},          {"gigasync_cycle_failures_total", "counter"},
      {"gigasync_self_check_violations_total", "counter"},  {"gigasync_cycles_total", "counter"},
      {"gigasync_open_conflicts", "gauge"},                 {"gigasync_pending_changes", "gauge"},
      {"gigasync_failed_changes", "gauge"},                 {"gigasync_push_paused", "gauge"}};
  for (const auto& [name, type] : types) {
    CHECK(has_line(text, "# TYPE " + name + " " + type));
    CHECK(text.find("# HELP " + name + " ") != std::string::npos);
  }
  auto v = samples(text);
  CHECK(v.at("gigasync_last_success_timestamp_seconds") == "1700000000");
  CHECK(v.at("gigasync_last_cycle_duration_seconds") == "1.5");
  CHECK(v.at("gigasync_last_cycle_success") == "1");
  CHECK(v.at("gigasync_integrations") == "123456");
  CHECK(v.at("gigasync_changes_total{kind=\"inserted\"}") == "100");
  CHECK(v.at("gigasync_changes_total{kind=\"updated\"}") == "7");
  CHECK(v.at("gigasync_changes_total{kind=\"deleted\"}") == "5");
  CHECK(v.at("gigasync_pushes_total") == "9");
  CHECK(v.at("gigasync_push_failures_total") == "6");
  CHECK(v.at("gigasync_cycle_failures_total") == "1");
  CHECK(v.at("gigasync_self_check_violations_total") == "8");
  CHECK(v.at("gigasync_cycles_total") == "10");
  CHECK(v.at("gigasync_open_conflicts") == "2");
  CHECK(v.at("gigasync_pending_changes") == "3");
  CHECK(v.at("gigasync_failed_changes") == "4");
  CHECK(v.at("gigasync_push_paused") == "1");
  CHECK(v.size() == 16);

  // Before any cycle the daemon leaves gigasync_last_cycle_success out; after a failure it is 0.
  CHECK(ops::render_metrics(s, std::nullopt).find("gigasync_last_cycle_success") == std::string::npos);
  CHECK(samples(ops::render_metrics(s, false)).at("gigasync_last_cycle_success") == "0");
}

TEST_CASE("metrics snapshot: the numbers match the database", "[metrics][store]") {
  TempDir dir;
  auto store = Store::open(dir.str("mirror.db"));
  REQUIRE(store.ok());
  auto empty = store::metrics_snapshot(*store.value());
  REQUIRE(empty.ok());
  CHECK(empty.value() == store::MetricsSnapshot{});  // a new mirror: all zero, nothing paused
  {
    SQLite::Database db(dir.str("mirror.db"), SQLite::OPEN_READWRITE);
    db.exec("PRAGMA foreign_keys = OFF");
    add_run(db, "ok", "2024-01-01T10:00:00.000Z", "2024-01-01T10:00:02.000Z", 10, 1);
    add_run(db, "partial", "2024-01-01T11:00:00.000Z", "2024-01-01T11:00:01.000Z", 5, 2, 1);
    add_run(db, "failed", "2024-01-01T12:00:00.000Z", "2024-01-01T12:00:00.250Z", 0, 0);
    add_run(db, "running", "2024-01-01T13:00:00.000Z", "", 0, 0);
    add_change(db, "pending", 1);
    add_change(db, "in_flight", 2);
    add_change(db, "failed", 3);
    add_change(db, "done", 4);
    add_change(db, "conflict", 5);
    db.exec("INSERT INTO conflicts (integration_id, field) VALUES ('x', 'name'), ('y', 'city')");
    db.exec("INSERT INTO conflicts (integration_id, field, resolved_at) VALUES ('z', 'name', '2024-01-02')");
    db.exec("INSERT INTO gigasync_state (key, value) VALUES ('push_paused', '1')");
    // gigasync's own writes (applying = 1) are not captured: three rows in the mirror, no outbox rows.
    db.exec("BEGIN; UPDATE gigasync_control SET applying = 1;"
            "INSERT INTO integrations (id, name, type, metadata) VALUES ('a', 'A', 3, '{}'), ('b', 'B', 3, '{}'), "
            "('c', 'C', 3, '{}'); UPDATE gigasync_control SET applying = 0; COMMIT");
  }
  auto snap = store::metrics_snapshot(*store.value());
  REQUIRE(snap.ok());
  const auto& s = snap.value();
  CHECK(s.last_success_unix == 1704106801);  // 2024-01-01T11:00:01Z, the partial run
  CHECK(s.last_cycle_duration_s == Approx(0.25).margin(0.001));  // the failed run, the newest finished
  CHECK(s.integrations == 3);
  CHECK(s.open_conflicts == 2);
  CHECK(s.pending_changes == 2);  // pending and in_flight
  CHECK(s.failed_changes == 1);
  CHECK(s.push_paused);
  CHECK(s.cycles == 3);  // not the running one
  CHECK(s.cycle_failures == 1);
  CHECK(s.inserted == 15);
  CHECK(s.updated == 4);
  CHECK(s.deleted == 8);
  CHECK(s.pushed == 3);
  CHECK(s.push_failed == 4);
  CHECK(s.diverged == 1);
}

TEST_CASE("metrics textfile: write_metrics writes the text atomically, and nothing when file is empty", "[metrics]") {
  TempDir dir;
  auto store = Store::open(dir.str("mirror.db"));
  REQUIRE(store.ok());
  Config cfg;
  write_metrics(cfg, *store.value(), nullptr);
  for (const auto& entry : std::filesystem::directory_iterator(dir.path)) {
    CHECK(entry.path().filename().string().rfind("mirror.db", 0) == 0);  // only the database's files
  }
  cfg.metrics.file = dir.str("gigasync.prom");
  SyncReport report;
  write_metrics(cfg, *store.value(), &report);
  auto text = test::read_file(cfg.metrics.file);
  CHECK(has_line(text, "# TYPE gigasync_cycles_total counter"));
  CHECK(has_line(text, "gigasync_last_cycle_success 1"));
  CHECK(has_line(text, "gigasync_integrations 0"));
  CHECK_FALSE(std::filesystem::exists(cfg.metrics.file + ".tmp"));
  write_metrics(cfg, *store.value(), nullptr);  // after a failed cycle
  CHECK(has_line(test::read_file(cfg.metrics.file), "gigasync_last_cycle_success 0"));
}

TEST_CASE("healthz: 200 while the last full cycle is good and recent, 503 with the reason otherwise", "[metrics]") {
  using namespace std::chrono_literals;
  const auto now = ops::WallClock::now();
  ops::HealthState h;
  h.interval_s = 60;

  auto never = ops::health_answer(h, now);
  CHECK(never.status == 503);
  CHECK(never.content_type == "application/json");
  CHECK(never.body.find("\"status\":\"unhealthy\"") != std::string::npos);
  CHECK(never.body.find("\"reason\":\"no full sync cycle has finished since the daemon started\"") != std::string::npos);
  CHECK(never.body.find("\"last_success\":null") != std::string::npos);

  h.last = ops::HealthState::Last::ok;
  h.last_success = now - 170s;
  auto ok = ops::health_answer(h, now);
  CHECK(ok.status == 200);
  CHECK(ok.body.find("\"status\":\"ok\"") != std::string::npos);
  CHECK(ok.body.find("\"age_s\":170") != std::string::npos);
  CHECK(ok.body.find("\"interval_s\":60") != std::string::npos);
  CHECK(ok.body.find("\"last_success\":\"20") != std::string::npos);  // ISO 8601
  CHECK(ok.body.find("reason") == std::string::npos);

  h.push_paused = true;  // paused is not unhealthy, but says so
  auto paused = ops::health_answer(h, now);
  CHECK(paused.status == 200);
  CHECK(paused.body.find("\"push_paused\":true") != std::string::npos);
  CHECK(paused.body.find("paused") != std::string::npos);
  h.push_paused = false;

  h.last_success = now - 181s;  // more than 3 × 60 s
  auto old = ops::health_answer(h, now);
  CHECK(old.status == 503);
  CHECK(old.body.find("ended 181 s ago, more than 3 x interval_s (180 s)") != std::string::npos);

  h.last_success = now - 5s;
  h.last = ops::HealthState::Last::failed;  // a recent success does not hide a failed last cycle
  h.failure = ExitCode::unavailable;
  auto failed = ops::health_answer(h, now);
  CHECK(failed.status == 503);
  CHECK(failed.body.find("\"error_class\":\"api_unavailable\"") != std::string::npos);
  CHECK(failed.body.find("\"exit_code\":69") != std::string::npos);
  CHECK(failed.body.find("the last full sync cycle failed: the API stayed unreachable") != std::string::npos);
  CHECK(failed.body.find("\"age_s\":5") != std::string::npos);
  CHECK(std::string(ops::error_class(ExitCode::auth)) == "auth");
}

TEST_CASE("metrics.listen: HOST:PORT with an IP address, or empty; anything else is exit 78 naming the key", "[metrics][config]") {
  auto v4 = parse_listen_address("127.0.0.1:9464");
  REQUIRE(v4);
  CHECK(v4->host == "127.0.0.1");
  CHECK(v4->port == 9464);
  CHECK(v4->loopback);
  CHECK(v4->text() == "127.0.0.1:9464");
  auto v6 = parse_listen_address("[::1]:9464");
  REQUIRE(v6);
  CHECK(v6->host == "::1");
  CHECK(v6->loopback);
  CHECK(v6->text() == "[::1]:9464");
  CHECK(parse_listen_address("localhost:9464")->host == "127.0.0.1");
  CHECK_FALSE(parse_listen_address("0.0.0.0:9464")->loopback);  // all interfaces, said explicitly
  CHECK_FALSE(parse_listen_address("[::]:9464")->loopback);
  CHECK_FALSE(parse_listen_address("10.1.2.3:80")->loopback);
  for (const char* bad : {"9464", ":9464", "127.0.0.1", "127.0.0.1:", "127.0.0.1:0", "127.0.0.1:65536",
                          "127.0.0.1:09464", "127.0.0.1:94a", "::1:9464", "[::1]", "[nope]:9464",
                          "example.com:9464", "127.0.0.1:9464 ", " 127.0.0.1:9464", "127.0.0.1:+9"}) {
    INFO(bad);
    CHECK_FALSE(parse_listen_address(bad));
  }

  auto cfg = parse_config("[metrics]\nlisten = \"[::1]:9464\"\n", "gigasync.toml");
  REQUIRE(cfg.ok());
  CHECK(cfg->metrics.listen == "[::1]:9464");
  CHECK(parse_config("", "gigasync.toml")->metrics.listen.empty());  // off by default
  auto bad = parse_config("[metrics]\nfile = \"\"\nlisten = \"example.com:9464\"\n", "gigasync.toml");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().code == ExitCode::config);
  CHECK(bad.error().message ==
        "gigasync.toml:3: metrics.listen must be \"HOST:PORT\" with HOST an IP address (e.g. \"127.0.0.1:9464\", "
        "\"[::1]:9464\"), or \"\" for off, got \"example.com:9464\"");
  CHECK_FALSE(parse_config("[metrics]\nlisten = 9464\n", "gigasync.toml").ok());
}

TEST_CASE("daemon metrics listener: routes, and an address in use is a config error naming it", "[metrics][daemon]") {
  const int port = free_port();
  const std::string listen = "127.0.0.1:" + std::to_string(port);
  auto server = ops::MetricsServer::start(listen);
  REQUIRE(server.ok());
  auto& s = *server.value();
  CHECK(s.port() == port);
  CHECK(s.answer("GET", "/metrics").status == 503);  // nothing published yet
  s.publish_metrics("# HELP x y\n# TYPE x gauge\nx 1\n");
  auto m = s.answer("GET", "/metrics");
  CHECK(m.status == 200);
  CHECK(m.content_type.rfind("text/plain; version=0.0.4", 0) == 0);
  CHECK(m.body == "# HELP x y\n# TYPE x gauge\nx 1\n");
  CHECK(s.answer("HEAD", "/metrics").status == 200);
  CHECK(s.answer("GET", "/healthz").status == 503);  // never run
  ops::HealthState h;
  h.last = ops::HealthState::Last::ok;
  h.last_success = ops::WallClock::now();
  s.publish_health(h);
  CHECK(s.answer("GET", "/healthz").status == 200);
  CHECK(s.answer("GET", "/").status == 404);
  CHECK(s.answer("GET", "/metrics/").status == 404);
  CHECK(s.answer("POST", "/metrics").status == 405);
  CHECK(s.answer("DELETE", "/healthz").status == 405);
  CHECK(s.answer("POST", "/nothing").status == 404);

  auto second = ops::MetricsServer::start(listen);
  REQUIRE_FALSE(second.ok());
  CHECK(second.error().code == ExitCode::config);
  CHECK(second.error().message == "metrics.listen " + listen + ": can not listen there: Address already in use");
  CHECK_FALSE(ops::MetricsServer::start("nonsense").ok());
}
