// [metrics] listen, end to end: the real `gigasync daemon` against the in-process sandbox, asked
// for /metrics and /healthz over loopback HTTP. Test names start with "daemon: metrics listen:"
// (scripts/test.sh runs them under ThreadSanitizer too: the daemon's listener threads).
#include <arpa/inet.h>
#include <httplib.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <thread>

#include "support/sandbox_fixture.h"

using namespace gigasync;
using namespace gigasync::test;
using namespace std::chrono_literals;

namespace {

// A socket bound and listening on 127.0.0.1 at an ephemeral port (closed on destruction). Its
// port is taken while it lives, and was free a moment before when released early.
struct PortHolder {
  PortHolder() {
    fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    REQUIRE(::listen(fd, 1) == 0);
    socklen_t len = sizeof a;
    REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0);
    port = ntohs(a.sin_port);
  }
  ~PortHolder() { release(); }
  void release() {
    if (fd >= 0) ::close(fd);
    fd = -1;
  }
  int fd = -1;
  int port = 0;
};

struct Answer {
  int status = 0;  // 0: no answer (nothing listening)
  std::string body, content_type;
};

Answer http(int port, const std::string& method, const std::string& path) {
  httplib::Client cli("127.0.0.1", port);
  cli.set_connection_timeout(2, 0);
  cli.set_read_timeout(5, 0);
  httplib::Result res = method == "GET" ? cli.Get(path.c_str()) : cli.Post(path.c_str(), "x", "text/plain");
  if (!res) return {};
  return {res->status, res->body, res->get_header_value("Content-Type")};
}

// Prometheus text: the sample lines by name (with labels), and checks of the comment lines.
std::map<std::string, std::string> samples(const std::string& text) {
  std::map<std::string, std::string> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    auto space = line.rfind(' ');
    if (space != std::string::npos) out[line.substr(0, space)] = line.substr(space + 1);
  }
  return out;
}

bool has_line(const std::string& text, const std::string& line) {
  return ("\n" + text).find("\n" + line + "\n") != std::string::npos;
}

constexpr const char* kSync = "[sync]\ninterval_s = 3600\njitter_s = 0\npush_delay_s = 0.5\n";

// The sandbox, a config with [metrics] listen on a free loopback port and the textfile, and the
// daemon (token from the token file, as under systemd).
struct MetricsDaemon {
  explicit MetricsDaemon(int seed, const std::string& sync = kSync) : run(sandbox_options(seed), "max_retries = 0", sync) {
    PortHolder probe;
    port = probe.port;
    probe.release();
    textfile = run.dir.str("gigasync.prom");
    std::ofstream(run.config, std::ios::app) << "[metrics]\nfile = \"" << textfile << "\"\nlisten = \"127.0.0.1:"
                                             << port << "\"\n";
  }
  ~MetricsDaemon() {
    if (daemon && daemon->running()) {
      daemon->signal(SIGTERM);
      daemon->wait(10s);
    }
  }
  void start() {
    Env e{{"GIGAPAY_TOKEN", "\x01"}, {"GIGASYNC_DB", "\x01"}, {"GIGAPAY_BASE_URL", "\x01"},
          {"GIGASYNC_CONFIG", "\x01"}, {"CREDENTIALS_DIRECTORY", "\x01"}, {"NOTIFY_SOCKET", "\x01"},
          {"WATCHDOG_USEC", "\x01"}, {"WATCHDOG_PID", "\x01"}, {"JOURNAL_STREAM", "\x01"}};
    daemon = std::make_unique<Child>(gigasync_binary(), std::vector<std::string>{"daemon", "-c", run.config}, e,
                                     run.dir.path, "daemon");
  }
  Answer get(const std::string& path) const { return http(port, "GET", path); }
  // Waits until /healthz answers `status`; returns the last answer.
  Answer health_becomes(int status, std::chrono::milliseconds timeout = 30s) {
    Answer last;
    eventually([&] { return (last = get("/healthz")).status == status; }, timeout);
    return last;
  }
  void set_faults(double error_rate, int latency_ms) {
    auto f = run.server.faults();
    f.error_rate = error_rate;
    f.latency_ms = latency_ms;
    run.server.set_faults(f);
  }

  SandboxRun run;
  int port = 0;
  std::string textfile;
  std::unique_ptr<Child> daemon;
};

}  // namespace

TEST_CASE("daemon: metrics listen: /healthz is 503 before the first cycle, then /metrics and /healthz match the database",
          "[daemon][metrics]") {
  MetricsDaemon d(25);
  d.set_faults(0, 1500);  // the first cycle takes over 1.5 s: time to ask before it ends
  d.start();
  Answer before;
  REQUIRE(eventually([&] { return (before = d.get("/healthz")).status != 0; }, 15s));
  INFO(d.daemon->err());
  CHECK(before.status == 503);
  CHECK(before.content_type == "application/json");
  CHECK(before.body.find("\"status\":\"unhealthy\"") != std::string::npos);
  CHECK(before.body.find("no full sync cycle has finished since the daemon started") != std::string::npos);
  auto early = d.get("/metrics");  // served from the start, before any cycle
  CHECK(early.status == 200);
  CHECK(early.body.find("gigasync_last_cycle_success") == std::string::npos);
  d.set_faults(0, 0);

  auto ok = d.health_becomes(200);
  INFO(d.daemon->err());
  REQUIRE(ok.status == 200);
  CHECK(ok.body.find("\"status\":\"ok\"") != std::string::npos);
  CHECK(ok.body.find("\"interval_s\":3600") != std::string::npos);
  CHECK(ok.body.find("\"last_success\":\"") != std::string::npos);
  CHECK(ok.body.find("\"push_paused\":false") != std::string::npos);

  auto m = d.get("/metrics");
  REQUIRE(m.status == 200);
  CHECK(m.content_type.rfind("text/plain; version=0.0.4", 0) == 0);
  INFO(m.body);
  for (const char* gauge : {"gigasync_integrations", "gigasync_last_success_timestamp_seconds", "gigasync_pending_changes",
                            "gigasync_open_conflicts", "gigasync_last_cycle_success"}) {
    CHECK(has_line(m.body, std::string("# TYPE ") + gauge + " gauge"));
    CHECK(m.body.find(std::string("# HELP ") + gauge + " ") != std::string::npos);
  }
  for (const char* counter : {"gigasync_changes_total", "gigasync_cycles_total", "gigasync_pushes_total",
                              "gigasync_cycle_failures_total"}) {
    CHECK(has_line(m.body, std::string("# TYPE ") + counter + " counter"));
  }
  auto v = samples(m.body);
  CHECK(v.at("gigasync_integrations") == std::to_string(d.run.count("SELECT count(*) FROM integrations")));
  CHECK(v.at("gigasync_integrations") == "25");
  CHECK(v.at("gigasync_changes_total{kind=\"inserted\"}") == "25");
  CHECK(v.at("gigasync_cycles_total") ==
        std::to_string(d.run.count("SELECT count(*) FROM sync_runs WHERE status <> 'running'")));
  CHECK(v.at("gigasync_last_success_timestamp_seconds") ==
        std::to_string(d.run.count("SELECT CAST(strftime('%s', max(finished_at)) AS INTEGER) FROM sync_runs "
                                   "WHERE status = 'ok'")));
  CHECK(v.at("gigasync_last_cycle_success") == "1");

  // The textfile holds the same text.
  REQUIRE(eventually([&] { return std::filesystem::exists(d.textfile); }, 5s));
  CHECK(read_file(d.textfile) == m.body);

  // Other paths and methods; nothing secret in either body.
  CHECK(d.get("/").status == 404);
  CHECK(d.get("/metrics.json").status == 404);
  CHECK(http(d.port, "POST", "/metrics").status == 405);
  for (const auto& body : {ok.body, m.body}) {
    CHECK(body.find("sandbox-token") == std::string::npos);
    CHECK(body.find(d.run.server.base_url()) == std::string::npos);
  }
  CHECK(d.daemon->err().find("info: metrics: serving /metrics and /healthz on http://127.0.0.1:" +
                             std::to_string(d.port) + "/") != std::string::npos);

  d.daemon->signal(SIGTERM);
  CHECK(d.daemon->wait(5s) == 0);
  CHECK(d.get("/healthz").status == 0);  // the listener closed with the daemon
}

TEST_CASE("daemon: metrics listen: /healthz is 503 naming the error class while the API fails, 200 once it is back",
          "[daemon][metrics]") {
  MetricsDaemon d(10);
  d.start();
  REQUIRE(d.health_becomes(200).status == 200);
  d.set_faults(1.0, 0);  // every API request answered 502/503
  d.daemon->signal(SIGUSR1);
  auto down = d.health_becomes(503);
  INFO(d.daemon->err());
  REQUIRE(down.status == 503);
  CHECK(down.body.find("\"status\":\"unhealthy\"") != std::string::npos);
  CHECK(down.body.find("\"error_class\":\"api_unavailable\"") != std::string::npos);
  CHECK(down.body.find("\"exit_code\":69") != std::string::npos);
  CHECK(down.body.find("the last full sync cycle failed") != std::string::npos);
  CHECK(down.body.find("\"last_success\":\"") != std::string::npos);  // the earlier good cycle
  auto v = samples(d.get("/metrics").body);
  CHECK(v["gigasync_last_cycle_success"] == "0");
  CHECK(v["gigasync_cycle_failures_total"] == "1");
  CHECK(down.body.find(d.run.server.base_url()) == std::string::npos);

  d.set_faults(0, 0);
  d.daemon->signal(SIGUSR1);
  auto back = d.health_becomes(200);
  CHECK(back.status == 200);
  CHECK(back.body.find("\"status\":\"ok\"") != std::string::npos);

  // Paused pushing is not unhealthy, but /healthz says so.
  auto paused = d.run.gigasync({"pause"});
  INFO(paused.err);
  REQUIRE(paused.exit_code == 0);
  d.daemon->signal(SIGUSR1);
  Answer p;
  CHECK(eventually([&] { return (p = d.get("/healthz")).body.find("\"push_paused\":true") != std::string::npos; }));
  CHECK(p.status == 200);
  CHECK(samples(d.get("/metrics").body)["gigasync_push_paused"] == "1");

  // The sandbox stopped altogether (connection refused): 503, the same class.
  d.run.server.stop();
  d.daemon->signal(SIGUSR1);
  auto gone = d.health_becomes(503);
  CHECK(gone.status == 503);
  CHECK(gone.body.find("\"error_class\":\"api_unavailable\"") != std::string::npos);
  CHECK(samples(d.get("/metrics").body)["gigasync_cycle_failures_total"] == "2");
  d.daemon->signal(SIGTERM);
  CHECK(d.daemon->wait(5s) == 0);  // under ThreadSanitizer a report would make it 66
  CHECK(d.daemon->err().find("ThreadSanitizer") == std::string::npos);
}

TEST_CASE("daemon: metrics listen: a bad address or one in use stops the start with exit 78 naming it",
          "[daemon][metrics]") {
  {
    MetricsDaemon d(3);
    std::string text = read_file(d.run.config);
    text = text.substr(0, text.find("[metrics]")) + "[metrics]\nlisten = \"localhost\"\n";
    std::ofstream(d.run.config, std::ios::trunc) << text;
    d.start();
    CHECK(d.daemon->wait(20s) == 78);
    INFO(d.daemon->err());
    CHECK(d.daemon->err().find("gigasync.toml:") != std::string::npos);
    CHECK(d.daemon->err().find("metrics.listen must be \"HOST:PORT\"") != std::string::npos);
    CHECK(d.daemon->err().find("got \"localhost\"") != std::string::npos);
  }
  {
    PortHolder taken;
    MetricsDaemon d(3);
    std::string text = read_file(d.run.config);
    text = text.substr(0, text.find("[metrics]")) + "[metrics]\nlisten = \"127.0.0.1:" + std::to_string(taken.port) + "\"\n";
    std::ofstream(d.run.config, std::ios::trunc) << text;
    d.start();
    CHECK(d.daemon->wait(20s) == 78);
    INFO(d.daemon->err());
    CHECK(d.daemon->err().find("daemon not started: metrics.listen 127.0.0.1:" + std::to_string(taken.port) +
                               ": can not listen there: Address already in use") != std::string::npos);
    CHECK(d.run.count("SELECT count(*) FROM sync_runs") == 0);  // no cycle ran
  }
}
