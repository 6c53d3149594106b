// [notify] heartbeat_url: a dead man's switch for cron and systemd runs. Sent through the same
// HTTP transport as the API's requests (libcurl, no redirects followed), without the token.
#include <spdlog/spdlog.h>

#include <chrono>

#include "gigasync/http.h"
#include "gigasync/metrics.h"

namespace gigasync {

void ping_heartbeat(const Config& cfg, bool cycle_ok) {
  const std::string& base = cfg.notify.heartbeat_url;
  if (base.empty()) return;
  std::string url = cycle_ok ? base : (base.back() == '/' ? base + "fail" : base + "/fail");
  http::TransportOptions options;
  options.timeout = std::chrono::seconds(10);
  options.max_body_bytes = 64 * 1024;  // the answer is read and dropped
  http::Request request;
  request.url = url;
  http::Outcome outcome = http::make_curl_transport(options)->perform(request);
  if (!outcome.ok()) spdlog::warn("heartbeat {} not delivered: {}", url, outcome.failure.message);
  else if (outcome.response->status >= 400) spdlog::warn("heartbeat {} answered HTTP {}", url, outcome.response->status);
}

}  // namespace gigasync
