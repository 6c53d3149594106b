#include "daemon/notify.h"

#include <spdlog/spdlog.h>
#include <systemd/sd-daemon.h>

#include <cstdint>
#include <cstring>

#include "gigasync/log.h"

namespace gigasync::daemon {
namespace {

// Removes a UTF-8 sequence cut short at the end of `s`.
void drop_partial_utf8(std::string& s) {
  std::size_t start = s.size();
  while (start > 0 && (static_cast<unsigned char>(s[start - 1]) & 0xC0) == 0x80) --start;
  if (start == 0) return;
  auto lead = static_cast<unsigned char>(s[start - 1]);
  std::size_t want = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
  if (s.size() - (start - 1) < want) s.resize(start - 1);
}

}  // namespace

void notify(const std::string& assignments) {
  int rc = sd_notify(0, assignments.c_str());
  if (rc < 0) spdlog::debug("sd_notify failed: {}", std::strerror(-rc));
}

std::string status_assignment(const std::string& text) {
  constexpr std::size_t kMax = 480;
  std::string line = redact(text);
  for (char& c : line) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';
  }
  if (line.size() > kMax) {
    line.resize(kMax - 3);
    drop_partial_utf8(line);
    line += "...";
  }
  return "STATUS=" + line;
}

std::string cycle_status(const Result<SyncReport>& result) {
  return result ? result->summary() : "sync failed: " + result.error().message;
}

std::optional<std::chrono::microseconds> watchdog_interval() {
  std::uint64_t usec = 0;
  if (sd_watchdog_enabled(0, &usec) <= 0 || usec == 0) return std::nullopt;
  return std::chrono::microseconds(static_cast<long long>(usec / 2));
}

Watchdog::Watchdog(std::chrono::milliseconds deadline)
    : last_beat_ms_(ticks(std::chrono::steady_clock::now())), deadline_ms_(deadline.count()) {
  if (auto every = watchdog_interval()) {
    spdlog::debug("systemd watchdog on: WATCHDOG=1 every {} ms while the main loop makes progress",
                  every->count() / 1000);
    thread_ = std::thread([this, e = *every] { loop(e); });
  }
}

Watchdog::~Watchdog() {
  {
    std::lock_guard lock(mu_);
    quit_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

long long Watchdog::ticks(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

void Watchdog::beat() { last_beat_ms_.store(ticks(std::chrono::steady_clock::now())); }

void Watchdog::set_deadline(std::chrono::milliseconds deadline) { deadline_ms_.store(deadline.count()); }

bool Watchdog::progressing(std::chrono::steady_clock::time_point now) const {
  return ticks(now) - last_beat_ms_.load() <= deadline_ms_.load();
}

void Watchdog::loop(std::chrono::microseconds every) {
  std::unique_lock lock(mu_);
  bool stalled = false;
  while (!quit_) {
    if (progressing(std::chrono::steady_clock::now())) {
      if (stalled) spdlog::default_logger()->warn("the main loop is moving again: feeding the systemd watchdog");
      stalled = false;
      notify("WATCHDOG=1");
    } else if (!stalled) {
      stalled = true;
      spdlog::default_logger()->error(
          "no progress for over {} s (a cycle stuck past sync.cycle_deadline_s?): no longer feeding the systemd "
          "watchdog, so systemd restarts the daemon",
          deadline_ms_.load() / 1000);
    }
    cv_.wait_for(lock, every, [this] { return quit_; });
  }
}

}  // namespace gigasync::daemon
