#pragma once
// `gigasync daemon`: a sync cycle every sync.interval_s (± sync.jitter_s), a push-only cycle
// sync.push_delay_s after a local edit of the mirror by any process, systemd notify
// (READY=1, STATUS=, WATCHDOG=1, STOPPING=1) and signals:
//   SIGTERM/SIGINT  finish the request in flight, commit (a cut-short run is `interrupted`), exit 0
//   SIGHUP          reload the configuration (a bad one is refused and the old one kept)
//   SIGUSR1         run a full cycle now
// Every cycle holds the database's CycleLock, so the daemon and `gigasync sync` take turns.
// With metrics.listen set, GET /metrics and GET /healthz are served over HTTP on threads of their
// own, from a copy the loop publishes after each cycle (ops/metrics_http.h); an address that can
// not be bound stops the start with exit 78 before READY=1.
#include <functional>
#include <memory>

#include "gigasync/api_client.h"
#include "gigasync/config.h"
#include "gigasync/error.h"
#include "gigasync/layer.h"
GIGASYNC_LAYER(daemon);

namespace gigasync::daemon {

// How the daemon gets its configuration and API client (the CLI supplies these; tests may too).
struct Deps {
  // Reads the configuration (file, environment, flags). Called at start and on every SIGHUP.
  std::function<Result<Config>()> load_config;
  // Loads the token and builds an API client for `cfg` (setting cfg.token_source). Called at
  // start and on every SIGHUP, so a rotated token is picked up too.
  std::function<Result<std::unique_ptr<ApiClient>>(Config&)> make_api;
};

// Runs the daemon until SIGTERM or SIGINT (returns 0) or a fatal error, which is logged at
// ERROR and returned as its exit code: 78 bad config or token, 77 token refused by the API,
// 64 usage, 73/70 when the database can not be opened. While the API is unreachable the daemon
// keeps running and retries with exponential backoff (from sync.interval_s up to
// sync.max_backoff_s, with jitter). With systemd's watchdog on, WATCHDOG=1 is sent only while the
// main loop makes progress: a cycle running past sync.cycle_deadline_s stops it, and systemd
// restarts the daemon.
// REQUIRES: called from the main thread before any other thread is started (it blocks the
// handled signals, and threads started later inherit that mask).
int run(const Deps& deps);

}  // namespace gigasync::daemon
