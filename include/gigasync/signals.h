#pragma once
// Signals without work in handlers: SIGTERM, SIGINT, SIGHUP and SIGUSR1 are blocked and taken
// by one thread with sigwaitinfo(), which only sets flags and wakes the main loop.
//   SIGTERM/SIGINT → gigasync::stop_signal() and stop_flag() (seen by the API client's retry
//                    loops and sleeps, and by the cycle lock's wait)
//   SIGHUP         → take_reload()       (daemon only)
//   SIGUSR1        → take_sync_now()     (daemon only)
// The one-shot commands that write (sync, changes retry|discard, conflicts resolve) use the
// `command` set: SIGTERM/SIGINT only (SIGHUP keeps its default action; SIGUSR1 is blocked and
// taken by the thread, which ignores it).
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "gigasync/layer.h"
GIGASYNC_LAYER(util);

namespace gigasync {

// Which signals a process takes over: the daemon's four, or a one-shot command's stop signals.
enum class SignalSet { daemon, command };

class Signals {
 public:
  // Blocks the set's signals in the calling thread and starts the waiting thread.
  // REQUIRES: no other thread exists yet (threads started later inherit the blocked mask, so
  // the signals can only reach the waiting thread). The signals stay blocked after destruction:
  // the process is about to exit, and a late SIGTERM must not kill it with status 143.
  explicit Signals(SignalSet which = SignalSet::daemon);
  ~Signals();  // stops and joins the waiting thread
  Signals(const Signals&) = delete;
  Signals& operator=(const Signals&) = delete;

  // Sleeps until a signal arrives or `timeout` passes (returns at once when one is pending).
  void wait_for(std::chrono::milliseconds timeout);
  // True once per SIGHUP (several SIGHUPs before the call count once).
  bool take_reload() { return reload_.exchange(false); }
  // True once per SIGUSR1 (likewise).
  bool take_sync_now() { return sync_now_.exchange(false); }

 private:
  void loop();
  void wake();
  SignalSet which_;
  std::atomic<bool> reload_{false}, sync_now_{false}, quit_{false};
  std::mutex mu_;
  std::condition_variable cv_;
  bool pending_ = false;  // guarded by mu_
  std::thread thread_;
};

}  // namespace gigasync
