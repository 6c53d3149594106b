// Prometheus metrics: numbers from the store (store/metrics_snapshot), text from prometheus-cpp.
#include "gigasync/metrics_text.h"

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>
#include <spdlog/spdlog.h>

#include <filesystem>
#include <fstream>

#include "gigasync/metrics.h"

namespace gigasync::ops {
namespace {

void gauge(prometheus::Registry& r, const char* name, const char* help, double value) {
  prometheus::BuildGauge().Name(name).Help(help).Register(r).Add({}).Set(value);
}

// A counter holding `value`: the totals live in the database, so each snapshot gets a fresh
// registry and its counters start from the stored sum.
void counter(prometheus::Registry& r, const char* name, const char* help, long long value) {
  prometheus::BuildCounter().Name(name).Help(help).Register(r).Add({}).Increment(static_cast<double>(value));
}

double number(long long v) { return static_cast<double>(v); }

}  // namespace

std::string render_metrics(const store::MetricsSnapshot& s, std::optional<bool> last_cycle_ok) {
  prometheus::Registry r;
  gauge(r, "gigasync_last_success_timestamp_seconds", "Unix time of the last cycle that finished ok or partial.",
        number(s.last_success_unix));
  gauge(r, "gigasync_last_cycle_duration_seconds", "Duration of the last finished cycle.", s.last_cycle_duration_s);
  if (last_cycle_ok) {
    gauge(r, "gigasync_last_cycle_success", "1 when the last cycle finished ok or partial, 0 when it failed.",
          *last_cycle_ok ? 1.0 : 0.0);
  }
  gauge(r, "gigasync_integrations", "Integrations in the mirror.", number(s.integrations));
  auto& changes = prometheus::BuildCounter()
                      .Name("gigasync_changes_total")
                      .Help("Changes applied to the mirror by pulls, by kind.")
                      .Register(r);
  changes.Add({{"kind", "inserted"}}).Increment(number(s.inserted));
  changes.Add({{"kind", "updated"}}).Increment(number(s.updated));
  changes.Add({{"kind", "deleted"}}).Increment(number(s.deleted));
  counter(r, "gigasync_pushes_total", "Local changes the API accepted.", s.pushed);
  counter(r, "gigasync_push_failures_total", "Local changes the API refused.", s.push_failed);
  counter(r, "gigasync_cycle_failures_total", "Cycles that failed.", s.cycle_failures);
  counter(r, "gigasync_self_check_violations_total",
          "Integrations found differing from their base with no change waiting.", s.diverged);
  counter(r, "gigasync_cycles_total", "Cycles run.", s.cycles);
  gauge(r, "gigasync_open_conflicts", "Conflicts not resolved yet.", number(s.open_conflicts));
  gauge(r, "gigasync_pending_changes", "Outbox rows waiting to be pushed.", number(s.pending_changes));
  gauge(r, "gigasync_failed_changes", "Outbox rows the API refused, waiting for a person.", number(s.failed_changes));
  gauge(r, "gigasync_push_paused", "1 while pushing is paused (gigasync pause), else 0.", s.push_paused ? 1.0 : 0.0);
  return prometheus::TextSerializer().Serialize(r.Collect());
}

void write_metrics_file(const std::string& path, const std::string& text) {
  try {
    const std::string tmp = path + ".tmp";
    {
      std::ofstream f(tmp, std::ios::trunc);
      f << text;
      f.flush();
      if (!f) throw std::runtime_error("cannot write " + tmp);
    }
    std::filesystem::rename(tmp, path);
  } catch (const std::exception& e) {
    spdlog::error("metrics file {} not written: {}", path, e.what());
  }
}

}  // namespace gigasync::ops

namespace gigasync {

void write_metrics(const Config& cfg, Store& store, const SyncReport* report) {
  if (cfg.metrics.file.empty()) return;
  auto snapshot = store::metrics_snapshot(store);
  if (!snapshot) {
    spdlog::error("metrics file {} not written: {}", cfg.metrics.file, snapshot.error().message);
    return;
  }
  ops::write_metrics_file(cfg.metrics.file, ops::render_metrics(snapshot.value(), report != nullptr));
}

}  // namespace gigasync
