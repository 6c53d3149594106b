// The daemon's parts that need no API: systemd notify messages, the watchdog thread, the
// schedule (jitter, push delay, backoff) and the change watch on a real SQLite file.
#include <SQLiteCpp/SQLiteCpp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <thread>

#include "gigasync/change_watch.h"
#include "daemon/notify.h"
#include "daemon/schedule.h"
#include "gigasync/log.h"
#include "gigasync/store.h"
#include "support/process.h"

using namespace gigasync;
using namespace gigasync::daemon;
using namespace std::chrono_literals;
using gigasync::test::TempDir;

namespace {

// Sets an environment variable for the scope of the object.
struct ScopedEnv {
  ScopedEnv(const char* name, const std::string& value) : name_(name) { ::setenv(name, value.c_str(), 1); }
  ~ScopedEnv() { ::unsetenv(name_); }
  const char* name_;
};

// A datagram socket standing in for systemd's notify socket.
struct NotifyListener {
  explicit NotifyListener(const std::string& path) {
    fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    path.copy(addr.sun_path, sizeof addr.sun_path - 1);
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  }
  ~NotifyListener() { ::close(fd); }
  // The next datagram, or "" after `timeout`.
  std::string next(std::chrono::milliseconds timeout = 1s) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(timeout.count())) <= 0) return "";
    char buf[4096];
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : "";
  }
  int fd = -1;
};

SyncConfig sync_config(int interval, int jitter, double push_delay = 2) {
  SyncConfig c;
  c.interval_s = interval;
  c.jitter_s = jitter;
  c.push_delay_s = push_delay;
  return c;
}

}  // namespace

TEST_CASE("daemon notify: STATUS is one redacted line of bounded length", "[daemon]") {
  CHECK(status_assignment("synced 3 integrations") == "STATUS=synced 3 integrations");
  CHECK(status_assignment("two\nlines\tand\rmore") == "STATUS=two lines and more");
  register_secret("daemon-test-secret-token");
  CHECK(status_assignment("GET failed with daemon-test-secret-token") == "STATUS=GET failed with [redacted]");
  std::string long_text(2000, 'x');
  auto s = status_assignment(long_text);
  CHECK(s.size() <= 7 + 480);
  CHECK(s.ends_with("..."));
  std::string accents;
  for (int i = 0; i < 400; ++i) accents += "\xc3\xa5";  // "å", two bytes each
  auto cut = status_assignment(accents);
  CHECK(cut.size() <= 7 + 480);
  CHECK((cut.size() - 7 - 3) % 2 == 0);  // never half a character
  CHECK(cut.size() == 7 + 476 + 3);      // but every whole one that fits
  auto shifted = status_assignment("x" + accents);
  CHECK(shifted.size() == 7 + 477 + 3);
}

TEST_CASE("daemon notify: a cycle's STATUS is its summary or the failure", "[daemon]") {
  Result<SyncReport> failed = make_error(ExitCode::unavailable, "GET /v2/integrations/: HTTP 503");
  CHECK(cycle_status(failed) == "sync failed: GET /v2/integrations/: HTTP 503");
  SyncReport report;
  report.run.mode = "full";
  report.mirrored = 7;
  Result<SyncReport> ok = report;
  CHECK(cycle_status(ok) == report.summary());
}

TEST_CASE("daemon notify: messages reach $NOTIFY_SOCKET, and nothing breaks without it", "[daemon]") {
  notify("READY=1");  // no NOTIFY_SOCKET: a silent no-op
  TempDir dir;
  NotifyListener listener(dir.str("notify.sock"));
  ScopedEnv env("NOTIFY_SOCKET", dir.str("notify.sock"));
  notify("READY=1\n" + status_assignment("started"));
  CHECK(listener.next() == "READY=1\nSTATUS=started");
}

TEST_CASE("daemon notify: the watchdog thread sends WATCHDOG=1 every WATCHDOG_USEC/2", "[daemon]") {
  TempDir dir;
  NotifyListener listener(dir.str("notify.sock"));
  ScopedEnv socket_env("NOTIFY_SOCKET", dir.str("notify.sock"));
  {
    ScopedEnv off("WATCHDOG_USEC", "0");
    CHECK_FALSE(watchdog_interval().has_value());
    Watchdog none(60s);
    CHECK(listener.next(300ms).empty());
  }
  ScopedEnv env("WATCHDOG_USEC", "100000");
  REQUIRE(watchdog_interval() == std::chrono::microseconds(50000));
  auto start = std::chrono::steady_clock::now();
  int beats = 0;
  {
    Watchdog watchdog(60s);
    while (std::chrono::steady_clock::now() - start < 500ms) {
      watchdog.beat();
      if (listener.next(100ms) == "WATCHDOG=1") ++beats;
    }
  }
  CHECK(beats >= 5);
  CHECK(beats <= 13);
  CHECK(listener.next(200ms).empty());  // stopped with the object
}

TEST_CASE("daemon watchdog: WATCHDOG=1 stops when the main loop makes no progress past the deadline", "[daemon]") {
  TempDir dir;
  NotifyListener listener(dir.str("notify.sock"));
  ScopedEnv socket_env("NOTIFY_SOCKET", dir.str("notify.sock"));
  ScopedEnv env("WATCHDOG_USEC", "100000");  // a keep-alive every 50 ms
  Watchdog watchdog(300ms);
  auto t = std::chrono::steady_clock::now();
  CHECK(watchdog.progressing(t));
  CHECK(watchdog.progressing(t + 250ms));
  CHECK_FALSE(watchdog.progressing(t + 1s));
  // No beat (a cycle that hangs): keep-alives for the deadline, then none at all.
  auto count_for = [&](std::chrono::milliseconds span) {
    int n = 0;
    auto until = std::chrono::steady_clock::now() + span;
    while (std::chrono::steady_clock::now() < until)
      if (listener.next(20ms) == "WATCHDOG=1") ++n;
    return n;
  };
  CHECK(count_for(250ms) >= 2);
  std::this_thread::sleep_for(150ms);
  while (!listener.next(10ms).empty()) {
  }
  CHECK(count_for(500ms) == 0);
  // The loop moves again: the keep-alives come back.
  watchdog.beat();
  CHECK(count_for(200ms) >= 1);
  // A longer deadline (a reload) covers the same stall.
  watchdog.set_deadline(60s);
  std::this_thread::sleep_for(400ms);
  CHECK(watchdog.progressing(std::chrono::steady_clock::now()));
}

TEST_CASE("daemon schedule: the interval is jittered within interval_s ± jitter_s", "[daemon]") {
  std::mt19937_64 rng(7);
  auto cfg = sync_config(300, 30);
  Millis lo = Millis::max(), hi = Millis::min();
  for (int i = 0; i < 2000; ++i) {
    auto d = jittered_interval(cfg, rng);
    lo = std::min(lo, d);
    hi = std::max(hi, d);
  }
  CHECK(lo >= 270s);
  CHECK(hi <= 330s);
  CHECK(lo < 275s);  // the whole range is used
  CHECK(hi > 325s);
  CHECK(jittered_interval(sync_config(60, 0), rng) == 60s);
  for (int i = 0; i < 200; ++i) CHECK(jittered_interval(sync_config(1, 5), rng) >= 1s);
}

TEST_CASE("daemon schedule: full cycles, pushes after edits, backoff and SIGUSR1", "[daemon]") {
  auto t0 = Clock::time_point{} + 1000s;
  Schedule s(sync_config(300, 0, 2), t0, 1);
  CHECK(s.due(t0) == CycleKind::full);  // at once on start
  s.done(CycleKind::full, Outcome::ok, t0);
  CHECK(s.due(t0 + 299s) == CycleKind::none);
  CHECK(s.due(t0 + 300s) == CycleKind::full);

  s.edit_seen(t0 + 10s);
  s.edit_seen(t0 + 11s);  // the earlier deadline stays
  CHECK(s.due(t0 + 11500ms) == CycleKind::none);
  CHECK(s.due(t0 + 12s) == CycleKind::push);
  s.done(CycleKind::push, Outcome::ok, t0 + 12s);
  CHECK(s.due(t0 + 13s) == CycleKind::none);
  CHECK(s.next_full() == t0 + 300s);  // a push does not move the full cycle

  // The API is down: 300 s, then 600 s of quiet, edits included; SIGUSR1 overrides.
  s.done(CycleKind::full, Outcome::failed, t0 + 300s);
  s.edit_seen(t0 + 300s);
  CHECK(s.due(t0 + 599s) == CycleKind::none);
  CHECK(s.due(t0 + 600s) == CycleKind::full);
  s.done(CycleKind::full, Outcome::failed, t0 + 600s);
  CHECK(s.failures() == 2);
  CHECK(s.due(t0 + 1199s) == CycleKind::none);
  s.sync_now(t0 + 1199s);
  CHECK(s.due(t0 + 1199s) == CycleKind::full);
  s.done(CycleKind::full, Outcome::ok, t0 + 1199s);
  CHECK(s.failures() == 0);
  CHECK(s.next_full() == t0 + 1499s);

  // Another process held the lock all along: try again an interval later, not at once.
  s.done(CycleKind::full, Outcome::skipped, t0 + 1300s);
  CHECK(s.next_full() == t0 + 1600s);
  // A reload with a shorter interval brings the next cycle closer.
  s.set_config(sync_config(60, 0, 2), t0 + 1300s);
  CHECK(s.next_full() == t0 + 1360s);
}

TEST_CASE("daemon change watch: edits from another connection, not gigasync's own writes", "[daemon]") {
  TempDir dir;
  auto store = Store::open(dir.str("mirror.db"));
  REQUIRE(store.ok());
  Integration o;
  o.id = "a1";
  o.set("name", "Acme");
  o.set("type", "3");
  o.set("metadata", "{}");
  o.set("email", "a@acme.example");
  o.set("recipient", "Acme AB");
  o.set("address_line_1", "Storgatan 1");
  o.set("zip_code", "111 22");
  o.set("city", "Stockholm");
  auto watch = ChangeWatch::open(dir.str("mirror.db"));
  REQUIRE(watch.ok());
  auto& w = *watch.value();
  CHECK_FALSE(w.poll());

  {  // gigasync's own write (a pull): not an edit
    Store::Txn txn(*store.value());
    REQUIRE(txn.begin().ok());
    REQUIRE(txn.upsert(Table::mirror, o).ok());
    REQUIRE(txn.upsert(Table::base, o).ok());
    REQUIRE(txn.commit().ok());
  }
  REQUIRE(store.value()->begin_run("full").ok());
  CHECK_FALSE(w.poll());

  SQLite::Database shell(dir.str("mirror.db"), SQLite::OPEN_READWRITE);  // as the sqlite3 shell would
  shell.exec("UPDATE integrations SET email = 'b@acme.example' WHERE id = 'a1'");
  CHECK(w.poll());
  CHECK_FALSE(w.poll());  // seen once
  std::this_thread::sleep_for(5ms);
  shell.exec("UPDATE integrations SET city = 'Lund' WHERE id = 'a1'");  // folded into the same outbox row
  CHECK(w.poll());
  shell.exec("INSERT INTO integrations (name, email, recipient, address_line_1, zip_code, city) "
             "VALUES ('New', 'n@new.example', 'New AB', 'Gatan 2', '222 33', 'Malmö')");
  CHECK(w.poll());

  shell.exec("BEGIN; UPDATE integrations SET email = 'c@acme.example' WHERE id = 'a1'; ROLLBACK;");
  CHECK_FALSE(w.poll());
  // The push sends them (attempts > 0, then done): the set shrinks, which is no edit.
  shell.exec("UPDATE pending_changes SET state = 'in_flight', attempts = 1");
  CHECK_FALSE(w.poll());
  shell.exec("UPDATE pending_changes SET state = 'done'");
  CHECK_FALSE(w.poll());
}

TEST_CASE("daemon change watch: a database that is not there is an error", "[daemon]") {
  TempDir dir;
  auto watch = ChangeWatch::open(dir.str("missing.db"));
  REQUIRE_FALSE(watch.ok());
  CHECK(watch.error().code == ExitCode::cant_create);
}
