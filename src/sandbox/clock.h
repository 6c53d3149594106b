#pragma once
// The sandbox's clock: the wall clock plus an offset that tests can step forward or backward
// (POST /_sandbox/clock), so that window arithmetic and stale signatures can be tested without
// waiting. Every timestamp the sandbox writes comes from here. Thread-safe.
#include <atomic>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "gigasync/timestamp.h"

namespace gigasync::sandbox {

// A timestamp field that is null.
inline constexpr UnixMicros kNever = INT64_MIN;
// A date field (days since 1970-01-01) that is null.
inline constexpr std::int32_t kNoDate = INT32_MIN;

class SandboxClock {
 public:
  // The clock starts at the wall clock plus `offset_us`.
  explicit SandboxClock(std::int64_t offset_us = 0) : offset_us_(offset_us) {}

  // The sandbox's current time.
  UnixMicros now() const;
  // now() for a timestamp written on an object: strictly after the previous stamp (two events
  // never share a microsecond), unless the clock was stepped since; then it follows the step,
  // backward included.
  UnixMicros stamp();
  // Moves the clock by `delta_us` (negative: backward).
  void step(std::int64_t delta_us);
  std::int64_t offset_us() const { return offset_us_.load(); }

 private:
  std::atomic<std::int64_t> offset_us_;
  std::mutex mu_;
  UnixMicros last_stamp_ = kNever;
};

// Days since 1970-01-01 of a time (UTC), and "YYYY-MM-DD" of such a day.
std::int32_t day_of(UnixMicros t);
std::string format_date(std::int32_t day);
// "YYYY-MM-DD" exactly; nullopt for anything else.
std::optional<std::int32_t> parse_date(std::string_view text);

// "null", or the time as "\"2026-12-04T10:32:38.118753Z\"".
void append_time(std::string& out, UnixMicros t);
// "null", or the date as "\"2026-12-04\"".
void append_date(std::string& out, std::int32_t day);

}  // namespace gigasync::sandbox
