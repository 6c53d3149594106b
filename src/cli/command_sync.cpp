// sync, status and check.
#include <spdlog/spdlog.h>

#include <cstdio>
#include <optional>

#include "cli/commands.h"
#include "gigasync/cancel.h"
#include "gigasync/json.h"
#include "gigasync/metrics.h"
#include "gigasync/sync.h"
#include "gigasync/timestamp.h"
#include "gigasync/webhooks.h"

namespace gigasync::cli {
namespace {

// A stop signal cut the cycle short: a failed cycle, or changes left unpushed.
bool cut_short(const Result<SyncReport>& report) { return stop_requested() && (!report || report->unpushed > 0); }

// Records the runs this process started (ids after `before`) as `interrupted` and says so.
void record_interruption(Store& store, long long before) {
  std::string why = "interrupted by " + stop_signal_name();
  if (auto s = store.mark_interrupted(before, why); !s) spdlog::error("{}", s.error().message);
  spdlog::warn("sync {}: what was settled is committed; changes not sent wait with their keys for the next run",
               why);
}

}  // namespace

int cmd_sync(const CommonFlags& common, const SyncFlags& flags) {
  auto ctx = make_context(common, true);
  if (!ctx) return fail(ctx.error());
  auto lock = CycleLock::acquire(ctx->config.database.path, flags.wait_s);
  if (!lock && stop_requested()) {
    spdlog::warn("sync interrupted by {} before its cycle started", stop_signal_name());
    return static_cast<int>(lock.error().code);
  }
  if (!lock) return fail(lock.error());
  SyncOptions options;
  options.pull = !flags.push_only;
  options.push = !flags.pull_only;
  options.dry_run = flags.dry_run;
  options.force_deletes = flags.force_deletes;
  options.force_push = flags.force_push;
  options.full = flags.full;
  auto before = ctx->store->last_run_id();
  if (!before) return fail(before.error());
  auto report = run_cycle(ctx->config, *ctx->store, *ctx->api, options);
  bool interrupted = cut_short(report);
  if (interrupted && !flags.dry_run) record_interruption(*ctx->store, before.value());
  if (!report) {
    write_metrics(ctx->config, *ctx->store, nullptr);
    ping_heartbeat(ctx->config, false);
    if (interrupted) spdlog::info("{}", report.error().message);
    else spdlog::error("{}", report.error().message);  // through the logger: JSON lines stay JSON
    return static_cast<int>(report.error().code);
  }
  if (flags.dry_run) {
    for (const auto& line : report->plan) std::printf("%s\n", line.c_str());
    std::printf("dry run: %zu change%s would be made; nothing was written\n", report->plan.size(),
                report->plan.size() == 1 ? "" : "s");
    return static_cast<int>(report->exit);
  }
  write_metrics(ctx->config, *ctx->store, &report.value());
  ping_heartbeat(ctx->config, true);
  spdlog::info("{}", report->summary());
  return static_cast<int>(report->exit);
}

namespace {

// "1.234": the seconds from `a` to `b` (ISO 8601), "" when either is missing or unreadable.
std::string seconds_between(const std::string& a, const std::string& b) {
  auto from = parse_iso8601(a), to = parse_iso8601(b);
  if (!from || !to) return "";
  char out[32];
  std::snprintf(out, sizeof out, "%.3f", static_cast<double>(*to - *from) / 1e6);
  return out;
}

constexpr const char* kAllowDeletions = "gigasync sync --force-deletes";

}  // namespace

int cmd_status(const CommonFlags& common, bool as_json) {
  auto cfg = load(common);
  if (!cfg) return fail(cfg.error());
  auto store = open_store(cfg.value(), OpenMode::read_only);
  if (!store) return fail(store.error());
  auto c = (*store)->status_counts();
  if (!c) return fail(c.error());
  auto paused_state = (*store)->state("push_paused");
  if (!paused_state) return fail(paused_state.error());
  const bool paused = paused_state.value() == "1";
  std::string took = seconds_between(c->last_run_started, c->last_run_finished);
  auto mirrored = (*store)->resource_counts();
  if (!mirrored) return fail(mirrored.error());
  auto refused = (*store)->refusals();
  if (!refused) return fail(refused.error());
  const auto& r = c->last_run;
  const long long held = r ? r->deletions_held : 0;
  if (as_json) {
    std::string run = "null";
    if (r) {
      run = "{\"id\":" + std::to_string(r->id) + ",\"mode\":" + json::quote(r->mode) + ",\"status\":" +
            json::quote(r->status) + ",\"started_at\":" + json::quote(c->last_run_started) + ",\"finished_at\":" +
            (c->last_run_finished.empty() ? "null" : json::quote(c->last_run_finished)) + ",\"seconds\":" +
            (took.empty() ? "null" : took) + ",\"pages\":" + std::to_string(r->pages) + ",\"fetched\":" +
            std::to_string(r->fetched) + ",\"inserted\":" + std::to_string(r->inserted) + ",\"updated\":" +
            std::to_string(r->updated) + ",\"deleted\":" + std::to_string(r->deleted) + ",\"pushed\":" +
            std::to_string(r->pushed) + ",\"push_failed\":" + std::to_string(r->push_failed) + ",\"conflicts\":" +
            std::to_string(r->conflicts) + ",\"error\":" + (r->error.empty() ? "null" : json::quote(r->error)) + "}";
    }
    std::string deletions = "null";
    if (held > 0)
      deletions = "{\"count\":" + std::to_string(held) + ",\"allow_with\":" + json::quote(kAllowDeletions) + "}";
    std::string counts = "{", refusals = "[";
    for (const auto& [name, n] : mirrored.value())
      counts += std::string(counts.size() > 1 ? "," : "") + json::quote(name) + ":" + std::to_string(n);
    for (const auto& line : refused.value()) refusals += std::string(refusals.size() > 1 ? "," : "") + json::quote(line);
    std::printf("{\"database\":%s,\"integrations\":%lld,\"pending\":%lld,\"in_flight\":%lld,\"failed\":%lld,"
                "\"held\":%lld,\"push_paused\":%s,\"open_conflicts\":%lld,\"deletions_held\":%s,\"last_success\":%s,"
                "\"last_run\":%s,\"mirrored\":%s},\"refused\":%s]}\n",
                json::quote(cfg->database.path).c_str(), c->integrations, c->pending, c->in_flight, c->failed, c->held,
                paused ? "true" : "false", c->open_conflicts, deletions.c_str(),
                c->last_success.empty() ? "null" : json::quote(c->last_success).c_str(), run.c_str(), counts.c_str(),
                refusals.c_str());
    return 0;
  }
  std::printf("database:      %s\n", cfg->database.path.c_str());
  std::printf("integrations:  %lld\n", c->integrations);
  std::string account;
  for (const auto& [name, n] : mirrored.value())
    if (name != "integrations") account += (account.empty() ? "" : ", ") + std::to_string(n) + " " + name;
  if (!account.empty()) std::printf("account:       %s\n", account.c_str());
  for (const auto& line : refused.value()) std::printf("refused:       %s\n", line.c_str());
  std::printf("outbox:        %lld pending, %lld in flight, %lld failed, %lld held by conflicts\n", c->pending,
              c->in_flight, c->failed, c->held);
  std::printf("pushing:       %s\n", paused ? "paused ('gigasync resume' to push again)" : "on");
  std::printf("conflicts:     %lld open\n", c->open_conflicts);
  if (held > 0) {
    std::string what = std::to_string(held) + (held == 1 ? " remote deletion" : " remote deletions");
    std::printf("deletions:     %s held back by the delete guard in the last run ('%s' applies them)\n",
                what.c_str(), kAllowDeletions);
  }
  if (r) {
    std::printf("last run:      #%lld %s %s, started %s%s\n", r->id, r->mode.c_str(), r->status.c_str(),
                c->last_run_started.c_str(), took.empty() ? "" : (", took " + took + " s").c_str());
    std::printf("               pulled %lld in %lld pages (+%lld ~%lld -%lld), pushed %lld, %lld refused, %lld conflicts\n",
                r->fetched, r->pages, r->inserted, r->updated, r->deleted, r->pushed, r->push_failed, r->conflicts);
    if (!r->error.empty()) {
      const bool done = r->status == "partial" || r->status == "guarded" || r->status == "unpushed";
      std::printf("               %s %s\n", done ? "why:  " : "error:", r->error.c_str());
    }
  } else {
    std::printf("last run:      never\n");
  }
  std::printf("last success:  %s\n", c->last_success.empty() ? "never" : c->last_success.c_str());
  return 0;
}

int cmd_verify(const CommonFlags& common) {
  auto ctx = make_context(common, true, OpenMode::read_only);
  if (!ctx) return fail(ctx.error());
  auto diffs = verify(ctx->config, *ctx->store, *ctx->api);
  if (!diffs) return fail(diffs.error());
  for (const auto& line : diffs.value()) std::printf("%s\n", line.c_str());
  std::string compared = "integrations";
  for (const auto& name : ctx->config.account.resources) compared += ", " + name;
  if (diffs->empty()) {
    std::printf("verify: the mirror equals the API (%s; %s)\n", compared.c_str(), ctx->config.api.base_url.c_str());
    return 0;
  }
  std::printf("verify: %zu difference%s\n", diffs->size(), diffs->size() == 1 ? "" : "s");
  return static_cast<int>(ExitCode::partial);
}

int cmd_check(const CommonFlags& common) {
  auto cfg = load(common);
  if (!cfg) return fail(cfg.error());
  std::printf("config:    ok (%s)\n", cfg->source_path.empty() ? "defaults, no file" : cfg->source_path.c_str());
  auto store = open_store(cfg.value());
  if (!store) return fail(store.error());
  if (auto writable = (*store)->check_writable(); !writable) return fail(writable.error());
  std::printf("database:  ok (%s, writable)\n", cfg->database.path.c_str());
  auto api = make_api(cfg.value());
  if (!api) return fail(api.error());
  auto page = (*api)->get_page((*api)->collection_url() + "?page=1&page_size=1", "page 1");
  if (!page) return fail(page.error());
  std::printf("api:       ok (%s accepted the token from %s; %lld integrations)\n", cfg->api.base_url.c_str(),
              cfg->token_source.c_str(), page->count);
  return 0;
}

int cmd_webhooks(const CommonFlags& common, const std::string& action, const std::vector<std::string>& ids) {
  const bool remote = action != "list";
  auto ctx = make_context(common, remote, remote ? OpenMode::create : OpenMode::read_only);
  if (!ctx) return fail(ctx.error());
  Result<std::vector<std::string>> lines = action == "register"     ? register_webhooks(ctx->config, *ctx->store, *ctx->api, ids)
                                           : action == "unregister" ? unregister_webhooks(*ctx->store, *ctx->api, ids)
                                                                    : list_webhooks(*ctx->store);
  if (!lines) return fail(lines.error());
  for (const auto& line : lines.value()) std::printf("%s\n", line.c_str());
  if (action == "list" && lines->empty()) std::printf("no webhooks registered ('gigasync webhooks register')\n");
  bool refused = false;
  for (const auto& line : lines.value()) refused = refused || line.find(": not ") != std::string::npos;
  return refused ? static_cast<int>(ExitCode::partial) : 0;
}

}  // namespace gigasync::cli
