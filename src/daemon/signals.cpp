#include "daemon/signals.h"

#include <pthread.h>
#include <signal.h>
#include <spdlog/spdlog.h>

#include <cerrno>

#include "gigasync/cancel.h"

namespace gigasync::daemon {
namespace {

sigset_t handled_set() {
  sigset_t set;
  sigemptyset(&set);
  for (int s : {SIGTERM, SIGINT, SIGHUP, SIGUSR1}) sigaddset(&set, s);
  return set;
}

}  // namespace

Signals::Signals() {
  sigset_t set = handled_set();
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
  sigset_t set = handled_set();
  while (!quit_) {
    siginfo_t info{};
    int sig = sigwaitinfo(&set, &info);
    if (sig < 0 || quit_) continue;  // EINTR, or the destructor's wake-up call
    switch (sig) {
      case SIGTERM:
      case SIGINT:
        // default_logger() (a shared_ptr copy) stays valid even if a reload swaps the logger.
        if (!stop_flag().exchange(true))
          spdlog::default_logger()->info("received {}: finishing the request in flight, then stopping",
                                         sig == SIGTERM ? "SIGTERM" : "SIGINT");
        break;
      case SIGHUP: reload_ = true; break;
      default: sync_now_ = true; break;
    }
    wake();
  }
}

}  // namespace gigasync::daemon
