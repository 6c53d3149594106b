// The daemon's main loop. Threads: this one (cycles, the change watch, reloads), the signal
// thread (flags only, see signals.h), the watchdog thread (notify.h) and, with metrics.listen,
// the HTTP listener's threads (ops/metrics_http.h), which only read what this one publishes.
#include "gigasync/daemon.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "daemon/notify.h"
#include "daemon/runtime.h"
#include "daemon/schedule.h"
#include "daemon/webhook_listener.h"
#include "gigasync/signals.h"
#include "gigasync/cancel.h"
#include "gigasync/log.h"
#include "gigasync/metrics.h"
#include "gigasync/sync.h"
#include "gigasync/metrics_http.h"
#include "gigasync/metrics_text.h"
#include "gigasync/metrics_snapshot.h"

namespace gigasync::daemon {
namespace {

constexpr Millis kTick{200};  // how often the change watch is polled while idle

// How long the main loop may go without progress before the watchdog stops being fed.
Millis deadline(const Config& cfg) { return Millis(cycle_deadline_s(cfg) * 1000LL); }

class Loop {
 public:
  Loop(const Deps& deps, Signals& signals, Watchdog& watchdog, std::unique_ptr<Runtime> rt,
       ops::MetricsServer* server, WebhookListener* hooks)
      : deps_(deps), signals_(signals), watchdog_(watchdog), rt_(std::move(rt)), server_(server), hooks_(hooks),
        schedule_(rt_->config.sync, Clock::now(), static_cast<unsigned long long>(::getpid()) ^
                                                      static_cast<unsigned long long>(Clock::now().time_since_epoch().count())) {}

  // Runs until a stop request (returns 0) or a fatal cycle error (returns its exit code).
  int run();
  // After a cycle of `kind` (`result`), or at start (null): one metrics snapshot from the
  // database, written to metrics.file (after cycles) and handed to the HTTP listener with the
  // health state. Failures are logged, never fatal.
  void publish(CycleKind kind, const Result<SyncReport>* result);

 private:
  void handle_signals();
  void reload();
  // Runs one cycle of `kind` under the cycle lock; returns an exit code when the daemon must stop.
  std::optional<int> cycle(CycleKind kind);
  // Logs the result and plans the next cycle; returns an exit code when the error is fatal.
  std::optional<int> finish(CycleKind kind, const Result<SyncReport>& result);
  // A stop request cut the cycle short (it failed, or left changes unpushed): its run, the one
  // after run id `before`, is recorded as `interrupted`.
  void record_interruption(const Result<SyncReport>& result, const Result<long long>& before);
  void log_next() const;

  const Deps& deps_;
  Signals& signals_;
  Watchdog& watchdog_;
  std::unique_ptr<Runtime> rt_;
  ops::MetricsServer* server_;  // null when metrics.listen is off
  WebhookListener* hooks_;      // null when webhooks.listen is off
  ops::HealthState health_;
  std::optional<bool> last_cycle_ok_;
  std::map<std::string, ResourceCycle> last_pull_;  // per resource, from the last cycle that pulled
  Schedule schedule_;
};

int Loop::run() {
  while (!stop_requested()) {
    watchdog_.beat();
    handle_signals();
    if (rt_->watch->poll()) {
      spdlog::debug("local edit noticed: pushing in {} s", rt_->config.sync.push_delay_s);
      schedule_.edit_seen(Clock::now());
    }
    CycleKind kind = schedule_.due(Clock::now());
    if (kind == CycleKind::none) {
      signals_.wait_for(kTick);
      continue;
    }
    if (auto code = cycle(kind)) return *code;
  }
  return 0;
}

void Loop::handle_signals() {
  if (signals_.take_reload()) reload();
  if (signals_.take_sync_now()) {
    spdlog::info("SIGUSR1: running a sync cycle now");
    schedule_.sync_now(Clock::now());
  }
}

void Loop::reload() {
  notify("RELOADING=1");
  auto rt = build_runtime(deps_);
  if (!rt) {
    spdlog::error("SIGHUP: the new configuration is refused, the old one stays in use: {}", rt.error().message);
  } else {
    if (rt.value()->config.metrics.listen != rt_->config.metrics.listen) {
      spdlog::warn("SIGHUP: metrics.listen changed; the HTTP listener keeps {} until the daemon restarts",
                   server_ ? "http://" + server_->address().text() + "/" : std::string("off"));
    }
    if (rt.value()->config.webhooks.listen != rt_->config.webhooks.listen)
      spdlog::warn("SIGHUP: webhooks.listen changed; the listener keeps {} until the daemon restarts",
                   hooks_ ? "http://" + hooks_->address().text() + "/" : std::string("off"));
    if (rt.value()->config.database.path != rt_->config.database.path && hooks_)
      spdlog::warn("SIGHUP: database.path changed; the webhook listener keeps applying to {} until the daemon "
                   "restarts", rt_->config.database.path);
    rt_ = std::move(rt.value());
    setup_logging(rt_->config.log);
    if (hooks_) {  // a rotated token, a new tolerance_s or account.resources reach the listener too
      Config copy = rt_->config;
      if (auto api = deps_.make_api(copy)) hooks_->reconfigure(copy, std::move(api.value()));
    }
    watchdog_.set_deadline(deadline(rt_->config));
    schedule_.set_config(rt_->config.sync, Clock::now());
    spdlog::info("SIGHUP: configuration reloaded from {}",
                 rt_->config.source_path.empty() ? "defaults" : rt_->config.source_path);
    health_.interval_s = rt_->config.sync.interval_s;
    if (server_) server_->publish_health(health_);
  }
  notify("READY=1");
}

std::optional<int> Loop::cycle(CycleKind kind) {
  const Config& cfg = rt_->config;
  // Waiting for another process's cycle is no progress either: at most half the deadline.
  double wait_s = std::min<double>(cfg.sync.interval_s, cycle_deadline_s(cfg) / 2.0);
  auto lock = CycleLock::acquire(cfg.database.path, wait_s);
  if (!lock) {
    if (stop_requested()) return std::nullopt;
    spdlog::warn("cycle skipped: {}", lock.error().message);
    notify(status_assignment("cycle skipped: " + lock.error().message));
    schedule_.done(kind, lock.error().code == ExitCode::locked ? Outcome::skipped : Outcome::failed, Clock::now());
    return std::nullopt;
  }
  SyncOptions options;
  options.pull = kind == CycleKind::full;
  auto before = rt_->store->last_run_id();
  watchdog_.beat();
  auto result = run_cycle(cfg, *rt_->store, *rt_->api, options);
  watchdog_.beat();
  record_interruption(result, before);
  publish(kind, &result);
  ping_heartbeat(cfg, result.ok());
  lock.value().reset();
  notify(status_assignment(cycle_status(result)));
  return finish(kind, result);
}

void Loop::publish(CycleKind kind, const Result<SyncReport>* result) {
  const Config& cfg = rt_->config;
  health_.interval_s = cfg.sync.interval_s;
  health_.full_every_s = cfg.account.full_every_s;
  if (result) {
    last_cycle_ok_ = result->ok();
    if (result->ok() && !result->value().by_resource.empty()) last_pull_ = result->value().by_resource;
    if (kind == CycleKind::full) {
      const bool good = result->ok() && (result->value().exit == ExitCode::ok || result->value().exit == ExitCode::partial);
      if (good) {
        health_.last = ops::HealthState::Last::ok;
        health_.last_success = ops::WallClock::now();
      } else {
        health_.last = ops::HealthState::Last::failed;
        health_.failure = result->ok() ? result->value().exit : result->error().code;
      }
    }
  }
  const bool to_file = result != nullptr && !cfg.metrics.file.empty();
  if (!to_file && server_ == nullptr) return;
  auto snapshot = store::metrics_snapshot(*rt_->store);
  if (!snapshot) {
    spdlog::error("metrics not updated: {}", snapshot.error().message);
  } else {
    health_.push_paused = snapshot->push_paused;
    std::vector<store::ResourceFigures> figures;
    if (auto read = store::resource_figures(*rt_->store, cfg.account.resources); !read) {
      spdlog::error("metrics of the mirrored resources not updated: {}", read.error().message);
    } else {
      figures = std::move(read.value());
      ops::add_cycle_figures(figures, last_pull_);
    }
    health_.resources = figures;
    std::string text = ops::render_metrics(snapshot.value(), figures, last_cycle_ok_);
    if (to_file) ops::write_metrics_file(cfg.metrics.file, text);
    if (server_) server_->publish_metrics(std::move(text));
  }
  if (server_) server_->publish_health(health_);
}

void Loop::record_interruption(const Result<SyncReport>& result, const Result<long long>& before) {
  if (!stop_requested() || !before || (result && result->unpushed == 0)) return;
  std::string why = std::string("interrupted by ") + (stop_signal().load() == SIGINT ? "SIGINT" : "SIGTERM");
  if (auto s = rt_->store->mark_interrupted(before.value(), why); !s) spdlog::error("{}", s.error().message);
}

std::optional<int> Loop::finish(CycleKind kind, const Result<SyncReport>& result) {
  if (result) {
    spdlog::info("{}", result->summary());
    schedule_.done(kind, Outcome::ok, Clock::now());
    return std::nullopt;
  }
  if (stop_requested()) {
    spdlog::info("cycle interrupted by the stop request: {}", result.error().message);
    return std::nullopt;
  }
  spdlog::error("sync failed: {}", result.error().message);
  if (is_fatal(result.error())) return static_cast<int>(result.error().code);
  schedule_.done(kind, Outcome::failed, Clock::now());
  log_next();
  return std::nullopt;
}

void Loop::log_next() const {
  auto wait = std::chrono::duration_cast<Millis>(schedule_.next_full() - Clock::now());
  spdlog::info("next attempt in {:.1f} s ({} failure{} in a row)", static_cast<double>(wait.count()) / 1000.0,
               schedule_.failures(), schedule_.failures() == 1 ? "" : "s");
}

}  // namespace

int run(const Deps& deps) {
  Signals signals;  // first: every thread started from here on has the signals blocked
  setup_logging(LogConfig{});
  Watchdog watchdog(deadline(Config{}));
  auto rt = build_runtime(deps);
  if (!rt) {
    spdlog::error("daemon not started: {}", rt.error().message);
    return static_cast<int>(rt.error().code);
  }
  setup_logging(rt.value()->config.log);
  watchdog.set_deadline(deadline(rt.value()->config));
  const Config& cfg = rt.value()->config;
  // Bound before READY=1: an address in use stops the start with one clear error (exit 78).
  std::unique_ptr<ops::MetricsServer> server;
  if (!cfg.metrics.listen.empty()) {
    auto started = ops::MetricsServer::bind(cfg.metrics.listen);
    if (!started) {
      spdlog::error("daemon not started: {}", started.error().message);
      return static_cast<int>(started.error().code);
    }
    server = std::move(started.value());
    spdlog::info("metrics: serving /metrics and /healthz on http://{}/{}", server->address().text(),
                 server->address().loopback ? "" : " (not loopback: reachable from other hosts, without authentication)");
  }
  std::unique_ptr<WebhookListener> hooks;
  if (!cfg.webhooks.listen.empty()) {
    Config copy = cfg;
    auto api = deps.make_api(copy);
    if (!api) {
      spdlog::error("daemon not started: {}", api.error().message);
      return static_cast<int>(api.error().code);
    }
    auto started = WebhookListener::start(cfg, std::move(api.value()));
    if (!started) {
      spdlog::error("daemon not started: {}", started.error().message);
      return static_cast<int>(started.error().code);
    }
    hooks = std::move(started.value());
    spdlog::info("webhooks: listening on http://{}/webhooks/<integration>/ (the API calls {}webhooks/...)",
                 hooks->address().text(), webhooks_public_url(cfg));
  }
  spdlog::info("gigasync daemon started: database {}, API {}, a cycle every {} s (± {} s), pushes {} s after an edit",
               cfg.database.path, cfg.api.base_url, cfg.sync.interval_s, cfg.sync.jitter_s, cfg.sync.push_delay_s);
  Loop loop(deps, signals, watchdog, std::move(rt.value()), server.get(), hooks.get());
  loop.publish(CycleKind::none, nullptr);
  if (server) server->serve();  // a first request finds the metrics published (it waited in the backlog)
  notify("READY=1\n" + status_assignment("started; first sync cycle running"));
  int code = loop.run();
  notify("STOPPING=1");
  if (code == 0) spdlog::info("gigasync daemon stopped");
  else spdlog::error("gigasync daemon stopping with exit code {}", code);
  return code;
}

}  // namespace gigasync::daemon
