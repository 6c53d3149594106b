#include <algorithm>

#include "gigasync/json.h"
#include "gigasync/outbox.h"
#include "sync/reconcile.h"

namespace gigasync {
namespace {

Result<Change> find_change(Store::Txn& txn, long long id) {
  auto c = txn.active_changes_by_id(id);
  if (!c) return c.error();
  if (!c.value()) return make_error(ExitCode::usage, "no change " + std::to_string(id) + " in the outbox");
  return **c;
}

// Sets mirror fields back to the base for `fields` ("" list = the whole row).
Status restore_from_base(Store::Txn& txn, const Change& c) {
  auto base = txn.get(Table::base, c.integration_id);
  if (!base) return base.error();
  auto local = txn.get(Table::mirror, c.integration_id);
  if (!local) return local.error();
  if (!base.value()) return txn.remove(Table::mirror, c.integration_id);  // a create that never reached the API
  if (c.op != "update" || !local.value()) return txn.upsert(Table::mirror, **base);
  Integration row = **local;
  for (const auto& f : json::payload_fields(c.payload))
    if (f != "id" && f != "type") row.set(f, base.value()->get(f));
  return txn.upsert(Table::mirror, row);
}

}  // namespace

Result<long long> retry_change(Store& store, long long id) {
  Store::Txn txn(store);
  if (auto s = txn.begin(); !s) return s.error();
  auto c = find_change(txn, id);
  if (!c) return c.error();
  if (c->state != "failed")
    return make_error(ExitCode::usage, "change " + std::to_string(id) + " is " + c->state + ", not failed; only failed changes are retried by hand");
  auto fresh = txn.insert_change(c->integration_id, c->op, c->payload, c->base);
  if (!fresh) return fresh.error();
  c->state = "done";
  c->last_error = "retried as change " + std::to_string(fresh.value()) + " after: " + c->last_error;
  if (auto s = txn.update_change(c.value()); !s) return s.error();
  if (auto s = txn.commit(); !s) return s.error();
  return fresh.value();
}

Status discard_change(Store& store, long long id) {
  Store::Txn txn(store);
  if (auto s = txn.begin(); !s) return s;
  auto c = find_change(txn, id);
  if (!c) return c.error();
  bool never_sent = c->state == "pending" && c->attempts == 0;
  if (!never_sent && c->state != "failed" && c->state != "conflict")
    return make_error(ExitCode::usage, "change " + std::to_string(id) + " is " + c->state +
                                           (c->state == "done" ? "" : " and may already have reached the API; let the next sync finish it"));
  if (auto s = restore_from_base(txn, c.value()); !s) return s;
  c->state = "done";
  c->last_error = "discarded by hand";
  if (auto s = txn.update_change(c.value()); !s) return s;
  // The conflicts about what this change carried are settled; others stay open.
  auto conflicts = txn.open_conflicts(c->integration_id);
  if (!conflicts) return conflicts.error();
  auto fields = json::payload_fields(c->payload);
  for (const auto& k : conflicts.value()) {
    bool mine = k.change_id == c->id || (k.field == "(deleted)" && c->op != "delete") ||
                std::find(fields.begin(), fields.end(), k.field) != fields.end();
    if (mine)
      if (auto s = txn.resolve_conflict(k.id, "discarded"); !s) return s;
  }
  return txn.commit();
}

Result<std::string> resolve_conflict(Store& store, long long id, const std::string& keep) {
  if (keep != "local" && keep != "remote") return make_error(ExitCode::usage, "--keep takes local or remote, not '" + keep + "'");
  Store::Txn txn(store);
  if (auto s = txn.begin(); !s) return s.error();
  auto open = txn.conflict_by_id(id);
  if (!open) return open.error();
  if (!open.value() || !open.value()->resolved_at.empty())
    return make_error(ExitCode::usage, "no open conflict " + std::to_string(id));
  const Conflict k = **open;
  auto held = txn.active_changes(k.integration_id);
  if (!held) return held.error();
  auto local = txn.get(Table::mirror, k.integration_id);
  if (!local) return local.error();
  auto base = txn.get(Table::base, k.integration_id);
  if (!base) return base.error();
  std::string what;
  if (keep == "remote") {
    if (k.field == "(deleted)" || !base.value()) {
      if (auto s = txn.remove(Table::mirror, k.integration_id); !s) return s.error();
      for (auto c : held.value()) { c.state = "done"; c.last_error = "dropped: kept the remote deletion"; if (auto s = txn.update_change(c); !s) return s.error(); }
      what = "integration " + k.integration_id + " removed from the mirror (deleted remotely)";
    } else {
      Integration row = local.value().value_or(**base);
      row.set(k.field, base.value()->get(k.field));
      if (auto s = txn.upsert(Table::mirror, row); !s) return s.error();
      for (auto c : held.value()) {
        auto fields = json::payload_fields(c.payload);
        if (std::find(fields.begin(), fields.end(), k.field) == fields.end()) continue;
        std::string rest = c.op == "update" ? json::payload_without(c.payload, k.field) : json::payload_with(c.payload, k.field, base.value()->get(k.field));
        bool empty = json::payload_fields(rest).empty();
        bool was_held = c.state == "conflict";
        c.state = "done";
        c.last_error = "superseded: kept the remote " + k.field;
        if (auto s = txn.update_change(c); !s) return s.error();
        if (empty) continue;
        auto fresh = txn.insert_change(k.integration_id, c.op, rest, c.base);
        if (!fresh) return fresh.error();
        if (was_held) {  // still held by the other open conflicts, if any (released below when none)
          auto fresh_row = txn.active_changes_by_id(fresh.value());
          if (!fresh_row) return fresh_row.error();
          Change held_again = **fresh_row;
          held_again.state = "conflict";
          held_again.last_error = "held: other conflicts on this integration are open";
          if (auto s = txn.update_change(held_again); !s) return s.error();
        }
      }
      what = "integration " + k.integration_id + " keeps the remote " + k.field;
    }
  } else {
    if (!local.value()) return make_error(ExitCode::usage, "integration " + k.integration_id + " is not in the mirror any more; keep remote instead");
    for (auto c : held.value()) { c.state = "done"; c.last_error = "superseded: the local row is sent whole"; if (auto s = txn.update_change(c); !s) return s.error(); }
    bool recreate = k.field == "(deleted)" || !base.value();
    auto fresh = txn.insert_change(k.integration_id, recreate ? "create" : "replace", object_json(**local), base.value() ? object_json(**base) : "{}");
    if (!fresh) return fresh.error();
    what = "integration " + k.integration_id + " queued as change " + std::to_string(fresh.value()) + " (" + (recreate ? "POST, re-created" : "PUT of the whole local row") + ")";
  }
  auto others = txn.open_conflicts(k.integration_id);
  if (!others) return others.error();
  for (const auto& o : others.value()) {
    if (o.id != k.id && keep == "remote") continue;  // other fields stay open
    if (auto s = txn.resolve_conflict(o.id, keep == "local" ? "kept local" : "kept remote"); !s) return s.error();
  }
  // Changes held only by conflicts that are now resolved go back to pending.
  auto still_open = txn.open_conflicts(k.integration_id);
  if (!still_open) return still_open.error();
  if (still_open->empty()) {
    auto rest = txn.active_changes(k.integration_id);
    if (!rest) return rest.error();
    for (auto c : rest.value())
      if (c.state == "conflict") { c.state = "pending"; c.last_error = ""; if (auto s = txn.update_change(c); !s) return s.error(); }
  }
  if (auto s = txn.commit(); !s) return s.error();
  return what;
}

}  // namespace gigasync
