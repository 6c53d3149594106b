#pragma once
// The Gigapay integrations API over the Transport interface: auth headers, retries with
// backoff (honouring Retry-After), origin checks, redirect reporting, page validation.
#include <chrono>
#include <memory>
#include <atomic>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "gigasync/error.h"
#include "gigasync/http.h"
#include "gigasync/json.h"
#include "gigasync/remote.h"
#include "gigasync/layer.h"
GIGASYNC_LAYER(http);

namespace gigasync {

struct ApiSettings {
  std::string base_url;        // ends with '/'
  std::string integration_id;  // "" = no Integration-ID header
  int max_retries = 5;
  int page_size = 100;
  // Longest response body read (api.max_body_bytes); a longer one is an Error(data), not retried.
  long long max_body_bytes = http::kDefaultMaxBodyBytes;
  std::chrono::milliseconds backoff_base{500};
  std::chrono::milliseconds backoff_cap{30000};
};

// Counters for the run report (thread-safe increments).
struct ApiStats {
  std::atomic<long> requests{0};
  std::atomic<long> retries{0};
};

class ApiClient : public Remote {
 public:
  // REQUIRES: settings.base_url parses as an http(s) URL.
  ApiClient(ApiSettings settings, Secret token, http::TransportFactory factory, http::Clock& clock);

  // Sends one request with retries on 429, 5XX, timeouts and connection failures (same body and
  // Idempotency-Key each time). Returns the final reply for 2XX and 4XX other than 401/403.
  // Errors: 401/403 → auth; 3XX → config (with a hint about base_url); a URL on another origin →
  // data (nothing is sent); a body over max_body_bytes → data (at once, no retry); retries
  // exhausted → unavailable; stop requested → unavailable.
  // `validate` (optional) checks a 2XX body; a failing body is retried like a 5XX and, when the
  // retries run out, its Error (ExitCode::data) is returned.
  using Validator = gigasync::Validator;
  Result<ApiReply> send(const std::string& method, const std::string& url, const std::string& body = "",
                        const std::string& idempotency_key = "", const Validator& validate = {});

  // GET one list page (validated). `where` names it in messages, e.g. "page 3".
  Result<json::IntegrationPage> get_page(const std::string& url, const std::string& where);

  // GET /integrations/:id/ → the object, or nullopt on 404.
  Result<std::optional<Integration>> get_integration(const std::string& id);

  std::string first_page_url() const;                // .../integrations/?page=1&page_size=N
  std::string item_url(const std::string& id) const;  // .../integrations/ID/
  std::string collection_url() const;                // .../integrations/

  // Remote (remote.h): the same, for any resource and integration.
  Result<ApiReply> call(const ApiCall& c, const Validator& validate = {}) override;
  std::string list_url(const Resource& r, std::string_view query = "") const override;
  std::string item_url(const Resource& r, const std::string& id) const override;
  std::string collection_url(const Resource& r) const override;
  // Error (data) unless `url` has the configured scheme, host and port as libcurl's URL API reads
  // it (http::parse_url, the same reading send() uses for the request); Error (config) when
  // api.base_url itself does not parse.
  Status check_origin(const std::string& url, const std::string& what) const override;

  const ApiStats& stats() const { return stats_; }

 private:
  Result<ApiReply> send_once_with_retries(const ApiCall& c, const Validator& validate);
  // Why an outcome's body is over max_body_bytes, or nullopt when it is not.
  std::optional<std::string> oversized(const http::Outcome& outcome) const;
  // `url` parsed and checked against the configured origin (see check_origin).
  Result<http::Url> checked(const std::string& url, const std::string& what) const;
  std::unique_ptr<http::Transport> acquire();
  void release(std::unique_ptr<http::Transport> t);
  http::Request build(const ApiCall& c, const std::string& url) const;

  ApiSettings settings_;
  Secret token_;
  http::Url origin_;
  std::optional<std::string> base_error_;  // why settings_.base_url does not parse, when it does not
  http::TransportFactory factory_;
  http::Clock& clock_;
  std::mutex pool_mutex_;
  std::vector<std::unique_ptr<http::Transport>> pool_;
  ApiStats stats_;
};

}  // namespace gigasync
