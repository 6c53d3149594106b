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
  return render_metrics(s, {}, last_cycle_ok);
}

void add_cycle_figures(std::vector<store::ResourceFigures>& figures,
                       const std::map<std::string, ResourceCycle>& by_resource) {
  if (by_resource.empty()) return;
  for (auto& f : figures) {
    auto it = by_resource.find(f.resource);
    f.fetched = it == by_resource.end() ? 0 : it->second.fetched;
    f.written = it == by_resource.end() ? 0 : it->second.written;
  }
}

std::string render_metrics(const store::MetricsSnapshot& s, const std::vector<store::ResourceFigures>& resources,
                           std::optional<bool> last_cycle_ok) {
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
  if (!resources.empty()) {
    auto& rows = prometheus::BuildGauge()
                     .Name("gigasync_mirror_rows")
                     .Help("Rows in each mirrored resource's table (integrations, employees, payouts, ...).")
                     .Register(r);
    auto& refused = prometheus::BuildGauge()
                        .Name("gigasync_refused_integrations")
                        .Help("Integrations whose objects of this resource the API refused the last time they were read.")
                        .Register(r);
    for (const auto& f : resources) {
      rows.Add({{"resource", f.resource}}).Set(number(f.rows));
      refused.Add({{"resource", f.resource}}).Set(number(f.refused));
    }
    bool listed = false, cycle = false;
    for (const auto& f : resources) {
      listed = listed || f.full_list_unix.has_value();
      cycle = cycle || f.fetched.has_value() || f.written.has_value();
    }
    if (listed) {
      auto& full = prometheus::BuildGauge()
                       .Name("gigasync_full_list_timestamp_seconds")
                       .Help("Unix time of the oldest complete listing of this resource among the integrations "
                             "(account.full_every_s bounds how old it gets).")
                       .Register(r);
      for (const auto& f : resources)
        if (f.full_list_unix) full.Add({{"resource", f.resource}}).Set(number(*f.full_list_unix));
    }
    if (cycle) {
      auto& fetched = prometheus::BuildGauge()
                          .Name("gigasync_last_cycle_fetched_objects")
                          .Help("Objects of this resource read from the API in the last cycle that pulled.")
                          .Register(r);
      auto& written = prometheus::BuildGauge()
                          .Name("gigasync_last_cycle_written_objects")
                          .Help("Rows of this resource's mirror inserted, updated or deleted in the last cycle that pulled.")
                          .Register(r);
      for (const auto& f : resources) {
        if (f.fetched) fetched.Add({{"resource", f.resource}}).Set(number(*f.fetched));
        if (f.written) written.Add({{"resource", f.resource}}).Set(number(*f.written));
      }
    }
  }
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
  auto figures = store::resource_figures(store, cfg.account.resources);
  if (!figures) {
    spdlog::error("metrics file {} not written: {}", cfg.metrics.file, figures.error().message);
    return;
  }
  if (report != nullptr) ops::add_cycle_figures(figures.value(), report->by_resource);
  ops::write_metrics_file(cfg.metrics.file, ops::render_metrics(snapshot.value(), figures.value(), report != nullptr));
}

}  // namespace gigasync
