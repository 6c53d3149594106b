#pragma once
// Signals without work in handlers: SIGTERM, SIGINT, SIGHUP and SIGUSR1 are blocked and taken
// by one thread with sigwaitinfo(), which only sets flags and wakes the main loop.
//   SIGTERM/SIGINT → gigasync::stop_flag() (seen by the API client's retry loops and sleeps)
//   SIGHUP         → take_reload()
//   SIGUSR1        → take_sync_now()
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

namespace gigasync::daemon {

class Signals {
 public:
  // Blocks the four signals in the calling thread and starts the waiting thread.
  // REQUIRES: no other thread exists yet (threads started later inherit the blocked mask, so
  // the signals can only reach the waiting thread). The signals stay blocked after destruction:
  // the process is about to exit, and a late SIGTERM must not kill it with status 143.
  Signals();
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
  std::atomic<bool> reload_{false}, sync_now_{false}, quit_{false};
  std::mutex mu_;
  std::condition_variable cv_;
  bool pending_ = false;  // guarded by mu_
  std::thread thread_;
};

}  // namespace gigasync::daemon
