#pragma once
// systemd notification (sd_notify) and the watchdog keep-alive thread.
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "gigasync/error.h"
#include "gigasync/sync.h"

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

// Sends WATCHDOG=1 every watchdog_interval() from its own thread, so a long cycle never starves
// it. Does nothing when the watchdog is off. The destructor stops and joins the thread.
class Watchdog {
 public:
  Watchdog();
  ~Watchdog();
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;

 private:
  void loop(std::chrono::microseconds every);
  std::mutex mu_;
  std::condition_variable cv_;
  bool quit_ = false;
  std::thread thread_;
};

}  // namespace gigasync::daemon
