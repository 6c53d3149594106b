#pragma once
// HTTP as a small request/response interface. The libcurl transport is one implementation;
// tests inject faults through the same interface. Nothing here knows about Gigapay.
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "gigasync/error.h"

namespace gigasync::http {

using Headers = std::vector<std::pair<std::string, std::string>>;

struct Request {
  std::string method = "GET";
  std::string url;
  Headers headers;  // may carry secrets (Authorization): never log a Request
  std::string body;
};

struct Response {
  long status = 0;
  Headers headers;
  std::string body;
  // First header with this name (case-insensitive), or "".
  std::string header(std::string_view name) const;
};

// too_large: the body passed TransportOptions::max_body_bytes and reading stopped there.
enum class FailureKind { timeout, connection, other, too_large };

struct TransportFailure {
  FailureKind kind = FailureKind::other;
  std::string message;  // libcurl's words, never containing request headers
};

// Either a complete response (any status) or a failure to get one.
struct Outcome {
  std::optional<Response> response;
  TransportFailure failure;
  bool ok() const { return response.has_value(); }
};

// Sends one request. Implementations never follow redirects. One Transport per thread;
// a Transport reuses its connection between calls.
class Transport {
 public:
  virtual ~Transport() = default;
  virtual Outcome perform(const Request& request) = 0;
};

// The default cap on one response body (api.max_body_bytes): 8 MiB.
inline constexpr long long kDefaultMaxBodyBytes = 8LL * 1024 * 1024;

struct TransportOptions {
  std::chrono::seconds timeout{30};
  std::string user_agent = "gigasync";
  // A response body longer than this (after decompression) is not read further: the request
  // fails with FailureKind::too_large as soon as the cap is passed.
  long long max_body_bytes = kDefaultMaxBodyBytes;
};

std::unique_ptr<Transport> make_curl_transport(const TransportOptions& options);

// Makes a new Transport, e.g. one per worker thread.
using TransportFactory = std::function<std::unique_ptr<Transport>()>;

// Time, injectable so that tests do not sleep.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual void sleep_for(std::chrono::milliseconds d) = 0;
};
Clock& system_clock();

// A parsed absolute URL: scheme://host[:port]/path?query. Port is filled from the scheme.
struct Url {
  std::string scheme;  // lower case
  std::string host;    // lower case
  int port = 0;
  std::string path_and_query;
  bool same_origin(const Url& other) const {
    return scheme == other.scheme && host == other.host && port == other.port;
  }
  std::string origin() const;  // "scheme://host:port"
};
Result<Url> parse_url(std::string_view text);

// Seconds from a Retry-After header (delta-seconds only); nullopt when absent or unparseable.
std::optional<std::chrono::milliseconds> parse_retry_after(std::string_view value);

// Exponential backoff with full jitter: attempt 0 → up to base, capped at `cap`.
std::chrono::milliseconds backoff_delay(int attempt, std::chrono::milliseconds base,
                                        std::chrono::milliseconds cap);

}  // namespace gigasync::http
