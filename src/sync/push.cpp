#include "sync/push.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <mutex>

#include "gigasync/json.h"
#include "sync/reconcile.h"
#include "util/parallel.h"

namespace gigasync {
namespace {

bool is_url(const std::optional<std::string>& v) {
  return v && (v->rfind("http://", 0) == 0 || v->rfind("https://", 0) == 0);
}

// The request body of a change, made once: it is frozen in sent_body before the first send.
std::string make_body(const Change& c, const std::optional<Integration>& base) {
  if (c.op == "delete") return "";
  if (c.op == "update") return c.payload;
  Integration obj;
  if (!json::apply_payload(c.payload, obj)) return c.payload;
  std::vector<std::string_view> fields;
  if (c.op == "create") fields.push_back("id");
  for (auto f : kMutableFields) {
    // Logos are written as base64 and read back as URLs: an unchanged URL is not sent back.
    if (f == "logo" && is_url(obj.logo) && (c.op == "create" || (base && base->logo == obj.logo))) continue;
    fields.push_back(f);
  }
  return json::integration_body(obj, fields);
}

const char* method_of(const std::string& op) {
  if (op == "create") return "POST";
  if (op == "update") return "PATCH";
  if (op == "replace") return "PUT";
  return "DELETE";
}

class Pusher {
 public:
  Pusher(const Config& cfg, Store& store, ApiClient& api) : cfg_(cfg), store_(store), api_(api) {}

  Result<PushOutcome> run(const SyncOptions& options) {
    auto ids = store_.integrations_with_pending();
    if (!ids) return ids.error();
    if (options.dry_run) return plan(ids.value());
    parallel_for(ids->size(), cfg_.api.concurrency, [&](size_t i) { return push_integration((*ids)[i]); });
    if (fatal_) return *fatal_;
    return out_;
  }

 private:
  Result<PushOutcome> plan(const std::vector<std::string>& ids) {
    for (const auto& id : ids) {
      auto changes = store_.list_changes(false);
      if (!changes) return changes.error();
      for (const auto& c : changes.value())
        if (c.integration_id == id && (c.state == "pending" || c.state == "in_flight"))
          out_.plan.push_back("push: would " + std::string(method_of(c.op)) + " integration " + id + " (change " +
                              std::to_string(c.id) + "): " + (c.op == "delete" ? "" : c.payload));
    }
    return out_;
  }

  // Sends the integration's changes in order until one can not go now. Returns false to stop all.
  bool push_integration(const std::string& id) {
    while (true) {
      std::optional<Change> next;
      {
        std::lock_guard lock(db_mutex_);
        if (fatal_ || unreachable_) return false;
        auto c = claim_next(id);
        if (!c) return set_fatal(c.error());
        next = c.value();
      }
      if (!next) return true;
      auto reply = api_.send(method_of(next->op), next->op == "create" ? api_.collection_url() : api_.item_url(id),
                             *next->sent_body, next->idempotency_key);
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

  // The first live change of `id`, marked in flight with its body frozen; nullopt when none can go.
  Result<std::optional<Change>> claim_next(const std::string& id) {
    Store::Txn txn(store_);
    if (auto s = txn.begin(); !s) return s.error();
    auto changes = txn.active_changes(id);
    if (!changes) return changes.error();
    if (changes->empty()) return std::optional<Change>{};
    Change c = changes->front();
    if (c.state != "pending" && c.state != "in_flight") {
      out_.deferred++;
      return std::optional<Change>{};  // held by a conflict or a failure: keep the order
    }
    auto base = txn.get(Table::base, id);
    if (!base) return base.error();
    if (!c.sent_body) c.sent_body = make_body(c, base.value());
    c.state = "in_flight";
    c.attempts++;
    if (auto s = txn.update_change(c); !s) return s.error();
    if (auto s = txn.commit(); !s) return s.error();
    return std::optional<Change>(c);
  }

  // Records the answer. Returns whether to continue with this integration; Error to stop all.
  Result<bool> record(Change c, const Result<ApiReply>& reply) {
    Store::Txn txn(store_);
    if (auto s = txn.begin(); !s) return s.error();
    bool go_on = false;
    if (!reply) {
      const Error& e = reply.error();
      c.state = "pending";
      c.last_error = e.message;
      if (auto s = txn.update_change(c); !s) return s.error();
      if (auto s = txn.commit(); !s) return s.error();
      if (e.code == ExitCode::auth || e.code == ExitCode::config) return e;
      spdlog::warn("change {} ({} integration {}) not pushed yet: {}", c.id, method_of(c.op), c.integration_id, e.message);
      out_.deferred++;
      if (e.code == ExitCode::unavailable) unreachable_ = true;  // do not hammer a server that is down
      return false;
    }
    long status = reply->status;
    if (status >= 200 && status < 300) {
      if (auto s = apply_success(txn, c, reply.value()); !s) return s.error();
      out_.pushed++;
      go_on = true;
    } else if (status == 404 && c.op == "delete") {
      if (auto s = txn.remove(Table::base, c.integration_id); !s) return s.error();
      c.state = "done";
      c.last_error = "already deleted remotely";
      if (auto s = txn.update_change(c); !s) return s.error();
      go_on = true;
    } else if (status == 404) {
      out_.conflicts++;
      spdlog::warn("conflict on integration {}: {} answered 404: it was deleted remotely", c.integration_id,
                   method_of(c.op));
      Conflict k = make_conflict(c.integration_id, "(deleted)", std::nullopt, c.payload, std::nullopt);
      k.change_id = c.id;
      if (auto s = txn.record_conflict(k); !s) return s.error();
      c.state = "conflict";
      c.last_error = "deleted remotely (404)";
      if (auto s = txn.update_change(c); !s) return s.error();
    } else {
      out_.failed++;
      c.state = "failed";
      c.last_error = "HTTP " + std::to_string(status) + ": " + json::describe_error_body(reply->body);
      spdlog::warn("change {} refused by the API: {} integration {}: {}", c.id, method_of(c.op), c.integration_id,
                   c.last_error);
      if (auto s = txn.update_change(c); !s) return s.error();
    }
    if (auto s = txn.commit(); !s) return s.error();
    return go_on;
  }

  Status apply_success(Store::Txn& txn, Change& c, const ApiReply& reply) {
    c.state = "done";
    c.last_error = reply.replayed ? "done (replayed answer)" : "";
    if (auto s = txn.update_change(c); !s) return s;
    auto old_base = txn.get(Table::base, c.integration_id);
    if (!old_base) return old_base.error();
    if (c.op == "delete") {
      if (auto s = txn.remove(Table::base, c.integration_id); !s) return s;
      return txn.add_history({c.integration_id, "local", "delete", "", old_base.value() ? object_json(**old_base) : "",
                              std::nullopt});
    }
    auto answer = json::parse_integration(reply.body, std::string(method_of(c.op)) + " answer for integration " + c.integration_id);
    if (!answer) return answer.error();
    const Integration& a = answer.value();
    // The base as it is now agreed: the old base with what we sent.
    Integration agreed = old_base.value().value_or(a);
    if (auto sent = json::apply_payload(*c.sent_body, agreed); !sent) return sent.error();
    auto local = txn.get(Table::mirror, c.integration_id);
    if (!local) return local.error();
    if (local.value()) {
      Integration merged = **local;
      auto sent_fields = json::payload_fields(*c.sent_body);
      for (auto f : kMutableFields) {
        bool unsent = std::find(sent_fields.begin(), sent_fields.end(), f) == sent_fields.end();
        // No newer local edit (or a field a create did not send, e.g. a logo URL): take the answer.
        if (merged.get(f) == agreed.get(f) || (!old_base.value() && unsent)) merged.set(f, a.get(f));
      }
      merged.type = a.type;
      if (!(merged == **local))
        if (auto s = txn.upsert(Table::mirror, merged); !s) return s;
    }
    if (auto s = txn.upsert(Table::base, a); !s) return s;
    if (!old_base.value()) return txn.add_history({a.id, "local", "insert", "", std::nullopt, object_json(a)});
    for (const auto& f : json::payload_fields(*c.sent_body)) {
      if (f == "id" || f == "type" || old_base.value()->get(f) == a.get(f)) continue;
      if (auto s = txn.add_history({a.id, "local", "update", f, old_base.value()->get(f), a.get(f)}); !s) return s;
    }
    return ok_status();
  }

  const Config& cfg_;
  Store& store_;
  ApiClient& api_;
  std::mutex db_mutex_;
  std::optional<Error> fatal_;
  bool unreachable_ = false;
  PushOutcome out_;
};

}  // namespace

Result<PushOutcome> push(const Config& cfg, Store& store, ApiClient& api, const SyncOptions& options) {
  return Pusher(cfg, store, api).run(options);
}

}  // namespace gigasync
