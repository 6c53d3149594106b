#include "support/fault_proxy.h"

#include <httplib.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <stdexcept>

namespace gigasync::test {
namespace {

bool same_name(const std::string& a, const char* b) {
  std::string_view v(b);
  return std::equal(a.begin(), a.end(), v.begin(), v.end(), [](char x, char y) {
    return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
  });
}

bool is_one_of(const std::string& name, std::initializer_list<const char*> names) {
  return std::any_of(names.begin(), names.end(), [&](const char* n) { return same_name(name, n); });
}

// Request headers not passed upstream: hop-by-hop ones, the ones httplib computes itself, and the
// pseudo-headers httplib's server adds (REMOTE_ADDR, ...).
bool skip_request_header(const std::string& name) {
  return is_one_of(name, {"Host", "Content-Length", "Connection", "Keep-Alive", "Transfer-Encoding", "Expect",
                          "Accept-Encoding", "TE", "Upgrade", "REMOTE_ADDR", "REMOTE_PORT", "LOCAL_ADDR",
                          "LOCAL_PORT"});
}

// Answer headers not passed back: the ones httplib's server computes itself for the body it sends.
bool skip_response_header(const std::string& name) {
  return is_one_of(name, {"Content-Length", "Connection", "Keep-Alive", "Transfer-Encoding", "Content-Encoding"});
}

std::string replace_all(std::string s, const std::string& from, const std::string& to) {
  if (from.empty()) return s;
  for (size_t pos = s.find(from); pos != std::string::npos; pos = s.find(from, pos + to.size()))
    s.replace(pos, from.size(), to);
  return s;
}

}  // namespace

FaultProxy::FaultProxy(std::string upstream_origin) : upstream_(std::move(upstream_origin)) {
  http_ = std::make_unique<httplib::Server>();
  auto handler = [this](const httplib::Request& req, httplib::Response& res) {
    ProxiedRequest rec;
    rec.method = req.method;
    std::string target = req.target;
    auto q = target.find('?');
    rec.path = target.substr(0, q);
    if (q != std::string::npos) rec.query = target.substr(q + 1);
    std::string key = req.get_header_value("Idempotency-Key");
    if (!key.empty()) rec.idempotency_key = key;
    rec.body = req.body;

    auto rule = take_rule(rec.method, rec.path);
    if (rule && !rule->forward) {
      res.status = rule->status;
      res.set_content(rule->body, rule->content_type.c_str());
      rec.status = rule->status;
      rec.action = "injected";
      record(std::move(rec));
      return;
    }

    httplib::Request up;
    up.method = req.method;
    up.path = target;  // raw: the proxy neither decodes nor re-encodes
    for (const auto& [name, value] : req.headers)
      if (!skip_request_header(name)) up.headers.emplace(name, value);
    up.headers.emplace("Accept-Encoding", "identity");
    up.body = req.body;

    httplib::Client client(upstream_);
    client.set_url_encode(false);
    client.set_decompress(true);
    client.set_keep_alive(false);
    client.set_connection_timeout(std::chrono::seconds(5));
    client.set_read_timeout(std::chrono::seconds(60));
    client.set_write_timeout(std::chrono::seconds(60));
    auto answer = client.send(up);
    if (!answer) {
      res.status = 502;
      res.set_content("<html><body>fault proxy: upstream unreachable (" + httplib::to_string(answer.error()) +
                          ")</body></html>",
                      "text/html");
      rec.status = 0;
      rec.action = "forwarded";
      record(std::move(rec));
      return;
    }
    const std::string self = origin();
    res.status = answer->status;
    for (const auto& [name, value] : answer->headers) {
      if (skip_response_header(name)) continue;
      res.headers.emplace(name, same_name(name, "Location") ? replace_all(value, upstream_ + "/v2/", self + "/v2/") : value);
    }
    // next/previous links of a page: absolute URLs of the upstream API become the proxy's.
    res.body = replace_all(answer->body, "\"" + upstream_ + "/v2/", "\"" + self + "/v2/");
    rec.action = "forwarded";
    if (rule) {
      res.body = rule->body;
      rec.action = "garbled";
    }
    rec.status = res.status;
    record(std::move(rec));
  };
  const char* all = R"(.*)";
  http_->Get(all, handler).Post(all, handler).Put(all, handler).Patch(all, handler).Delete(all, handler).Options(all, handler);
  http_->set_keep_alive_timeout(2);
  port_ = http_->bind_to_any_port("127.0.0.1");
  if (port_ <= 0) throw std::runtime_error("fault proxy: cannot listen on 127.0.0.1");
  thread_ = std::thread([h = http_.get()] { h->listen_after_bind(); });
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (!http_->is_running() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

FaultProxy::~FaultProxy() {
  http_->stop();
  if (thread_.joinable()) thread_.join();
}

std::string FaultProxy::origin() const { return "http://127.0.0.1:" + std::to_string(port_); }

std::string FaultProxy::base_url() const { return origin() + "/v2/"; }

void FaultProxy::garble_next(const std::string& method, int count, const std::string& body, const std::string& path) {
  std::lock_guard lock(mu_);
  rules_.push_back(Rule{method, path, count, true, 0, body, ""});
}

void FaultProxy::fail_next(const std::string& method, int count, int status, const std::string& body,
                           const std::string& content_type, const std::string& path) {
  std::lock_guard lock(mu_);
  rules_.push_back(Rule{method, path, count, false, status, body, content_type});
}

void FaultProxy::clear() {
  std::lock_guard lock(mu_);
  rules_.clear();
}

std::optional<FaultProxy::Rule> FaultProxy::take_rule(const std::string& method, const std::string& path) {
  std::lock_guard lock(mu_);
  for (auto it = rules_.begin(); it != rules_.end(); ++it) {
    if (it->method != method || (!it->path.empty() && it->path != path) || it->remaining == 0) continue;
    Rule r = *it;
    if (it->remaining > 0 && --it->remaining == 0) rules_.erase(it);
    return r;
  }
  return std::nullopt;
}

void FaultProxy::record(ProxiedRequest r) {
  std::lock_guard lock(mu_);
  log_.push_back(std::move(r));
}

std::vector<ProxiedRequest> FaultProxy::requests() const {
  std::lock_guard lock(mu_);
  return log_;
}

std::vector<ProxiedRequest> FaultProxy::requests(const std::string& method) const {
  std::lock_guard lock(mu_);
  std::vector<ProxiedRequest> out;
  for (const auto& r : log_)
    if (r.method == method) out.push_back(r);
  return out;
}

}  // namespace gigasync::test
