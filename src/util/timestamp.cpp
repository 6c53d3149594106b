#include "gigasync/timestamp.h"

#include <chrono>
#include <cstdio>
#include <ctime>

namespace gigasync {
namespace {

// Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar (Howard Hinnant's algorithm).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2 ? 1 : 0;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

bool leap(std::int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

unsigned days_in_month(std::int64_t y, unsigned m) {
  static constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && leap(y) ? 29 : kDays[m - 1];
}

// Reads exactly `n` digits at text[pos..]; advances pos.
bool digits(std::string_view text, size_t& pos, size_t n, int& out) {
  if (pos + n > text.size()) return false;
  out = 0;
  for (size_t i = 0; i < n; ++i) {
    char c = text[pos + i];
    if (c < '0' || c > '9') return false;
    out = out * 10 + (c - '0');
  }
  pos += n;
  return true;
}

bool is_digit(std::string_view text, size_t pos) { return pos < text.size() && text[pos] >= '0' && text[pos] <= '9'; }

}  // namespace

std::optional<UnixMicros> parse_iso8601(std::string_view text) {
  size_t pos = 0;
  int year = 0, month = 0, day = 0;
  if (!digits(text, pos, 4, year) || pos >= text.size() || text[pos++] != '-' || !digits(text, pos, 2, month) ||
      pos >= text.size() || text[pos++] != '-' || !digits(text, pos, 2, day))
    return std::nullopt;
  if (month < 1 || month > 12 || day < 1 || static_cast<unsigned>(day) > days_in_month(year, static_cast<unsigned>(month)))
    return std::nullopt;
  std::int64_t micros = 0;
  int offset_minutes = 0;
  if (pos < text.size()) {
    if (text[pos] != 'T' && text[pos] != 't' && text[pos] != ' ') return std::nullopt;
    ++pos;
    int hour = 0, minute = 0, second = 0;
    if (!digits(text, pos, is_digit(text, pos + 1) ? 2 : 1, hour)) return std::nullopt;
    if (pos >= text.size() || text[pos++] != ':' || !digits(text, pos, 2, minute)) return std::nullopt;
    if (pos < text.size() && text[pos] == ':') {
      ++pos;
      if (!digits(text, pos, 2, second)) return std::nullopt;
      if (pos < text.size() && (text[pos] == '.' || text[pos] == ',')) {
        ++pos;
        if (!is_digit(text, pos)) return std::nullopt;
        int scale = 100000;
        while (is_digit(text, pos)) {
          micros += (text[pos] - '0') * scale;
          scale /= 10;
          ++pos;
        }
      }
    }
    if (hour > 23 || minute > 59 || second > 60) return std::nullopt;  // 60: a leap second, read as :59 + 1
    micros += (static_cast<std::int64_t>(hour) * 3600 + minute * 60 + second) * 1'000'000;
    if (pos < text.size()) {
      char z = text[pos++];
      if (z == 'Z' || z == 'z') {
        if (pos != text.size()) return std::nullopt;
      } else if (z == '+' || z == '-') {
        int oh = 0, om = 0;
        if (!digits(text, pos, 2, oh)) return std::nullopt;
        if (pos < text.size() && text[pos] == ':') ++pos;
        if (pos < text.size() && !digits(text, pos, 2, om)) return std::nullopt;
        if (pos != text.size() || oh > 23 || om > 59) return std::nullopt;
        offset_minutes = (z == '+' ? 1 : -1) * (oh * 60 + om);
      } else {
        return std::nullopt;
      }
    }
  }
  std::int64_t days = days_from_civil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
  return days * 86'400'000'000LL + micros - static_cast<std::int64_t>(offset_minutes) * 60'000'000LL;
}

std::string format_iso8601_micros(UnixMicros t) {
  std::int64_t secs = t / 1'000'000, frac = t % 1'000'000;
  if (frac < 0) {
    frac += 1'000'000;
    secs -= 1;
  }
  auto tt = static_cast<std::time_t>(secs);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[48];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%06lldZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<long long>(frac));
  return buf;
}

UnixMicros now_micros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string now_iso8601() {
  auto now = std::chrono::system_clock::now();
  auto secs = std::chrono::system_clock::to_time_t(now);
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[40];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  char out[48];
  std::snprintf(out, sizeof out, "%s.%03lldZ", buf, static_cast<long long>(ms));
  return out;
}

}  // namespace gigasync
