#include "sandbox/clock.h"

#include <cstdio>

namespace gigasync::sandbox {
namespace {

constexpr std::int64_t kMicrosPerDay = 86'400'000'000LL;

// Howard Hinnant's civil_from_days.
void civil_from_days(std::int64_t z, int& y, unsigned& m, unsigned& d) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y = static_cast<int>(static_cast<std::int64_t>(yoe) + era * 400 + (m <= 2 ? 1 : 0));
}

}  // namespace

UnixMicros SandboxClock::now() const { return now_micros() + offset_us_.load(); }

UnixMicros SandboxClock::stamp() {
  std::lock_guard lock(mu_);
  UnixMicros t = now();
  if (last_stamp_ != kNever && t <= last_stamp_) t = last_stamp_ + 1;
  last_stamp_ = t;
  return t;
}

void SandboxClock::step(std::int64_t delta_us) {
  std::lock_guard lock(mu_);
  offset_us_ += delta_us;
  last_stamp_ = kNever;
}

std::int32_t day_of(UnixMicros t) {
  std::int64_t day = t / kMicrosPerDay;
  if (t % kMicrosPerDay < 0) --day;
  return static_cast<std::int32_t>(day);
}

std::string format_date(std::int32_t day) {
  int y = 0;
  unsigned m = 0, d = 0;
  civil_from_days(day, y, m, d);
  char buf[32];  // room for any int and unsigned (GCC -Wformat-truncation at -O2)
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", y, m, d);
  return buf;
}

std::optional<std::int32_t> parse_date(std::string_view text) {
  if (text.size() != 10) return std::nullopt;
  auto t = parse_iso8601(text);
  if (!t) return std::nullopt;
  return day_of(*t);
}

void append_time(std::string& out, UnixMicros t) {
  if (t == kNever) {
    out += "null";
    return;
  }
  out += '"';
  out += format_iso8601_micros(t);
  out += '"';
}

void append_date(std::string& out, std::int32_t day) {
  if (day == kNoDate) {
    out += "null";
    return;
  }
  out += '"';
  out += format_date(day);
  out += '"';
}

}  // namespace gigasync::sandbox
