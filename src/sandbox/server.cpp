#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>

#include "sandbox/account_admin.h"
#include "sandbox/account_seed.h"
#include "sandbox/json_text.h"
#include "sandbox/seed.h"
#include "sandbox/server_impl.h"

namespace gigasync::sandbox {
namespace {

constexpr std::size_t kMaxBody = 16u << 20;

bool is_admin(const std::string& path) { return path == "/_sandbox" || path.starts_with("/_sandbox/"); }

// httplib refuses methods it does not know (TRACE, ...) with an empty 400, or an empty 404 when
// it knows them but has no handler (CONNECT). Both become DRF's 405.
httplib::Server::HandlerResponse unknown_method(const httplib::Request& req, httplib::Response& res) {
  static const char* known[] = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"};
  bool is_known = std::find(std::begin(known), std::end(known), req.method) != std::end(known);
  if ((res.status != 400 && res.status != 404) || !res.body.empty() || is_known || req.method.empty()) {
    return httplib::Server::HandlerResponse::Unhandled;
  }
  write_response(not_allowed(req.method, "GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS"), res);
  return httplib::Server::HandlerResponse::Handled;
}

// httplib's default also sets SO_REUSEPORT, which would let a second sandbox share the port.
void reuse_address_only(socket_t sock) {
  int yes = 1;
  setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
}

Result<int> bind(httplib::Server& http, const Options& o) {
  errno = 0;
  int port = o.port == 0 ? http.bind_to_any_port(o.host) : (http.bind_to_port(o.host, o.port) ? o.port : -1);
  if (port > 0) return port;
  std::string why = errno ? std::string(": ") + std::strerror(errno) : std::string();
  return make_error(ExitCode::unavailable, "cannot listen on " + o.host + ":" + std::to_string(o.port) + why);
}

}  // namespace

std::int64_t clock_offset_for(const std::string& clock_start) {
  if (clock_start.empty()) return 0;
  auto t = parse_iso8601(clock_start);
  return t ? *t - now_micros() : 0;
}

Server::Impl::Impl(Options o)
    : opts(std::move(o)),
      state(opts.data_seed, std::max(1, opts.max_page_size), clock_offset_for(opts.clock_start)),
      faults(opts.faults),
      webhooks(state.clock, faults, opts.webhook_retry_ms) {
  state.webhooks = &webhooks;
  seed_store(state.store, state.gen, opts.seed);
  state.extra_fields = opts.extra_fields;
  if (opts.seed_payouts > 0) {
    auto start = parse_iso8601(opts.clock_start);
    seed_accounts(state, static_cast<std::size_t>(opts.seed_payouts), start ? *start : state.clock.now());
  }
  if (!state.extra_fields.empty()) {
    std::vector<Record> all = state.store.all();
    for (auto& r : all) {
      for (const auto& name : state.extra_fields) r.extra.emplace_back(name, "\"\"");
      state.store.upsert(std::move(r));
    }
  }
}

void Server::Impl::install_routes(httplib::Server& h) {
  auto handler = [this](const httplib::Request& req, httplib::Response& res) { handle(req, res); };
  const char* all = R"(.*)";
  h.Get(all, handler).Post(all, handler).Put(all, handler).Patch(all, handler).Delete(all, handler).Options(all, handler);
  h.set_error_handler(httplib::Server::HandlerWithResponse(unknown_method));
  h.set_socket_options(reuse_address_only);
  h.set_tcp_nodelay(true);  // no 40 ms Nagle/delayed-ACK stall per answer
  h.set_keep_alive_timeout(2);
  h.set_payload_max_length(kMaxBody);
}

void Server::Impl::handle(const httplib::Request& req, httplib::Response& res) {
  if (!is_admin(req.path)) return serve_api(req, res);
  if (auto refused = check_token(req, opts.token)) return write_response(*refused, res);
  write_response(serve_admin(to_api_request(req)), res);
}

Server::Server(Options o) : impl_(std::make_unique<Impl>(std::move(o))) {}

Server::~Server() { stop(); }

Result<int> Server::start() {
  Impl& m = *impl_;
  if (m.http) return make_error(ExitCode::software, "the sandbox is already running");
  if (!m.opts.request_log.empty()) {
    if (auto opened = m.log.open(m.opts.request_log); !opened) return opened.error();
  }
  auto http = std::make_unique<httplib::Server>();
  m.install_routes(*http);
  auto bound = bind(*http, m.opts);
  if (!bound) return bound.error();
  m.port = *bound;
  {
    std::lock_guard lock(m.mu);
    m.state.origin = origin_for(m.opts.host, m.port);
  }
  m.http = std::move(http);
  m.thread = std::thread([h = m.http.get()] { h->listen_after_bind(); });
  m.webhooks.start();
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (!m.http->is_running() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return m.port;
}

void Server::stop() {
  Impl& m = *impl_;
  if (!m.http) return;
  m.http->stop();
  if (m.thread.joinable()) m.thread.join();
  m.http.reset();
  m.webhooks.stop();
}

int Server::port() const { return impl_->port; }

std::string Server::origin() const { return origin_for(impl_->opts.host, impl_->port); }

std::string Server::base_url() const { return origin() + "/v2/"; }

void Server::set_faults(const Faults& f) { impl_->faults.set(f); }

Faults Server::faults() const { return impl_->faults.get(); }

std::size_t Server::object_count() const {
  std::lock_guard lock(impl_->mu);
  return impl_->state.store.size();
}

std::string Server::objects_json() const {
  std::lock_guard lock(impl_->mu);
  return all_json(impl_->state.store);
}

Status Server::put_object(const std::string& json) {
  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseValidateEncodingFlag>(json.data(), json.size());
  if (doc.HasParseError() || !doc.IsObject() || !doc.HasMember("id") || !doc["id"].IsString()) {
    return make_error(ExitCode::data, "put_object needs a JSON object with a string \"id\"");
  }
  FieldErrors errors;
  Record r = record_as_is(doc, doc["id"].GetString(), errors);
  if (!errors.empty()) return make_error(ExitCode::data, "put_object: " + errors.to_json());
  std::lock_guard lock(impl_->mu);
  add_missing_extras(r, impl_->state.extra_fields);
  impl_->state.store.upsert(std::move(r));
  return ok_status();
}

bool Server::remove_object(const std::string& id) {
  std::lock_guard lock(impl_->mu);
  if (!impl_->state.store.erase(id)) return false;
  integration_removed(impl_->state, id);
  return true;
}

std::vector<RequestRecord> Server::requests() const { return impl_->log.all(); }

std::string Server::requests_json() const { return impl_->log.all_json(); }

ObjectCounts Server::counts() const {
  std::lock_guard lock(impl_->mu);
  AccountCounts a = impl_->state.accounts.counts();
  return ObjectCounts{impl_->state.store.size(), a.employees, a.payouts, a.payruns, a.invoices, a.webhooks};
}

Result<std::string> Server::account_objects_json(const std::string& integration_id, const std::string& resource) const {
  std::lock_guard lock(impl_->mu);
  auto json = admin_all_json(impl_->state, integration_id, resource);
  if (!json) return make_error(ExitCode::data, "no integration " + integration_id + " or no resource " + resource);
  return std::move(*json);
}

std::string Server::webhook_deliveries_json() const { return impl_->webhooks.log_json(); }

bool Server::wait_for_webhooks(std::chrono::milliseconds timeout) const { return impl_->webhooks.wait_idle(timeout); }

}  // namespace gigasync::sandbox
