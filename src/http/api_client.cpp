#include "gigasync/api_client.h"

#include <spdlog/spdlog.h>

#include <cctype>
#include <cstdlib>

#include "gigasync/cancel.h"

namespace gigasync {
namespace {

bool retryable_status(long status) { return status == 429 || status >= 500; }

std::string path_of(const std::string& url) {
  auto u = http::parse_url(url);
  return u ? u->path_and_query : url;
}

// An Error naming `where` first (e.g. "page 3: GET /v2/...: ..."), unless the message already does.
Error named(Error e, const std::string& where) {
  if (e.code == ExitCode::data && !e.message.starts_with(where)) e.message = where + ": " + e.message;
  return e;
}

std::string status_summary(const http::Response& r) {
  std::string ct = r.header("Content-Type");
  std::string kind = ct.find("html") != std::string::npos ? " (HTML body)" : "";
  return "HTTP " + std::to_string(r.status) + kind;
}

}  // namespace


std::string url_encode_segment(const std::string& s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

ApiClient::ApiClient(ApiSettings settings, Secret token, http::TransportFactory factory, http::Clock& clock)
    : settings_(std::move(settings)), token_(std::move(token)), factory_(std::move(factory)), clock_(clock) {
  auto u = http::parse_url(settings_.base_url);
  if (u) origin_ = u.value();
  else base_error_ = "api.base_url: " + u.error().message;
}

std::string ApiClient::collection_url(const Resource& r) const { return settings_.base_url + std::string(r.path); }
std::string ApiClient::list_url(const Resource& r, std::string_view query) const {
  return collection_url(r) + "?" + (query.empty() ? "" : std::string(query) + "&") +
         "page=1&page_size=" + std::to_string(settings_.page_size);
}
std::string ApiClient::item_url(const Resource& r, const std::string& id) const {
  return collection_url(r) + url_encode_segment(id) + "/";
}
std::string ApiClient::collection_url() const { return collection_url(integrations_resource()); }
std::string ApiClient::first_page_url() const { return list_url(integrations_resource()); }
std::string ApiClient::item_url(const std::string& id) const { return item_url(integrations_resource(), id); }

Result<http::Url> ApiClient::checked(const std::string& url, const std::string& what) const {
  if (base_error_) return make_error(ExitCode::config, *base_error_);
  auto u = http::parse_url(url);
  if (!u) return make_error(ExitCode::data, what + ": link is not a valid URL: " + u.error().message);
  if (!u->same_origin(origin_))
    return make_error(ExitCode::data, what + ": refused to follow a link to " + u->origin() +
                                          ", which is not the configured API origin " + origin_.origin() +
                                          " (the token is only ever sent to the configured origin)");
  return u;
}

Status ApiClient::check_origin(const std::string& url, const std::string& what) const {
  auto u = checked(url, what);
  if (!u) return u.error();
  return ok_status();
}

std::unique_ptr<http::Transport> ApiClient::acquire() {
  std::lock_guard lock(pool_mutex_);
  if (pool_.empty()) return factory_();
  auto t = std::move(pool_.back());
  pool_.pop_back();
  return t;
}

void ApiClient::release(std::unique_ptr<http::Transport> t) {
  std::lock_guard lock(pool_mutex_);
  pool_.push_back(std::move(t));
}

http::Request ApiClient::build(const ApiCall& c, const std::string& url) const {
  http::Request r;
  r.method = c.method;
  r.url = url;
  r.body = c.body;
  r.headers.emplace_back("Authorization", "Token " + token_.value);
  r.headers.emplace_back("Accept", "application/json");
  const std::string& integration = c.integration_id.empty() ? settings_.integration_id : c.integration_id;
  if (!integration.empty()) r.headers.emplace_back("Integration-ID", integration);
  if (!c.body.empty()) r.headers.emplace_back("Content-Type", "application/json");
  if (!c.idempotency_key.empty()) r.headers.emplace_back("Idempotency-Key", c.idempotency_key);
  return r;
}

Result<ApiReply> ApiClient::send(const std::string& method, const std::string& url, const std::string& body,
                                 const std::string& key, const Validator& validate) {
  return call(ApiCall{method, url, body, key, ""}, validate);
}

Result<ApiReply> ApiClient::call(const ApiCall& c, const Validator& validate) {
  auto reply = send_once_with_retries(c, validate);
  if (reply) return reply;
  // An error page may echo request headers back: the token never leaves in a message.
  Error e = reply.error();
  for (size_t pos = e.message.find(token_.value); !token_.value.empty() && pos != std::string::npos;
       pos = e.message.find(token_.value, pos))
    e.message.replace(pos, token_.value.size(), "[redacted]");
  return e;
}

Result<ApiReply> ApiClient::send_once_with_retries(const ApiCall& c, const Validator& validate) {
  const std::string& method = c.method;
  const std::string& url = c.url;
  // One reading of the URL: the origin is checked on it and the request goes to libcurl's own
  // spelling of it (Url::text), never to the string as it came.
  auto target = checked(url, method + " " + path_of(url));
  if (!target) return target.error();
  const http::Request request = build(c, target->text);
  const std::string what = method + " " + path_of(url);
  std::string last_problem;
  std::optional<Error> last_data_error;
  auto transport = acquire();
  for (int attempt = 0; attempt <= settings_.max_retries; ++attempt) {
    if (stop_requested()) { last_problem = "stopped"; break; }
    if (attempt > 0) stats_.retries++;
    stats_.requests++;
    auto started = std::chrono::steady_clock::now();
    http::Outcome outcome = transport->perform(request);
    spdlog::debug("{}: {} in {} ms", what, outcome.ok() ? "HTTP " + std::to_string(outcome.response->status) : outcome.failure.message,
                  std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count());
    std::optional<std::chrono::milliseconds> wait;
    if (auto too_large = oversized(outcome)) {
      release(std::move(transport));
      return make_error(ExitCode::data, what + ": " + *too_large + "; reading stopped there, nothing of it was used");
    }
    if (!outcome.ok()) {
      last_problem = outcome.failure.message;
    } else {
      const http::Response& r = *outcome.response;
      if (r.status == 401 || (r.status == 403 && c.integration_id.empty())) {
        release(std::move(transport));
        return make_error(ExitCode::auth, what + ": the API refused the token (HTTP " + std::to_string(r.status) +
                                              ": " + json::describe_error_body(r.body) + ")");
      }
      if (r.status >= 300 && r.status < 400) {
        release(std::move(transport));
        std::string location = r.header("Location");
        return make_error(ExitCode::config,
                          what + ": the API answered a redirect (HTTP " + std::to_string(r.status) + " to " +
                              (location.empty() ? "?" : location) +
                              "); gigasync never follows redirects: check api.base_url (https, exact host, trailing '/')");
      }
      if (retryable_status(r.status)) {
        last_problem = status_summary(r);
        wait = http::parse_retry_after(r.header("Retry-After"));
      } else if (r.status >= 200 && r.status < 300 && validate) {
        if (auto s = validate(r.body); !s) {
          last_problem = s.error().message;
          last_data_error = s.error();
        } else {
          release(std::move(transport));
          return ApiReply{r.status, r.body, r.header("Idempotent-Replayed") == "true"};
        }
      } else {
        release(std::move(transport));
        return ApiReply{r.status, r.body, r.header("Idempotent-Replayed") == "true"};
      }
    }
    if (attempt == settings_.max_retries) break;
    auto delay = wait.value_or(http::backoff_delay(attempt, settings_.backoff_base, settings_.backoff_cap));
    spdlog::debug("{}: {}; retry {} of {} in {} ms", what, last_problem, attempt + 1, settings_.max_retries,
                  delay.count());
    clock_.sleep_for(delay);
  }
  release(std::move(transport));
  if (last_data_error) {
    return make_error(ExitCode::data, last_data_error->message + " (after " +
                                          std::to_string(settings_.max_retries + 1) + " attempts)");
  }
  return make_error(ExitCode::unavailable, what + ": " + last_problem + " (gave up after " +
                                               std::to_string(settings_.max_retries + 1) + " attempts)");
}

std::optional<std::string> ApiClient::oversized(const http::Outcome& outcome) const {
  if (!outcome.ok()) {
    if (outcome.failure.kind == http::FailureKind::too_large) return outcome.failure.message;
    return std::nullopt;
  }
  // Transports other than libcurl (tests, proxies) may hand over a whole body: the same cap holds.
  if (static_cast<long long>(outcome.response->body.size()) > settings_.max_body_bytes)
    return "the response body is larger than " + std::to_string(settings_.max_body_bytes) +
           " bytes (api.max_body_bytes)";
  return std::nullopt;
}

Result<json::IntegrationPage> ApiClient::get_page(const std::string& url, const std::string& where) {
  std::optional<json::IntegrationPage> parsed;
  auto reply = send("GET", url, "", "", [&](const std::string& body) -> Status {
    auto p = json::parse_page(body, where);
    if (!p) return p.error();
    parsed = std::move(p.value());
    return ok_status();
  });
  if (!reply) return named(reply.error(), where);
  if (reply->status == 404 && where != "page 1") {
    json::IntegrationPage gone;
    gone.gone = true;
    return gone;
  }
  if (reply->status != 200 || !parsed)
    return make_error(ExitCode::data, where + ": unexpected HTTP " + std::to_string(reply->status) + " (" +
                                          json::describe_error_body(reply->body) + ")");
  return std::move(*parsed);
}

Result<std::optional<Integration>> ApiClient::get_integration(const std::string& id) {
  return get_object(*this, integrations_resource(), id);
}

Result<std::optional<Record>> get_object(Remote& api, const Resource& r, const std::string& id,
                                         const std::string& integration_id) {
  std::optional<Record> parsed;
  std::string where = "GET " + std::string(r.singular) + " " + id;
  if (!integration_id.empty()) where += " (integration " + integration_id + ")";
  auto reply = api.call(ApiCall{"GET", api.item_url(r, id), "", "", integration_id}, [&](const std::string& body) -> Status {
    auto p = json::parse_object(r, body, where, integration_id);
    if (!p) return p.error();
    parsed = std::move(p.value());
    return ok_status();
  });
  if (!reply) return named(reply.error(), where);
  if (reply->status == 404) return std::optional<Record>{};
  // Under an integration, a 4XX is the API refusing that integration's objects (as for a listing):
  // the integration is recorded as refused and the cycle goes on (exit 1), not a broken contract.
  if (!integration_id.empty() && reply->status >= 400 && reply->status < 500)
    return make_error(ExitCode::partial, "refused: " + std::string(r.name) + " of integration " + integration_id +
                                             " answered HTTP " + std::to_string(reply->status) + " (" +
                                             json::describe_error_body(reply->body) + ") to " + where);
  if (reply->status != 200 || !parsed)
    return make_error(ExitCode::data, where + ": unexpected HTTP " + std::to_string(reply->status) + " (" +
                                          json::describe_error_body(reply->body) + ")");
  if (parsed->id != id)
    return make_error(ExitCode::data, where + ": the answer is " + std::string(r.singular) + " '" + parsed->id +
                                          "', not '" + id + "'");
  return std::optional<Record>(std::move(*parsed));
}

}  // namespace gigasync
