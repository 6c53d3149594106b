// The daemon's main loop. Threads: this one (cycles, the change watch, reloads), the signal
// thread (flags only, see signals.h) and the watchdog thread (notify.h).
#include "gigasync/daemon.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <optional>

#include "daemon/notify.h"
#include "daemon/runtime.h"
#include "daemon/schedule.h"
#include "daemon/signals.h"
#include "gigasync/cancel.h"
#include "gigasync/log.h"
#include "gigasync/metrics.h"
#include "gigasync/sync.h"

namespace gigasync::daemon {
namespace {

constexpr Millis kTick{200};  // how often the change watch is polled while idle

// How long the main loop may go without progress before the watchdog stops being fed.
Millis deadline(const Config& cfg) { return Millis(cycle_deadline_s(cfg) * 1000LL); }

class Loop {
 public:
  Loop(const Deps& deps, Signals& signals, Watchdog& watchdog, std::unique_ptr<Runtime> rt)
      : deps_(deps), signals_(signals), watchdog_(watchdog), rt_(std::move(rt)),
        schedule_(rt_->config.sync, Clock::now(), static_cast<unsigned long long>(::getpid()) ^
                                                      static_cast<unsigned long long>(Clock::now().time_since_epoch().count())) {}

  // Runs until a stop request (returns 0) or a fatal cycle error (returns its exit code).
  int run();

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
    rt_ = std::move(rt.value());
    setup_logging(rt_->config.log);
    watchdog_.set_deadline(deadline(rt_->config));
    schedule_.set_config(rt_->config.sync, Clock::now());
    spdlog::info("SIGHUP: configuration reloaded from {}",
                 rt_->config.source_path.empty() ? "defaults" : rt_->config.source_path);
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
  write_metrics(cfg, *rt_->store, result ? &result.value() : nullptr);
  ping_heartbeat(cfg, result.ok());
  lock.value().reset();
  notify(status_assignment(cycle_status(result)));
  return finish(kind, result);
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
  spdlog::info("gigasync daemon started: database {}, API {}, a cycle every {} s (± {} s), pushes {} s after an edit",
               cfg.database.path, cfg.api.base_url, cfg.sync.interval_s, cfg.sync.jitter_s, cfg.sync.push_delay_s);
  notify("READY=1\n" + status_assignment("started; first sync cycle running"));
  Loop loop(deps, signals, watchdog, std::move(rt.value()));
  int code = loop.run();
  notify("STOPPING=1");
  if (code == 0) spdlog::info("gigasync daemon stopped");
  else spdlog::error("gigasync daemon stopping with exit code {}", code);
  return code;
}

}  // namespace gigasync::daemon
