#pragma once
// systemd notification (sd_notify) and the watchdog keep-alive thread, fed only while the main
// loop makes progress.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "gigasync/error.h"
#include "gigasync/sync.h"
#include "gigasync/layer.h"
GIGASYNC_PRIVATE(daemon);

namespace gigasync::daemon {

// Sends newline-separated assignments ("READY=1\nSTATUS=...") to $NOTIFY_SOCKET. A no-op when
// the variable is unset (not started by systemd); failures are logged at debug level only.
void notify(const std::string& assignments);

// "STATUS=<text>" with the text redacted, on one line (control characters become spaces) and
// cut to at most 480 bytes, so it can never inject another assignment.
std::string status_assignment(const std::string& text);

// The STATUS text for a finished cycle: the report's summary, or "sync failed: <message>".
std::string cycle_status(const Result<SyncReport>& result);

// The keep-alive interval (half of $WATCHDOG_USEC) when systemd's watchdog is on for this process.
std::optional<std::chrono::microseconds> watchdog_interval();

// Feeds systemd's watchdog from its own thread, every watchdog_interval(), but only while the
// main loop makes progress: the loop calls beat() on every turn (at least every few hundred ms
// while idle, and before and after each cycle). When no beat came for longer than the deadline
// (a cycle stuck past sync.cycle_deadline_s, or anything else that hangs the loop), WATCHDOG=1
// stops, an ERROR is logged once, and systemd restarts the daemon after WatchdogSec. A late beat
// resumes it. Does nothing when the watchdog is off. The destructor stops and joins the thread.
class Watchdog {
 public:
  explicit Watchdog(std::chrono::milliseconds deadline);
  ~Watchdog();
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;

  // The main loop made progress now.
  void beat();
  // A new deadline (after a reload); takes effect at the next check.
  void set_deadline(std::chrono::milliseconds deadline);
  // True when the last beat is no older than the deadline at `now`.
  bool progressing(std::chrono::steady_clock::time_point now) const;

 private:
  void loop(std::chrono::microseconds every);
  static long long ticks(std::chrono::steady_clock::time_point t);
  std::atomic<long long> last_beat_ms_;
  std::atomic<long long> deadline_ms_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool quit_ = false;
  std::thread thread_;
};

}  // namespace gigasync::daemon
