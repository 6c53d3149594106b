#pragma once
// The Prometheus text format of the metrics, made by prometheus-cpp (a Registry per snapshot and
// its TextSerializer), for both the textfile ([metrics] file) and GET /metrics ([metrics] listen).
#include <optional>
#include <string>

#include "gigasync/metrics_snapshot.h"
#include "gigasync/layer.h"
GIGASYNC_LAYER(ops);

namespace gigasync::ops {

// The metrics text for `s`. `last_cycle_ok`: whether the last cycle of this process succeeded
// (gigasync_last_cycle_success); std::nullopt leaves that gauge out (no cycle has run yet).
std::string render_metrics(const store::MetricsSnapshot& s, std::optional<bool> last_cycle_ok);

// Writes `text` to `path` atomically (PATH.tmp, then rename). Failures are logged at ERROR,
// never fatal.
void write_metrics_file(const std::string& path, const std::string& text);

}  // namespace gigasync::ops
