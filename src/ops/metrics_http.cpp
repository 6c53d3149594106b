// [metrics] listen: /metrics and /healthz over HTTP (cpp-httplib), answered from what the daemon
// published after its last cycle.
#include "gigasync/metrics_http.h"

#include <httplib.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>

namespace gigasync::ops {
namespace {

constexpr const char* kMetricsType = "text/plain; version=0.0.4; charset=utf-8";
constexpr const char* kJsonType = "application/json";
constexpr const char* kTextType = "text/plain; charset=utf-8";

std::string iso_utc(WallClock::time_point t) {
  const std::time_t secs = WallClock::to_time_t(t);
  std::tm tm{};
  ::gmtime_r(&secs, &tm);
  char buf[32];
  const std::size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return std::string(buf, n);
}

const char* failure_text(ExitCode code) {
  switch (code) {
    case ExitCode::data:
      return "the API sent data that does not fit its contract";
    case ExitCode::unavailable:
      return "the API stayed unreachable or kept failing after the retries";
    case ExitCode::software:
      return "the self-check found a difference, or an internal error";
    case ExitCode::cant_create:
      return "the database could not be opened or written";
    case ExitCode::locked:
      return "another cycle held the lock";
    case ExitCode::auth:
      return "the API refused the token";
    case ExitCode::config:
      return "a configuration problem (or the API answered a redirect)";
    case ExitCode::usage:
      return "a usage error";
    case ExitCode::ok:
    case ExitCode::partial:
      break;
  }
  return "an error";
}

// httplib's default also sets SO_REUSEPORT, which would let a second process share the port
// (and hide the "already in use" error).
void reuse_address_only(socket_t sock) {
  int yes = 1;
  ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
}

bool known_path(const std::string& path) { return path == "/metrics" || path == "/healthz"; }

void write(const HttpAnswer& a, httplib::Response& res) {
  res.status = a.status;
  if (a.status == 405) res.set_header("Allow", "GET, HEAD");
  res.set_header("Cache-Control", "no-store");
  res.set_content(a.body, a.content_type.c_str());
}

void string(rapidjson::Writer<rapidjson::StringBuffer>& w, const std::string& s) {
  w.String(s.c_str(), static_cast<rapidjson::SizeType>(s.size()));
}

std::string plural(long long n, const char* one, const char* many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

// "full_every_s", "resources" and "warnings" (see health_answer).
void write_resources(rapidjson::Writer<rapidjson::StringBuffer>& w, const HealthState& h, WallClock::time_point now) {
  const long long overdue_after = static_cast<long long>(h.full_every_s) + 3LL * h.interval_s;
  std::vector<std::string> warnings;
  w.Key("full_every_s");
  w.Int(h.full_every_s);
  w.Key("resources");
  w.StartObject();
  for (const auto& f : h.resources) {
    const bool account = f.resource != "integrations";
    string(w, f.resource);
    w.StartObject();
    w.Key("rows");
    w.Int64(f.rows);
    w.Key("refused");
    w.Int64(f.refused);
    if (f.refused > 0)
      warnings.push_back(f.resource + ": the API refused the objects of " +
                         plural(f.refused, "integration", "integrations") + " ('gigasync status' names them)");
    if (account) {
      w.Key("never_listed");
      w.Int64(f.never_listed);
      std::optional<long long> age;
      w.Key("last_full_list");
      if (f.full_list_unix) {
        const auto at = WallClock::time_point(std::chrono::seconds(*f.full_list_unix));
        string(w, iso_utc(at));
        age = std::max<long long>(0, std::chrono::duration_cast<std::chrono::seconds>(now - at).count());
      } else {
        w.Null();
      }
      w.Key("full_list_age_s");
      if (age) w.Int64(*age);
      else w.Null();
      const bool overdue = age && *age > overdue_after;
      w.Key("full_list_overdue");
      w.Bool(overdue);
      if (overdue)
        warnings.push_back(f.resource + ": the oldest complete listing started " + std::to_string(*age) +
                           " s ago, more than full_every_s + 3 x interval_s (" + std::to_string(overdue_after) + " s)");
    }
    if (f.fetched || f.written) {
      w.Key("last_cycle");
      w.StartObject();
      w.Key("fetched");
      w.Int64(f.fetched.value_or(0));
      w.Key("written");
      w.Int64(f.written.value_or(0));
      w.EndObject();
    }
    w.EndObject();
  }
  w.EndObject();
  w.Key("warnings");
  w.StartArray();
  for (const auto& line : warnings) string(w, line);
  w.EndArray();
}

}  // namespace

const char* error_class(ExitCode code) {
  switch (code) {
    case ExitCode::data:
      return "api_data";
    case ExitCode::unavailable:
      return "api_unavailable";
    case ExitCode::software:
      return "internal";
    case ExitCode::cant_create:
      return "database";
    case ExitCode::locked:
      return "locked";
    case ExitCode::auth:
      return "auth";
    case ExitCode::config:
      return "config";
    case ExitCode::usage:
      return "usage";
    case ExitCode::ok:
    case ExitCode::partial:
      break;
  }
  return "unknown";
}

HttpAnswer health_answer(const HealthState& h, WallClock::time_point now) {
  const long long limit_s = 3LL * h.interval_s;
  std::optional<long long> age_s;
  if (h.last_success) {
    age_s = std::max<long long>(0, std::chrono::duration_cast<std::chrono::seconds>(now - *h.last_success).count());
  }
  std::string reason;
  if (h.last == HealthState::Last::never) {
    reason = "no full sync cycle has finished since the daemon started";
  } else if (h.last == HealthState::Last::failed) {
    reason = std::string("the last full sync cycle failed: ") + failure_text(h.failure) + " (exit " +
             std::to_string(static_cast<int>(h.failure)) + ")";
  } else if (!age_s || *age_s > limit_s) {
    reason = "the last good full sync cycle ended " + std::to_string(age_s.value_or(0)) +
             " s ago, more than 3 x interval_s (" + std::to_string(limit_s) + " s)";
  }
  const bool healthy = reason.empty();

  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  w.StartObject();
  w.Key("status");
  w.String(healthy ? "ok" : "unhealthy");
  if (!healthy) {
    w.Key("reason");
    w.String(reason.c_str(), static_cast<rapidjson::SizeType>(reason.size()));
    if (h.last == HealthState::Last::failed) {
      w.Key("error_class");
      w.String(error_class(h.failure));
      w.Key("exit_code");
      w.Int(static_cast<int>(h.failure));
    }
  }
  w.Key("last_success");
  if (h.last_success) {
    const std::string at = iso_utc(*h.last_success);
    w.String(at.c_str(), static_cast<rapidjson::SizeType>(at.size()));
  } else {
    w.Null();
  }
  w.Key("age_s");
  if (age_s) w.Int64(*age_s);
  else w.Null();
  w.Key("interval_s");
  w.Int(h.interval_s);
  w.Key("push_paused");
  w.Bool(h.push_paused);
  if (h.push_paused) {
    w.Key("note");
    w.String("pushing is paused (gigasync pause): pulls go on, local edits wait; gigasync resume");
  }
  if (!h.resources.empty()) write_resources(w, h, now);
  w.EndObject();
  return {healthy ? 200 : 503, kJsonType, std::string(buf.GetString(), buf.GetSize()) + "\n"};
}

HttpAnswer MetricsServer::answer(const std::string& method, const std::string& path) const {
  if (!known_path(path)) return {404, kTextType, "not found: this server has /metrics and /healthz\n"};
  if (method != "GET" && method != "HEAD") return {405, kTextType, "method not allowed: GET or HEAD\n"};
  std::lock_guard lock(mu_);
  if (path == "/healthz") return health_answer(health_, WallClock::now());
  if (!have_metrics_) return {503, kTextType, "no metrics yet: the database could not be read\n"};
  return {200, kMetricsType, metrics_};
}

void MetricsServer::publish_metrics(std::string text) {
  std::lock_guard lock(mu_);
  metrics_ = std::move(text);
  have_metrics_ = true;
}

void MetricsServer::publish_health(const HealthState& h) {
  std::lock_guard lock(mu_);
  health_ = h;
}

Result<std::unique_ptr<MetricsServer>> MetricsServer::start(const std::string& listen) {
  auto s = bind(listen);
  if (s) s.value()->serve();
  return s;
}

Result<std::unique_ptr<MetricsServer>> MetricsServer::bind(const std::string& listen) {
  auto addr = parse_listen_address(listen);
  if (!addr) {
    return make_error(ExitCode::config, "metrics.listen \"" + listen +
                                            "\" is not \"HOST:PORT\" with HOST an IP address (e.g. \"127.0.0.1:9464\")");
  }
  std::unique_ptr<MetricsServer> s(new MetricsServer());
  s->address_ = *addr;
  s->http_ = std::make_unique<httplib::Server>();
  httplib::Server& h = *s->http_;
  MetricsServer* self = s.get();
  // Two workers: a scrape and a health probe at once; a slow client can not hold up the daemon.
  h.new_task_queue = [] { return new httplib::ThreadPool(2); };
  auto handler = [self](const httplib::Request& req, httplib::Response& res) {
    write(self->answer(req.method, req.path), res);
  };
  const char* all = R"(.*)";
  h.Get(all, handler).Post(all, handler).Put(all, handler).Patch(all, handler).Delete(all, handler).Options(all, handler);
  // Methods httplib refuses on its own (TRACE, CONNECT, ...) get the same 404/405 as the others.
  h.set_error_handler(httplib::Server::HandlerWithResponse(
      [self](const httplib::Request& req, httplib::Response& res) {
        if (!res.body.empty() || req.method.empty()) return httplib::Server::HandlerResponse::Unhandled;
        write(self->answer(req.method, req.path), res);
        return httplib::Server::HandlerResponse::Handled;
      }));
  h.set_socket_options(reuse_address_only);
  // One request per connection (a scrape every 15 s gains nothing from keep-alive) and short
  // timeouts: an idle or silent client can hold up the daemon's stop by a second or two at most.
  h.set_keep_alive_max_count(1);
  h.set_keep_alive_timeout(1);
  h.set_read_timeout(2, 0);
  h.set_write_timeout(2, 0);
  h.set_payload_max_length(64 * 1024);
  errno = 0;
  if (!h.bind_to_port(addr->host, addr->port)) {
    const int err = errno;
    return make_error(ExitCode::config, "metrics.listen " + addr->text() + ": can not listen there" +
                                            (err != 0 ? std::string(": ") + std::strerror(err) : std::string()));
  }
  s->port_ = addr->port;
  return s;
}

void MetricsServer::serve() {
  if (thread_.joinable() || !http_) return;
  httplib::Server& h = *http_;
  thread_ = std::thread([&h] { h.listen_after_bind(); });
  // stop() only ends a server that is running: wait for it, so that the destructor can not hang.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (!h.is_running() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

MetricsServer::~MetricsServer() {
  serve();  // a bound socket is closed by stopping a running server
  if (http_) http_->stop();
  if (thread_.joinable()) thread_.join();
}

}  // namespace gigasync::ops
