// URL parsing, Retry-After, backoff and the system clock.
#include <algorithm>
#include <cctype>
#include <charconv>
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

std::string Url::origin() const { return scheme + "://" + host + ":" + std::to_string(port); }

Result<Url> parse_url(std::string_view text) {
  auto bad = [&](const char* why) {
    return make_error(ExitCode::config, "invalid URL '" + std::string(text) + "': " + why);
  };
  auto sep = text.find("://");
  if (sep == std::string_view::npos) return bad("no scheme");
  Url url;
  url.scheme = lower(text.substr(0, sep));
  if (url.scheme != "http" && url.scheme != "https") return bad("scheme must be http or https");
  auto rest = text.substr(sep + 3);
  auto slash = rest.find_first_of("/?#");
  auto authority = rest.substr(0, slash);
  url.path_and_query = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
  if (authority.find('@') != std::string_view::npos) return bad("credentials in URLs are not allowed");
  if (authority.empty()) return bad("no host");
  url.port = url.scheme == "https" ? 443 : 80;
  std::string_view host = authority;
  if (authority.front() == '[') {  // IPv6 literal
    auto close = authority.find(']');
    if (close == std::string_view::npos) return bad("unclosed IPv6 literal");
    host = authority.substr(0, close + 1);
    authority.remove_prefix(close + 1);
  } else {
    auto colon = authority.rfind(':');
    host = authority.substr(0, colon);
    authority = colon == std::string_view::npos ? std::string_view{} : authority.substr(colon);
  }
  if (!authority.empty()) {
    if (authority.front() != ':') return bad("bad port");
    auto digits = authority.substr(1);
    int port = 0;
    auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), port);
    if (ec != std::errc() || p != digits.data() + digits.size() || port <= 0 || port > 65535)
      return bad("bad port");
    url.port = port;
  }
  if (host.empty()) return bad("no host");
  url.host = lower(host);
  return url;
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
