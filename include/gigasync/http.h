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
#include "gigasync/layer.h"
GIGASYNC_LAYER(http);

namespace gigasync {

// The API token. Kept apart from Config so that printing a Config can never print it.
struct Secret {
  std::string value;
};

}  // namespace gigasync

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

// An absolute http(s) URL as libcurl's URL API (curl_url) reads it. The origin check and the
// request both use this one reading: a request is sent to `text`, which is libcurl's own spelling
// of the URL it parsed, so the host that was checked is the host that is contacted.
struct Url {
  std::string scheme;  // "http" or "https"
  std::string host;    // lower case; an IPv6 literal in brackets, with "%25zone" when it has one;
                       // percent-encoding decoded and IPv4 shorthands ("127.1") normalized by libcurl
  int port = 0;        // the explicit port, else the scheme's
  std::string path_and_query;  // "/" at least; no fragment
  std::string text;            // the whole URL as libcurl writes it back, without a fragment
  bool same_origin(const Url& other) const {
    return scheme == other.scheme && host == other.host && port == other.port;
  }
  std::string origin() const;  // "scheme://host:port"
};
// Error (config) naming the URL when libcurl can not parse it, when it is relative, when its scheme
// is not http or https, or when it carries credentials ("user:password@"): those would make the
// host hard to read for a person and are never needed.
Result<Url> parse_url(std::string_view text);

// True for "localhost" (with or without the final dot), an IPv4 address in 127.0.0.0/8, and ::1
// or an IPv4-mapped ::ffff:127.x.y.z (with or without brackets, with or without a zone). Takes a
// host as Url::host spells it, or as a person wrote it in a listen address; case does not matter.
bool is_loopback_host(std::string_view host);

// Seconds from a Retry-After header (delta-seconds only); nullopt when absent or unparseable.
std::optional<std::chrono::milliseconds> parse_retry_after(std::string_view value);

// Exponential backoff with full jitter: attempt 0 → up to base, capped at `cap`.
std::chrono::milliseconds backoff_delay(int attempt, std::chrono::milliseconds base,
                                        std::chrono::milliseconds cap);

}  // namespace gigasync::http
