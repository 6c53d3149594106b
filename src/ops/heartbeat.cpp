// [notify] heartbeat_url: a dead man's switch for cron and systemd runs.
#include <curl/curl.h>
#include <spdlog/spdlog.h>

#include "gigasync/metrics.h"

namespace gigasync {
namespace {

size_t discard(char*, size_t size, size_t n, void*) { return size * n; }

}  // namespace

void ping_heartbeat(const Config& cfg, bool cycle_ok) {
  const std::string& base = cfg.notify.heartbeat_url;
  if (base.empty()) return;
  std::string url = cycle_ok ? base : (base.back() == '/' ? base + "fail" : base + "/fail");
  CURL* curl = curl_easy_init();
  if (curl == nullptr) return;
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, 10L);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, discard);
  CURLcode rc = curl_easy_perform(curl);
  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  curl_easy_cleanup(curl);
  if (rc != CURLE_OK) spdlog::warn("heartbeat {} not delivered: {}", url, curl_easy_strerror(rc));
  else if (status >= 400) spdlog::warn("heartbeat {} answered HTTP {}", url, status);
}

}  // namespace gigasync
