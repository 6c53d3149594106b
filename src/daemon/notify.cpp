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

Watchdog::Watchdog() {
  if (auto every = watchdog_interval()) {
    spdlog::debug("systemd watchdog on: WATCHDOG=1 every {} ms", every->count() / 1000);
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

void Watchdog::loop(std::chrono::microseconds every) {
  std::unique_lock lock(mu_);
  while (!quit_) {
    notify("WATCHDOG=1");
    cv_.wait_for(lock, every, [this] { return quit_; });
  }
}

}  // namespace gigasync::daemon
