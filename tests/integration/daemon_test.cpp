// `gigasync daemon`, end to end: the real binary against the in-process sandbox API, with this
// test playing systemd's part (NOTIFY_SOCKET, WATCHDOG_USEC) and sending the signals.
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <poll.h>
#include <unistd.h>

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

// A unix datagram socket standing in for systemd's notify socket. Collects every assignment
// ("READY=1", "STATUS=...") in arrival order.
class NotifySocket {
 public:
  explicit NotifySocket(const fs::path& path) : path_(path.string()) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    REQUIRE(path_.size() < sizeof addr.sun_path);
    path_.copy(addr.sun_path, path_.size());
    REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  }
  ~NotifySocket() { ::close(fd_); }
  const std::string& path() const { return path_; }

  // Waits up to `timeout` for an assignment starting with `prefix`, counting from index `from`.
  // Returns its index, or -1.
  long wait_for(const std::string& prefix, std::chrono::milliseconds timeout, std::size_t from = 0) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      for (std::size_t i = from; i < got_.size(); ++i)
        if (got_[i].rfind(prefix, 0) == 0) return static_cast<long>(i);
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return -1;
      receive(left);
    }
  }
  void drain() { receive(0ms); }
  const std::vector<std::string>& got() const { return got_; }
  std::size_t count(const std::string& line) const {
    return static_cast<std::size_t>(std::count(got_.begin(), got_.end(), line));
  }

 private:
  void receive(std::chrono::milliseconds timeout) {
    pollfd p{fd_, POLLIN, 0};
    int wait_ms = static_cast<int>(timeout.count());
    while (::poll(&p, 1, wait_ms) > 0) {
      char buf[4096];
      ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) return;
      std::string msg(buf, static_cast<std::size_t>(n));
      for (std::size_t start = 0; start < msg.size();) {
        auto end = msg.find('\n', start);
        if (end == std::string::npos) end = msg.size();
        if (end > start) got_.push_back(msg.substr(start, end - start));
        start = end + 1;
      }
      wait_ms = 0;
    }
  }
  std::string path_;
  int fd_ = -1;
  std::vector<std::string> got_;
};

constexpr const char* kDaemonSync = "[sync]\ninterval_s = 3600\njitter_s = 0\npush_delay_s = 0.5\n";

// The sandbox, a config for it, the notify socket and the daemon process.
struct DaemonRun {
  explicit DaemonRun(int seed, const std::string& api_extra = "", const std::string& sync = kDaemonSync,
                     const Env& env = {})
      : run(sandbox_options(seed), api_extra, sync), notify(run.dir.path / "notify.sock") {
    Env e{{"NOTIFY_SOCKET", notify.path()}, {"GIGAPAY_TOKEN", "sandbox-token"}, {"GIGASYNC_DB", "\x01"},
          {"GIGAPAY_BASE_URL", "\x01"}, {"GIGASYNC_CONFIG", "\x01"}, {"CREDENTIALS_DIRECTORY", "\x01"},
          {"WATCHDOG_USEC", "\x01"}, {"WATCHDOG_PID", "\x01"}, {"JOURNAL_STREAM", "\x01"}};
    for (const auto& [k, v] : env) e[k] = v;
    daemon = std::make_unique<Child>(gigasync_binary(), std::vector<std::string>{"daemon", "-c", run.config}, e,
                                     run.dir.path, "daemon");
  }
  ~DaemonRun() {
    if (daemon->running()) {
      daemon->signal(SIGTERM);
      daemon->wait(10s);
    }
  }
  // READY=1, then the STATUS of the first cycle (the one after READY's own STATUS); returns it.
  std::string wait_first_cycle() {
    long ready = notify.wait_for("READY=1", 20s);
    INFO(daemon->err());
    REQUIRE(ready >= 0);
    long status = notify.wait_for("STATUS=", 30s, static_cast<std::size_t>(ready) + 2);
    INFO(daemon->err());
    REQUIRE(status >= 0);
    return notify.got()[static_cast<std::size_t>(status)];
  }
  // How many notify messages arrived so far (call before causing the one to wait for).
  std::size_t mark() {
    notify.drain();
    return notify.got().size();
  }
  // The first STATUS= after `mark`, or "" after `timeout`.
  std::string status_after(std::size_t mark, std::chrono::milliseconds timeout = 20s) {
    long i = notify.wait_for("STATUS=", timeout, mark);
    return i < 0 ? "" : notify.got()[static_cast<std::size_t>(i)];
  }
  std::string first_custom_id() {
    for (const auto& [id, o] : run.remote())
      if (o.get("type") == "3") return id;
    FAIL("no type 3 integration in the sandbox");
    return "";
  }
  void set_latency(int ms) {
    auto f = run.server.faults();
    f.latency_ms = ms;
    run.server.set_faults(f);
  }
  // Starts a cycle with SIGUSR1 and waits until it holds the lock (its sync_runs row is running).
  void start_cycle_and_wait_running() {
    long long before = run.count("SELECT count(*) FROM sync_runs");
    daemon->signal(SIGUSR1);
    REQUIRE(eventually([&] {
      return run.count("SELECT count(*) FROM sync_runs WHERE status = 'running' AND id > " + std::to_string(before)) > 0;
    }));
  }

  SandboxRun run;
  NotifySocket notify;
  std::unique_ptr<Child> daemon;
};

}  // namespace

TEST_CASE("daemon: READY=1, a STATUS per cycle, WATCHDOG=1, and STOPPING=1 with exit 0 on SIGTERM", "[daemon]") {
  DaemonRun d(25, "", kDaemonSync, {{"WATCHDOG_USEC", "200000"}});
  auto status = d.wait_first_cycle();
  CHECK(d.run.mirror().size() == 25);
  CHECK(d.run.count("SELECT count(*) FROM sync_runs WHERE mode = 'full' AND status = 'ok'") == 1);
  INFO(status);
  CHECK(status.find("25") != std::string::npos);
  CHECK(status.find("sync failed") == std::string::npos);
  // Every 100 ms (half of WATCHDOG_USEC) while idle.
  std::this_thread::sleep_for(700ms);
  d.notify.drain();
  CHECK(d.notify.count("WATCHDOG=1") >= 3);
  d.daemon->signal(SIGTERM);
  CHECK(d.daemon->wait(5s) == 0);
  CHECK(d.notify.wait_for("STOPPING=1", 1s) >= 0);
  auto err = d.daemon->err();
  CHECK(err.find("info: ") != std::string::npos);
  CHECK(err.find("sandbox-token") == std::string::npos);
}

TEST_CASE("daemon: an edit made with the sqlite3 shell is pushed within a few seconds", "[daemon]") {
  DaemonRun d(10);
  d.wait_first_cycle();
  std::string id = d.first_custom_id();
  auto r = run("sqlite3", {d.run.db(), "UPDATE integrations SET email = 'x@y.se' WHERE id = '" + id + "'"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  auto edited = std::chrono::steady_clock::now();
  CHECK(eventually([&] { return d.run.remote().at(id).get("email") == std::optional<std::string>("x@y.se"); }, 5s));
  CHECK(std::chrono::steady_clock::now() - edited >= 400ms);  // push_delay_s = 0.5, give or take a poll
  CHECK(eventually([&] { return d.run.count("SELECT count(*) FROM sync_runs WHERE mode = 'push' AND status = 'ok'") == 1; }));
  CHECK(d.run.count("SELECT count(*) FROM pending_changes WHERE state IN ('pending', 'in_flight', 'failed', 'conflict')") == 0);
  // The push's own writes are not mistaken for a new edit: no further cycle follows.
  std::this_thread::sleep_for(1500ms);
  CHECK(d.run.count("SELECT count(*) FROM sync_runs") == 2);
}

TEST_CASE("daemon: SIGUSR1 runs a full cycle at once", "[daemon]") {
  DaemonRun d(10);
  d.wait_first_cycle();
  std::string id = d.first_custom_id();
  remote_set(d.run.server, id, "name", "\"Renamed remotely\"");
  std::this_thread::sleep_for(300ms);
  CHECK_FALSE(d.run.mirror().at(id).get("name") == std::optional<std::string>("Renamed remotely"));
  auto mark = d.mark();
  d.daemon->signal(SIGUSR1);
  CHECK(eventually([&] { return d.run.mirror().at(id).get("name") == std::optional<std::string>("Renamed remotely"); }, 5s));
  auto status = d.status_after(mark, 5s);
  CHECK_FALSE(status.empty());
  CHECK(status.find("sync failed") == std::string::npos);
  CHECK(d.run.count("SELECT count(*) FROM sync_runs WHERE mode = 'full'") == 2);
}

TEST_CASE("daemon: SIGHUP with a broken config keeps the old one but takes a good one", "[daemon]") {
  DaemonRun d(10);
  d.wait_first_cycle();
  std::string good = read_file(d.run.config);
  { std::ofstream(d.run.config) << good << "\n[sync]\nno_such_key = 1\n"; }
  d.daemon->signal(SIGHUP);
  REQUIRE(eventually([&] { return d.daemon->err().find("error: SIGHUP") != std::string::npos; }, 5s));
  CHECK(d.daemon->err().find("gigasync.toml") != std::string::npos);
  CHECK(d.daemon->running());
  d.daemon->signal(SIGUSR1);  // still syncing with the old config
  CHECK(eventually([&] { return d.run.count("SELECT count(*) FROM sync_runs WHERE status = 'ok'") == 2; }, 5s));
  // A good new config: log.format = "json" shows that logging was set up again.
  { std::ofstream(d.run.config) << good << "\n[log]\nformat = \"json\"\n"; }
  d.daemon->signal(SIGHUP);
  CHECK(eventually([&] { return d.daemon->err().find("\"msg\":\"SIGHUP: configuration reloaded") != std::string::npos; }, 5s));
  d.daemon->signal(SIGTERM);
  CHECK(d.daemon->wait(5s) == 0);
}

TEST_CASE("daemon: SIGTERM in the middle of a cycle exits 0 within 5 s and sends STOPPING=1", "[daemon]") {
  DaemonRun d(20, "page_size = 2\nconcurrency = 1");
  d.wait_first_cycle();
  d.set_latency(1000);  // 10 pages at 1 s each: a cycle of over 10 s
  d.start_cycle_and_wait_running();
  auto t0 = std::chrono::steady_clock::now();
  d.daemon->signal(SIGTERM);
  CHECK(d.daemon->wait(5s) == 0);
  CHECK(std::chrono::steady_clock::now() - t0 < 5s);
  CHECK(d.notify.wait_for("STOPPING=1", 1s) >= 0);
  // The interrupted run was recorded (committed), and the mirror is intact.
  CHECK(d.run.count("SELECT count(*) FROM sync_runs WHERE status = 'running'") == 0);
  CHECK(d.run.text("SELECT status FROM sync_runs ORDER BY id DESC LIMIT 1") == "interrupted");
  CHECK(d.run.text("SELECT error FROM sync_runs ORDER BY id DESC LIMIT 1").rfind("interrupted by SIGTERM", 0) == 0);
  CHECK(d.run.mirror().size() == 20);
}

TEST_CASE("daemon: a sync run while the daemon holds the lock exits 75, or waits with --wait", "[daemon]") {
  DaemonRun d(20, "page_size = 5\nconcurrency = 1");
  d.wait_first_cycle();
  d.set_latency(500);  // 4 pages (and a page 5 check, maybe): a cycle of over 2 s
  d.start_cycle_and_wait_running();
  auto busy = d.run.sync();
  CHECK(busy.exit_code == 75);
  CHECK(busy.err.find("--wait") != std::string::npos);
  auto waited = d.run.sync({"--wait", "30"});
  INFO(waited.err);
  CHECK(waited.exit_code == 0);
  CHECK(d.run.count("SELECT count(*) FROM sync_runs WHERE status = 'ok'") == 3);
}

TEST_CASE("daemon: while the API is down it backs off from interval_s up to max_backoff_s, then recovers", "[daemon]") {
  DaemonRun d(10, "", "[sync]\ninterval_s = 2\njitter_s = 0\npush_delay_s = 0.5\nmax_backoff_s = 4\n");
  d.wait_first_cycle();
  auto f = d.run.server.faults();
  f.error_rate = 1.0;  // every API request answered 502/503
  d.run.server.set_faults(f);
  REQUIRE(eventually([&] { return d.daemon->err().find("(3 failures in a row)") != std::string::npos; }, 40s));
  auto err = d.daemon->err();
  CHECK(err.find("error: sync failed") != std::string::npos);
  CHECK(err.find("next attempt in 2.0 s (1 failure in a row)") != std::string::npos);  // interval_s, not sooner
  CHECK(err.find("next attempt in 4.0 s (2 failures in a row)") != std::string::npos);
  CHECK(err.find("next attempt in 4.0 s (3 failures in a row)") != std::string::npos);  // the ceiling
  auto mark = d.mark();
  CHECK(d.status_after(mark, 2500ms).empty());  // nothing runs during the backoff...
  d.run.server.set_faults(sandbox::Faults{});
  auto status = d.status_after(mark, 10s);  // ...then a cycle succeeds
  CHECK_FALSE(status.empty());
  CHECK(status.find("sync failed") == std::string::npos);
  // Back to interval_s: the next cycle comes 2 s later, not 4 s.
  auto ok_mark = d.mark();
  auto next = std::chrono::steady_clock::now();
  CHECK_FALSE(d.status_after(ok_mark, 3500ms).empty());
  CHECK(std::chrono::steady_clock::now() - next < 3500ms);
  CHECK(d.daemon->running());
}

TEST_CASE("daemon: a cycle stuck past cycle_deadline_s stops WATCHDOG=1 until the loop moves again", "[daemon]") {
  DaemonRun d(10, "page_size = 2\nconcurrency = 1",
              "[sync]\ninterval_s = 3600\njitter_s = 0\npush_delay_s = 0.5\ncycle_deadline_s = 1\n",
              {{"WATCHDOG_USEC", "200000"}});
  d.wait_first_cycle();
  std::this_thread::sleep_for(700ms);
  d.notify.drain();
  CHECK(d.notify.count("WATCHDOG=1") >= 3);  // idle: fed every 100 ms
  d.set_latency(2000);  // 5 pages at 2 s: a cycle of 10 s, far past the 1 s deadline
  d.start_cycle_and_wait_running();
  std::this_thread::sleep_for(1800ms);  // past the deadline
  auto stuck = d.mark();
  std::this_thread::sleep_for(1500ms);
  d.notify.drain();
  std::size_t fed = 0;
  for (std::size_t i = stuck; i < d.notify.got().size(); ++i) fed += d.notify.got()[i] == "WATCHDOG=1";
  CHECK(fed == 0);  // systemd would restart the daemon after WatchdogSec
  CHECK(d.daemon->err().find("no longer feeding the systemd watchdog") != std::string::npos);
  d.set_latency(0);  // the cycle ends: fed again
  CHECK(d.notify.wait_for("WATCHDOG=1", 15s, stuck) >= 0);
  d.daemon->signal(SIGTERM);
  CHECK(d.daemon->wait(5s) == 0);
}

TEST_CASE("daemon: a refused token stops it with exit 77 and a bad config with 78", "[daemon]") {
  {
    DaemonRun d(5, "", kDaemonSync, {{"GIGAPAY_TOKEN", "not-the-token"}});
    CHECK(d.daemon->wait(20s) == 77);
    CHECK(d.notify.wait_for("STOPPING=1", 1s) >= 0);
    CHECK(d.daemon->err().find("error: sync failed") != std::string::npos);
    CHECK(d.daemon->err().find("not-the-token") == std::string::npos);
  }
  {
    DaemonRun d(5, "", "[sync]\ninterval_s = 0\n");
    CHECK(d.daemon->wait(20s) == 78);
    CHECK(d.notify.wait_for("READY=1", 200ms) < 0);
    CHECK(d.daemon->err().find("gigasync.toml") != std::string::npos);
  }
}
