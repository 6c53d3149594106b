#pragma once
// [metrics] listen: GET /metrics (the Prometheus text) and GET /healthz over plain HTTP, served by
// cpp-httplib on threads of their own. The daemon publishes what they answer after each cycle
// (a copy under a mutex): the listener never touches the database or waits for a cycle.
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "gigasync/config.h"
#include "gigasync/error.h"
#include "gigasync/metrics_snapshot.h"
#include "gigasync/layer.h"
GIGASYNC_LAYER(ops);

namespace httplib {
class Server;
}

namespace gigasync::ops {

using WallClock = std::chrono::system_clock;

// What /healthz answers from: the daemon's full cycles since it started.
struct HealthState {
  enum class Last { never, ok, failed };
  Last last = Last::never;                           // how the last full cycle of this process ended
  std::optional<WallClock::time_point> last_success;  // end of the last full cycle that was ok or partial
  ExitCode failure = ExitCode::ok;                   // the last full cycle's error, when it failed
  int interval_s = 300;                              // sync.interval_s
  bool push_paused = false;                          // `gigasync pause` is in force (not unhealthy)
  // The mirrored resources ("integrations" first, then account.resources), from the database after
  // the last cycle; empty before the first read. They never change the status code.
  std::vector<store::ResourceFigures> resources;
  int full_every_s = 86400;                          // account.full_every_s
  bool operator==(const HealthState&) const = default;
};

struct HttpAnswer {
  int status = 200;
  std::string content_type;
  std::string body;
};

// 200 {"status":"ok",...} when the last full cycle succeeded (ok or partial) no longer than
// 3 × interval_s before `now`; otherwise 503 {"status":"unhealthy","reason":...}. Both carry
// last_success (ISO 8601 UTC or null), age_s, interval_s and push_paused; never a message
// from the API, a URL or data. With h.resources, also full_every_s and "resources": per resource
// {"rows", "refused"} and, for the account's resources, "never_listed", "last_full_list" (ISO 8601 or
// null), "full_list_age_s" (or null) and "full_list_overdue" (older than full_every_s + 3 ×
// interval_s), plus "last_cycle": {"fetched", "written"} once a cycle pulled; and "warnings", one
// line per resource with refused integrations or an overdue full list. The status code is the
// integration cycle's alone (refusals make a cycle partial, which counts as good).
HttpAnswer health_answer(const HealthState& h, WallClock::time_point now);

// A short name for an error's class (its exit code), for /healthz: "api_unavailable", "auth", ...
const char* error_class(ExitCode code);

class MetricsServer {
 public:
  // Binds `listen` (metrics.listen) without answering yet: connections wait in the socket's
  // backlog until serve(). Error (ExitCode::config) naming metrics.listen and the address when it
  // is malformed or can not be bound (in use, not local).
  static Result<std::unique_ptr<MetricsServer>> bind(const std::string& listen);
  // Starts answering (the daemon calls it once the first snapshot is published). Idempotent.
  void serve();
  // bind() then serve().
  static Result<std::unique_ptr<MetricsServer>> start(const std::string& listen);
  ~MetricsServer();  // stops serving and joins the threads
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  const ListenAddress& address() const { return address_; }
  int port() const { return port_; }

  // Thread-safe: what the next requests answer.
  void publish_metrics(std::string text);
  void publish_health(const HealthState& h);

  // The answer to one request (the routing of the server, callable without a socket).
  HttpAnswer answer(const std::string& method, const std::string& path) const;

 private:
  MetricsServer() = default;
  ListenAddress address_;
  int port_ = 0;
  mutable std::mutex mu_;
  std::string metrics_;      // guarded by mu_
  HealthState health_;       // guarded by mu_
  bool have_metrics_ = false;  // guarded by mu_
  std::unique_ptr<httplib::Server> http_;
  std::thread thread_;
};

}  // namespace gigasync::ops
