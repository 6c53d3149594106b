#include "sync/push.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <mutex>

#include "gigasync/json.h"
#include "gigasync/outbox.h"
#include "sync/reconcile.h"
#include "gigasync/parallel.h"

namespace gigasync {
namespace {

class Pusher {
 public:
  Pusher(const Config& cfg, Store& store, Remote& api, bool pulled)
      : cfg_(cfg), store_(store), api_(api), pulled_(pulled) {}

  Result<PushOutcome> run(const SyncOptions& options) {
    auto ids = store_.integrations_with_pending();
    if (!ids) return ids.error();
    if (options.dry_run) return plan();
    if (auto s = check_gates(options); !s) return s.error();
    if (out_.paused || out_.held_by_guard > 0) return out_;
    parallel_for(ids->size(), cfg_.api.concurrency, [&](size_t i) { return push_integration((*ids)[i]); });
    if (fatal_) return *fatal_;
    return out_;
  }

 private:
  // `gigasync pause`, and the outbound guard: more integrations to push than
  // max(min_push_guard, max_push_fraction × mirror) are held until approved.
  Status check_gates(const SyncOptions& options) {
    auto paused = store_.state("push_paused");
    if (!paused) return paused.error();
    if (paused.value() == "1") {
      spdlog::info("pushing is paused ('gigasync resume' to resume); local edits keep queueing");
      out_.paused = true;
      return ok_status();
    }
    auto newest = store_.newest_change_id();
    if (!newest) return newest.error();
    if (options.force_push)
      if (auto s = store_.set_state("push_approved_through", std::to_string(newest.value())); !s) return s;
    auto approved = store_.state("push_approved_through");
    if (!approved) return approved.error();
    auto waiting = store_.integrations_to_push_after(approved->empty() ? 0 : std::stoll(approved.value()));
    if (!waiting) return waiting.error();
    auto counts = store_.status_counts();
    if (!counts) return counts.error();
    double limit = std::max(static_cast<double>(cfg_.sync.min_push_guard),
                            cfg_.sync.max_push_fraction * static_cast<double>(counts->integrations));
    if (static_cast<double>(waiting.value()) <= limit) return ok_status();
    out_.held_by_guard = waiting.value();
    spdlog::warn("outbound guard: {} integrations would be changed in the API (more than {:.0f}: max_push_fraction {} "
                 "of {} mirrored, min_push_guard {}); nothing pushed. If intended: 'gigasync changes approve --all' "
                 "or 'gigasync sync --force-push'; if not: 'gigasync changes list' and 'gigasync changes discard ID'",
                 waiting.value(), limit, cfg_.sync.max_push_fraction, counts->integrations, cfg_.sync.min_push_guard);
    return ok_status();
  }

  Result<PushOutcome> plan() {
    auto changes = store_.list_changes(false);
    if (!changes) return changes.error();
    for (const auto& c : changes.value())
      if (c.state == ChangeState::pending || c.state == ChangeState::in_flight)
        out_.plan.push_back("push: would send change " + std::to_string(c.id) + " (" + std::string(to_string(c.op)) +
                            " of integration " + c.integration_id + ")" +
                            (c.op == ChangeOp::remove ? "" : ": " + c.sent_body.value_or(c.payload)) +
                            (pulled_ ? "" : ", after reading the integration from the API"));
    return out_;
  }

  // Sends the integration's changes in order until one can not go now. Returns false to stop all.
  bool push_integration(const std::string& id) {
    {
      std::lock_guard lock(db_mutex_);
      if (fatal_ || unreachable_) return false;
    }
    if (!pulled_ && !freshen(id)) return !fatal_;
    while (true) {
      std::optional<Claim> next;
      {
        std::lock_guard lock(db_mutex_);
        if (fatal_ || unreachable_) return false;
        auto c = claim(id);
        if (!c) return set_fatal(c.error());
        next = std::move(c.value());
      }
      if (!next) return true;
      const Change& c = next->change;
      const Resource& r = integrations_resource();
      auto reply = api_.call(ApiCall{next->method, next->to_collection ? api_.collection_url(r) : api_.item_url(r, id),
                                     *c.sent_body, c.idempotency_key, ""});
      std::lock_guard lock(db_mutex_);
      auto keep_going = record(*next, reply);
      if (!keep_going) return set_fatal(keep_going.error());
      if (!keep_going.value()) return true;
    }
  }

  bool set_fatal(const Error& e) {
    if (!fatal_) fatal_ = e;
    return false;
  }

  // Reads the integration from the API and merges it in, as a pull would. false: not pushed now.
  bool freshen(const std::string& id) {
    auto got = get_object(api_, integrations_resource(), id);
    std::lock_guard lock(db_mutex_);
    if (!got) {
      if (got.error().code == ExitCode::unavailable) {
        unreachable_ = true;
        spdlog::warn("integration {} not pushed: reading it first failed: {}", id, got.error().message);
        out_.unpushed++;
        return false;
      }
      return set_fatal(got.error());
    }
    if (!got.value()) {
      spdlog::info("integration {} answered 404 (deleted or renamed in the API); its changes wait for the next full "
                   "cycle, which confirms it", id);
      out_.deferred++;
      return false;
    }
    auto s = merge(**got);
    if (!s) return set_fatal(s.error());
    return true;
  }

  Status merge(const Integration& remote) {
    Store::Txn txn(store_);
    if (auto s = txn.begin(); !s) return s;
    auto base = txn.get(Table::base, remote.id);
    if (!base) return base.error();
    if (base.value() && **base == remote) return ok_status();  // rolled back: nothing to write
    auto active = txn.active_change_ids();
    if (!active) return active.error();
    Reconciler rec(txn, cfg_.sync.conflict_policy, std::move(active.value()));
    if (auto s = rec.apply_remote(base.value(), remote); !s) return s;
    out_.conflicts += rec.counts().conflicts;
    return txn.commit();
  }

  Result<std::optional<Claim>> claim(const std::string& id) {
    Store::Txn txn(store_);
    if (auto s = txn.begin(); !s) return s.error();
    auto c = Outbox(txn).claim(id);
    if (!c) return c.error();
    if (!c.value()) out_.deferred++;
    if (auto s = txn.commit(); !s) return s.error();  // durable before the request leaves
    return c;
  }

  // Records the answer. Returns whether to continue with this integration; Error to stop all.
  Result<bool> record(const Claim& claimed, const Result<ApiReply>& reply) {
    Store::Txn txn(store_);
    if (auto s = txn.begin(); !s) return s.error();
    Outbox outbox(txn);
    Change c = claimed.change;
    bool go_on = false;
    Status s = ok_status();
    if (!reply) {
      const Error& e = reply.error();
      s = outbox.unsettle(c, e.message);
      if (s && (e.code == ExitCode::auth || e.code == ExitCode::config)) {
        if (auto t = txn.commit(); !t) return t.error();
        return e;
      }
      spdlog::warn("change {} ({} integration {}) not pushed yet: {}", c.id, claimed.method, c.integration_id, e.message);
      out_.unpushed++;
      if (e.code == ExitCode::unavailable) unreachable_ = true;  // do not hammer a server that is down
    } else if (reply->status >= 200 && reply->status < 300) {
      std::tie(s, go_on) = accepted(outbox, c, claimed, reply.value());
    } else if (reply->status == 404 && c.op == ChangeOp::remove) {
      c.last_error = "already deleted in the API";
      s = outbox.settle(c, std::nullopt);
      go_on = true;
    } else if (reply->status == 404) {
      s = outbox.unsettle(c, "HTTP 404: deleted or renamed in the API; the next full cycle checks which");
      out_.deferred++;
    } else {
      out_.failed++;
      std::string why = "HTTP " + std::to_string(reply->status) + ": " + json::describe_error_body(reply->body);
      spdlog::warn("change {} refused by the API: {} integration {}: {}", c.id, claimed.method, c.integration_id, why);
      s = outbox.fail(c, why);
    }
    if (!s) return s.error();
    if (auto t = txn.commit(); !t) return t.error();
    return go_on;
  }

  std::pair<Status, bool> accepted(Outbox& outbox, Change c, const Claim& claimed, const ApiReply& reply) {
    c.last_error = reply.replayed ? "done (replayed answer)" : "";
    if (c.op == ChangeOp::remove) {
      out_.pushed++;
      return {outbox.settle(c, std::nullopt), true};
    }
    auto answer = json::parse_integration(reply.body, claimed.method + " answer for integration " + c.integration_id);
    if (!answer) {
      out_.failed++;
      std::string why = "the API answered HTTP " + std::to_string(reply.status) +
                        " with a body that is not an integration (" + answer.error().message +
                        "); the next pull shows whether it was applied";
      spdlog::warn("change {}: {}", c.id, why);
      return {outbox.fail(c, why), false};
    }
    out_.pushed++;
    return {outbox.settle(c, answer.value()), true};
  }

  const Config& cfg_;
  Store& store_;
  Remote& api_;
  bool pulled_;
  std::mutex db_mutex_;
  std::optional<Error> fatal_;
  bool unreachable_ = false;
  PushOutcome out_;
};

}  // namespace

Result<PushOutcome> push(const Config& cfg, Store& store, Remote& api, const SyncOptions& options, bool pulled) {
  return Pusher(cfg, store, api, pulled).run(options);
}

}  // namespace gigasync
