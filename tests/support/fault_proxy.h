#pragma once
// A fault-injecting HTTP proxy on loopback for tests that run the real gigasync binary: it forwards
// every request (method, path, query, headers including Authorization and Idempotency-Key, body)
// to an upstream origin (the in-process sandbox) and passes the answer back, except where a rule
// says to garble the answer's body or to answer by itself. It records every request it saw,
// with its body, so tests can assert on what gigasync sent.
//
// Absolute links to the upstream API in answers (`next`, `previous`, `Location`) are rewritten to
// point at the proxy, so a client configured with the proxy's base URL stays on its origin.
// Other URLs (e.g. logo URLs under /media/) are passed through unchanged.
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace httplib {
class Server;
}

namespace gigasync::test {

struct ProxiedRequest {
  std::string method;
  std::string path;   // the request target's path as sent (not decoded), e.g. /v2/integrations/abc/
  std::string query;  // raw, without '?'
  std::optional<std::string> idempotency_key;
  std::string body;  // the request body as gigasync sent it
  int status = 0;    // the status answered to gigasync (0 when the upstream could not be reached)
  std::string action;  // "forwarded", "garbled" (forwarded, body replaced) or "injected" (not forwarded)
};

class FaultProxy {
 public:
  // `upstream_origin` like "http://127.0.0.1:PORT" (no trailing slash). Starts serving at once on
  // an ephemeral loopback port; throws std::runtime_error when it cannot.
  explicit FaultProxy(std::string upstream_origin);
  ~FaultProxy();
  FaultProxy(const FaultProxy&) = delete;
  FaultProxy& operator=(const FaultProxy&) = delete;

  std::string origin() const;    // "http://127.0.0.1:PORT"
  std::string base_url() const;  // origin() + "/v2/"

  // The next `count` answers to `method` (and, when `path` is not empty, to that exact request
  // path, e.g. "/v2/integrations/ID/") are forwarded as usual, but their body is replaced with
  // `body` (the status and the other headers are kept). count < 0: every such answer until clear().
  void garble_next(const std::string& method, int count, const std::string& body, const std::string& path = "");

  // The next `count` requests with `method` (and `path`, when not empty) are NOT forwarded: they
  // are answered with `status`, `body` and `content_type`. count < 0: until clear().
  void fail_next(const std::string& method, int count, int status, const std::string& body,
                 const std::string& content_type = "text/html", const std::string& path = "");

  void clear();  // drops every rule: from now on everything is forwarded untouched

  std::vector<ProxiedRequest> requests() const;  // in order of completion
  std::vector<ProxiedRequest> requests(const std::string& method) const;

 private:
  struct Rule {
    std::string method;
    std::string path;
    int remaining = 0;  // < 0: unlimited
    bool forward = true;
    int status = 0;
    std::string body;
    std::string content_type;
  };
  std::optional<Rule> take_rule(const std::string& method, const std::string& path);
  void record(ProxiedRequest r);

  std::string upstream_;
  std::unique_ptr<httplib::Server> http_;
  std::thread thread_;
  int port_ = 0;
  mutable std::mutex mu_;
  std::vector<Rule> rules_;
  std::vector<ProxiedRequest> log_;
};

}  // namespace gigasync::test
