// The order every /v2/ request goes through; see the comment at the top of gigasync/sandbox.h.
#include <chrono>
#include <thread>

#include "sandbox/connection.h"
#include "sandbox/json_text.h"
#include "sandbox/server_impl.h"

namespace gigasync::sandbox {
namespace {

bool is_write(const std::string& method) {
  return method == "POST" || method == "PATCH" || method == "PUT" || method == "DELETE";
}

void add_fault(RequestRecord& rec, const char* name) {
  if (!rec.fault.empty()) rec.fault += ',';
  rec.fault += name;
}

RequestRecord start_record(long long seq, const httplib::Request& req) {
  RequestRecord rec;
  rec.seq = seq;
  rec.method = req.method;
  rec.path = req.path;
  auto q = req.target.find('?');
  if (q != std::string::npos) rec.query = req.target.substr(q + 1);
  std::string key = req.get_header_value("Idempotency-Key");
  if (!key.empty()) rec.idempotency_key = key;
  return rec;
}

bool needs_slash(const std::string& path) {
  return (path == "/v2" || path.starts_with("/v2/")) && path.back() != '/';
}

ApiResponse redirect_with_slash(const httplib::Request& req, const std::string& origin) {
  auto q = req.target.find('?');
  std::string location = origin + req.target.substr(0, q) + "/";
  if (q != std::string::npos) location += req.target.substr(q);
  ApiResponse r = empty_response(307);
  r.headers.emplace_back("Location", location);
  return r;
}

ApiResponse gateway_error(int status) {
  ApiResponse r = json_response(status, gateway_html(status));
  r.content_type = "text/html";
  return r;
}

ApiResponse throttled(int retry_after_s) {
  std::string unit = retry_after_s == 1 ? " second." : " seconds.";
  ApiResponse r = json_response(
      429, detail_json("Request was throttled. Expected available in " + std::to_string(retry_after_s) + unit));
  r.headers.emplace_back("Retry-After", std::to_string(retry_after_s));
  return r;
}

StoredResponse to_stored(const ApiResponse& r) { return {r.status, r.content_type, r.body, r.headers}; }

ApiResponse from_stored(const StoredResponse& s) {
  ApiResponse r;
  r.status = s.status;
  r.content_type = s.content_type;
  r.body = s.body;
  r.headers = s.headers;
  r.headers.emplace_back("Idempotent-Replayed", "true");
  return r;
}

void truncate_body(ApiResponse& r) { r.body.resize(r.body.size() / 2); }

// Fallback for a lost response when the socket cannot be found: the status line and headers
// go out, then the connection closes before the promised body.
void write_unfinished(const ApiResponse& a, httplib::Response& res) {
  res.status = a.status;
  for (const auto& [name, value] : a.headers) res.set_header(name, value);
  res.set_content_provider(a.body.size() + 1, a.content_type.empty() ? "application/json" : a.content_type,
                           [](std::size_t, std::size_t, httplib::DataSink&) { return false; });
}

}  // namespace

void Server::Impl::serve_api(const httplib::Request& req, httplib::Response& res) {
  RequestRecord rec = start_record(log.next_seq(), req);
  FaultDecision d = faults.draw(is_write(req.method), req.method == "GET");
  if (d.latency_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(d.latency_ms));
  bool reached = false;
  ApiResponse resp = answer(req, d, rec, reached);
  if (d.truncate && resp.status == 200 && !resp.body.empty()) {
    truncate_body(resp);
    add_fault(rec, "truncate");
  }
  bool lose = reached && d.lose_response;
  if (lose) add_fault(rec, "lose_response");
  rec.status = resp.status;
  rec.applied = resp.applied;
  log.add(rec);
  if (lose && !drop_connection(req.local_addr, req.local_port, req.remote_addr, req.remote_port)) {
    return write_unfinished(resp, res);
  }
  write_response(resp, res);
}

ApiResponse Server::Impl::answer(const httplib::Request& req, const FaultDecision& d, RequestRecord& rec,
                                 bool& reached) {
  if (d.error_status) {
    add_fault(rec, "error");
    return gateway_error(d.error_status);
  }
  if (auto refused = check_token(req, opts.token)) return *refused;
  if (needs_slash(req.path)) return redirect_with_slash(req, state.origin);
  if (d.forbid) {
    add_fault(rec, "forbid");
    return json_response(403, detail_json("You do not have permission to perform this action."));
  }
  if (d.throttle) {
    add_fault(rec, "rate_limit");
    return throttled(d.retry_after_s);
  }
  if (is_account_path(req.path) && req.has_header("Integration-ID") &&
      faults.refuses(req.get_header_value("Integration-ID"))) {
    add_fault(rec, "refuse_integration");
    return json_response(403, detail_json("You do not have permission to perform this action."));
  }
  reached = true;
  return endpoint(req, d, rec);
}

ApiResponse Server::Impl::endpoint(const httplib::Request& req, const FaultDecision& d, RequestRecord& rec) {
  ApiRequest r = to_api_request(req);
  std::lock_guard lock(mu);
  const bool keyed = rec.idempotency_key.has_value() && is_write(r.method);
  // The same key, path and body for another integration is another request.
  const std::string scope = r.integration_id ? r.path + '\n' + *r.integration_id : r.path;
  const std::uint64_t fingerprint = keyed ? request_fingerprint(r.method, scope, r.body) : 0;
  StoredResponse stored;
  auto found = keyed ? state.idempotency.find(*rec.idempotency_key, fingerprint, stored)
                     : IdempotencyStore::Lookup::miss;
  if (found == IdempotencyStore::Lookup::replay) {
    rec.replayed = true;
    return from_stored(stored);
  }
  if (found == IdempotencyStore::Lookup::conflict) {
    return json_response(400, non_field_error_json("Idempotency-Key reused for a different request."));
  }
  ApiResponse resp = handle_api(state, r, d.link_origin.empty() ? state.origin : d.link_origin);
  if (keyed) state.idempotency.save(*rec.idempotency_key, fingerprint, to_stored(resp));
  if (resp.page && faults.count_list_read()) {
    apply_drift(state, *resp.page);
    add_fault(rec, "drift");
  }
  return resp;
}

}  // namespace gigasync::sandbox
