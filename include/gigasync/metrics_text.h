#pragma once
// The Prometheus text format of the metrics, made by prometheus-cpp (a Registry per snapshot and
// its TextSerializer), for both the textfile ([metrics] file) and GET /metrics ([metrics] listen).
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "gigasync/metrics_snapshot.h"
#include "gigasync/sync.h"
#include "gigasync/layer.h"
GIGASYNC_LAYER(ops);

namespace gigasync::ops {

// The metrics text for `s`. `last_cycle_ok`: whether the last cycle of this process succeeded
// (gigasync_last_cycle_success); std::nullopt leaves that gauge out (no cycle has run yet).
std::string render_metrics(const store::MetricsSnapshot& s, std::optional<bool> last_cycle_ok);

// The same, with the per-resource series labelled `resource` ("integrations", "payouts", ...):
//   gigasync_mirror_rows                       gauge: rows in the resource's mirror table
//   gigasync_refused_integrations              gauge: integrations whose objects the API refused
//   gigasync_full_list_timestamp_seconds       gauge: the oldest last complete listing (account
//                                              resources listed at least once)
//   gigasync_last_cycle_fetched_objects        gauge: objects read in the last cycle that pulled
//   gigasync_last_cycle_written_objects        gauge: mirror rows it inserted, updated or deleted
// (the last two only when the figures carry them). Every name of the overload above is kept.
std::string render_metrics(const store::MetricsSnapshot& s, const std::vector<store::ResourceFigures>& resources,
                           std::optional<bool> last_cycle_ok);

// Copies the per-resource counts of a cycle that pulled (SyncReport::by_resource) into `figures`
// (fetched and written); a resource the cycle did not read gets 0. Nothing changes when
// `by_resource` is empty (a push-only cycle).
void add_cycle_figures(std::vector<store::ResourceFigures>& figures,
                       const std::map<std::string, ResourceCycle>& by_resource);

// Writes `text` to `path` atomically (PATH.tmp, then rename). Failures are logged at ERROR,
// never fatal.
void write_metrics_file(const std::string& path, const std::string& text);

}  // namespace gigasync::ops
