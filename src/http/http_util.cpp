// Response headers, Retry-After, backoff and the system clock (URLs: url.cpp).
#include <algorithm>
#include <cctype>
#include <random>
#include <thread>

#include "gigasync/cancel.h"
#include "gigasync/http.h"

namespace gigasync::http {
namespace {
std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}
}  // namespace

std::string Response::header(std::string_view name) const {
  std::string wanted = lower(name);
  for (const auto& [n, v] : headers)
    if (lower(n) == wanted) return v;
  return "";
}

std::optional<std::chrono::milliseconds> parse_retry_after(std::string_view value) {
  while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
  if (value.empty()) return std::nullopt;
  long long seconds = 0;  // delta-seconds: digits only, saturating at an hour
  for (char c : value) {
    if (c < '0' || c > '9') return std::nullopt;
    seconds = std::min<long long>(seconds * 10 + (c - '0'), 3600);
  }
  return std::chrono::milliseconds(std::min<long long>(seconds, 3600) * 1000);
}

std::chrono::milliseconds backoff_delay(int attempt, std::chrono::milliseconds base,
                                        std::chrono::milliseconds cap) {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  long long ceiling = static_cast<long long>(base.count()) << std::min(attempt, 20);
  ceiling = std::min<long long>(ceiling, cap.count());
  std::uniform_int_distribution<long long> dist(ceiling / 2, std::max(ceiling, 1LL));
  return std::chrono::milliseconds(dist(rng));
}

namespace {
class SystemClock final : public Clock {
 public:
  // Sleeps in short slices so that a stop request ends the wait within ~50 ms.
  void sleep_for(std::chrono::milliseconds d) override {
    auto until = std::chrono::steady_clock::now() + d;
    while (!stop_requested() && std::chrono::steady_clock::now() < until)
      std::this_thread::sleep_for(std::min<std::chrono::milliseconds>(
          std::chrono::milliseconds(50),
          std::chrono::duration_cast<std::chrono::milliseconds>(until - std::chrono::steady_clock::now()) +
              std::chrono::milliseconds(1)));
  }
};
}  // namespace

Clock& system_clock() {
  static SystemClock clock;
  return clock;
}

}  // namespace gigasync::http
