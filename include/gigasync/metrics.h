#pragma once
// The Prometheus textfile ([metrics] file): written atomically (temp file + rename) after a cycle.
// The numbers come from store/metrics_snapshot.h, the text from prometheus-cpp (ops/metrics_text.h);
// the daemon also serves them over HTTP with metrics.listen (ops/metrics_http.h).
#include "gigasync/config.h"
#include "gigasync/store.h"
#include "gigasync/sync.h"
#include "gigasync/layer.h"
GIGASYNC_LAYER(ops);

namespace gigasync {

// Writes the metrics file when cfg.metrics.file is set; `report` is null after a failed cycle.
// Failures to write are logged, never fatal.
void write_metrics(const Config& cfg, Store& store, const SyncReport* report);

// [notify] heartbeat_url (the healthchecks convention): GET <url> after a good cycle, <url>/fail
// after a failed one, with a 10 s timeout, no token and no data. A failed ping is logged, never fatal.
void ping_heartbeat(const Config& cfg, bool cycle_ok);

}  // namespace gigasync
