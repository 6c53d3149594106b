#include "gigasync/signals.h"

#include <pthread.h>
#include <signal.h>
#include <spdlog/spdlog.h>

#include <cerrno>

#include "gigasync/cancel.h"

namespace gigasync {
namespace {

// SIGUSR1 is in both sets: the destructor uses it to end the waiting thread's sigwaitinfo().
sigset_t handled_set(SignalSet which) {
  sigset_t set;
  sigemptyset(&set);
  for (int s : {SIGTERM, SIGINT, SIGUSR1}) sigaddset(&set, s);
  if (which == SignalSet::daemon) sigaddset(&set, SIGHUP);
  return set;
}

const char* signal_name(int sig) { return sig == SIGTERM ? "SIGTERM" : "SIGINT"; }

}  // namespace

Signals::Signals(SignalSet which) : which_(which) {
  sigset_t set = handled_set(which_);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  thread_ = std::thread([this] { loop(); });
}

Signals::~Signals() {
  quit_ = true;
  // A thread-directed SIGUSR1 ends the sigwaitinfo() in loop(), which then sees quit_.
  pthread_kill(thread_.native_handle(), SIGUSR1);
  thread_.join();
}

void Signals::wait_for(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  cv_.wait_for(lock, timeout, [this] { return pending_; });
  pending_ = false;
}

void Signals::wake() {
  {
    std::lock_guard lock(mu_);
    pending_ = true;
  }
  cv_.notify_all();
}

void Signals::loop() {
  sigset_t set = handled_set(which_);
  while (!quit_) {
    siginfo_t info{};
    int sig = sigwaitinfo(&set, &info);
    if (sig < 0 || quit_) continue;  // EINTR, or the destructor's wake-up call
    switch (sig) {
      case SIGTERM:
      case SIGINT: {
        int none = 0;  // the first stop signal is the one the exit code reports
        stop_signal().compare_exchange_strong(none, sig);
        // default_logger() (a shared_ptr copy) stays valid even if a reload swaps the logger.
        if (!stop_flag().exchange(true))
          spdlog::default_logger()->info("received {}: finishing the request in flight, then stopping",
                                         signal_name(sig));
        break;
      }
      case SIGHUP: reload_ = true; break;
      default:
        if (which_ == SignalSet::daemon) sync_now_ = true;
        break;
    }
    wake();
  }
}

}  // namespace gigasync
