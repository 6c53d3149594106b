// changes list|show|retry|discard and conflicts list|show|resolve.
#include <cstdio>

#include "cli/commands.h"
#include "gigasync/text_width.h"
#include "gigasync/cancel.h"
#include "gigasync/outbox.h"
#include "gigasync/sync.h"

namespace gigasync::cli {
namespace {

std::string value(const std::optional<std::string>& v) { return v ? "\"" + *v + "\"" : "NULL"; }

// Cut and padded to `n` terminal columns (display width, not bytes: names are often not ASCII).
std::string cut(const std::string& s, size_t n) { return fit(s, n); }

// Opens the store under the cycle lock (waiting up to 30 s for a running cycle).
struct Locked {
  Context ctx;
  std::unique_ptr<CycleLock> lock;
};
Result<Locked> open_locked(const CommonFlags& common) {
  auto ctx = make_context(common, false);
  if (!ctx) return ctx.error();
  auto lock = CycleLock::acquire(ctx->config.database.path, 30);
  if (!lock && stop_requested())
    return make_error(lock.error().code, "interrupted by " + stop_signal_name() + " while waiting for the cycle lock");
  if (!lock) return lock.error();
  return Locked{std::move(ctx.value()), std::move(lock.value())};
}

}  // namespace

int cmd_changes_list(const CommonFlags& common, bool all) {
  auto ctx = make_context(common, false, OpenMode::read_only);
  if (!ctx) return fail(ctx.error());
  auto changes = ctx->store->list_changes(all);
  if (!changes) return fail(changes.error());
  if (changes->empty()) {
    std::printf("no changes%s\n", all ? "" : " waiting (all local edits are pushed)");
    return 0;
  }
  std::printf("%-6s %-10s %-8s %-9s %-4s %-24s %s\n", "ID", "STATE", "OP", "ATTEMPTS", "", "INTEGRATION", "PAYLOAD / LAST ERROR");
  for (const auto& c : changes.value()) {
    std::string detail = c.last_error.empty() ? c.payload : c.last_error;
    std::printf("%-6lld %-10s %-8s %-9lld %-4s %s %s\n", c.id, std::string(to_string(c.state)).c_str(),
                std::string(to_string(c.op)).c_str(), c.attempts, "",
                cut(c.integration_id, 24).c_str(), cut(detail, 80).c_str());
  }
  return 0;
}

int cmd_changes_show(const CommonFlags& common, long long id) {
  auto ctx = make_context(common, false, OpenMode::read_only);
  if (!ctx) return fail(ctx.error());
  auto c = ctx->store->get_change(id);
  if (!c) return fail(c.error());
  if (!c.value()) return fail(make_error(ExitCode::usage, "no change " + std::to_string(id) + " in the outbox"));
  const Change& x = **c;
  std::printf("change:          %lld\nintegration:     %s\nop:              %s\nstate:           %s\nattempts:        %lld\n"
              "idempotency key: %s\ncreated:         %s\nupdated:         %s\npayload:         %s\nbefore:          %s\n",
              x.id, x.integration_id.c_str(), std::string(to_string(x.op)).c_str(), std::string(to_string(x.state)).c_str(),
              x.attempts, x.idempotency_key.c_str(),
              x.created_at.c_str(), x.updated_at.c_str(), x.payload.c_str(), x.base.c_str());
  if (x.sent_body) std::printf("sent body:       %s\n", x.sent_body->c_str());
  if (!x.last_error.empty()) std::printf("last error:      %s\n", x.last_error.c_str());
  return 0;
}

int cmd_changes_retry(const CommonFlags& common, long long id) {
  auto l = open_locked(common);
  if (!l) return fail(l.error());
  auto fresh = retry_change(*l->ctx.store, id);
  if (!fresh) return fail(fresh.error());
  std::printf("change %lld queued again as change %lld; the next sync pushes it\n", id, fresh.value());
  return 0;
}

int cmd_changes_discard(const CommonFlags& common, long long id) {
  auto l = open_locked(common);
  if (!l) return fail(l.error());
  if (auto s = discard_change(*l->ctx.store, id); !s) return fail(s.error());
  std::printf("change %lld discarded; the mirror row is back to its last synced values\n", id);
  return 0;
}

int cmd_changes_approve(const CommonFlags& common) {
  auto ctx = make_context(common, false);
  if (!ctx) return fail(ctx.error());
  auto newest = ctx->store->newest_change_id();
  if (!newest) return fail(newest.error());
  if (auto s = ctx->store->set_state("push_approved_through", std::to_string(newest.value())); !s) return fail(s.error());
  std::printf("changes up to %lld approved; the next cycle pushes them past the outbound guard\n", newest.value());
  return 0;
}

int cmd_refresh(const CommonFlags& common, const std::vector<std::string>& ids, bool all) {
  if (all == !ids.empty())
    return fail(make_error(ExitCode::usage, "refresh takes integration ids, or --all (a full pull), not both"));
  if (all) {
    SyncFlags flags;
    flags.pull_only = true;
    return cmd_sync(common, flags);
  }
  auto ctx = make_context(common, true);
  if (!ctx) return fail(ctx.error());
  auto lock = CycleLock::acquire(ctx->config.database.path, 30);
  if (!lock) return fail(lock.error());
  auto lines = refresh(ctx->config, *ctx->store, *ctx->api, ids);
  if (!lines) return fail(lines.error());
  for (const auto& line : lines.value()) std::printf("%s\n", line.c_str());
  return 0;
}

int cmd_backup(const CommonFlags& common, const std::string& file) {
  auto ctx = make_context(common, false, OpenMode::read_only);
  if (!ctx) return fail(ctx.error());
  if (auto s = ctx->store->backup_to(file); !s) return fail(s.error());
  std::printf("backup of %s written to %s (restore: stop gigasync, copy it over the mirror, start gigasync)\n",
              ctx->config.database.path.c_str(), file.c_str());
  return 0;
}

int cmd_pause(const CommonFlags& common, bool paused) {
  auto ctx = make_context(common, false);
  if (!ctx) return fail(ctx.error());
  if (auto s = ctx->store->set_state("push_paused", paused ? "1" : "0"); !s) return fail(s.error());
  std::printf(paused ? "pushing paused: pulls go on and local edits keep queueing; 'gigasync resume' to push again\n"
                     : "pushing resumed: the next cycle (or the daemon within push_delay_s) pushes the queue\n");
  return 0;
}

int cmd_conflicts_list(const CommonFlags& common, bool all) {
  auto ctx = make_context(common, false, OpenMode::read_only);
  if (!ctx) return fail(ctx.error());
  auto list = ctx->store->list_conflicts(all);
  if (!list) return fail(list.error());
  if (list->empty()) {
    std::printf("no %sconflicts\n", all ? "" : "open ");
    return 0;
  }
  std::printf("%-5s %-24s %-16s %-22s %-22s %-22s %s\n", "ID", "INTEGRATION", "FIELD", "BASE", "LOCAL", "REMOTE", "RESOLUTION");
  for (const auto& k : list.value())
    std::printf("%-5lld %s %s %s %s %s %s\n", k.id, cut(k.integration_id, 24).c_str(), cut(k.field, 16).c_str(),
                cut(value(k.base_value), 22).c_str(), cut(value(k.local_value), 22).c_str(),
                cut(value(k.remote_value), 22).c_str(), k.resolution.empty() ? "open" : k.resolution.c_str());
  return 0;
}

int cmd_conflicts_show(const CommonFlags& common, long long id) {
  auto ctx = make_context(common, false, OpenMode::read_only);
  if (!ctx) return fail(ctx.error());
  auto k = ctx->store->get_conflict(id);
  if (!k) return fail(k.error());
  if (!k.value()) return fail(make_error(ExitCode::usage, "no conflict " + std::to_string(id)));
  const Conflict& x = **k;
  std::printf("conflict:     %lld\nintegration:  %s\nfield:        %s\nbase:         %s\nlocal:        %s\nremote:       %s\n"
              "detected:     %s\nresolved:     %s\n",
              x.id, x.integration_id.c_str(), x.field.c_str(), value(x.base_value).c_str(), value(x.local_value).c_str(),
              value(x.remote_value).c_str(), x.detected_at.c_str(),
              x.resolved_at.empty() ? "no (gigasync conflicts resolve ID --keep local|remote)" : (x.resolved_at + " (" + x.resolution + ")").c_str());
  return 0;
}

int cmd_conflicts_resolve(const CommonFlags& common, long long id, const std::string& keep) {
  auto l = open_locked(common);
  if (!l) return fail(l.error());
  auto what = resolve_conflict(*l->ctx.store, id, keep);
  if (!what) return fail(what.error());
  std::printf("conflict %lld resolved: %s; the next sync makes both sides equal\n", id, what->c_str());
  return 0;
}

}  // namespace gigasync::cli
