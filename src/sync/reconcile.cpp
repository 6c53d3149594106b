#include "sync/reconcile.h"

#include <spdlog/spdlog.h>

#include "gigasync/json.h"
#include "sync/merge.h"

namespace gigasync {
namespace {

constexpr const char* kDeletedRemotely = "(deleted)";
constexpr const char* kDeletedLocally = "(deleted locally)";

std::string shown(const std::optional<std::string>& v) { return v ? json::quote(*v) : "null"; }

bool same_content(const Integration& a, const Integration& b) {
  for (auto f : mutable_fields())
    if (a.get(f) != b.get(f)) return false;
  return true;
}

}  // namespace

Status Reconciler::apply_remote(const std::optional<Integration>& base, const Integration& remote) {
  if (!active_.count(remote.id)) return copy_remote(base, remote);
  if (!base) {
    // New to the base while local changes wait: our own create whose answer was lost (the frozen
    // POST is sent again and replayed), or a local row that took an id the API now has.
    counts_.inserted++;
    return txn_.upsert(Table::base, remote);
  }
  return merge_remote(*base, remote);
}

Status Reconciler::copy_remote(const std::optional<Integration>& base, const Integration& remote) {
  if (auto s = txn_.upsert(Table::mirror, remote); !s) return s;
  if (auto s = txn_.upsert(Table::base, remote); !s) return s;
  if (!base) {
    counts_.inserted++;
    return txn_.add_history({remote.id, "remote", "insert", "", std::nullopt, json::object_json(remote)});
  }
  counts_.updated++;
  return history_diff(*base, remote, diff_fields(*base, remote));
}

Status Reconciler::history_diff(const Integration& before, const Integration& after,
                                const std::vector<std::string>& fields) {
  for (const auto& f : fields) {
    if (auto s = txn_.add_history({after.id, "remote", "update", f, before.get(f), after.get(f)}); !s) return s;
  }
  return ok_status();
}

// The base with the values our own sent-but-unconfirmed changes put on the API (a lost answer, a
// crash): those are our writes, not remote edits.
Result<Integration> Reconciler::agreed_base(const Integration& base, const Integration& remote) {
  Integration agreed = base;
  auto changes = txn_.active_changes(remote.id);
  if (!changes) return changes.error();
  for (const auto& c : changes.value()) {
    if (!c.sent() || c.op == ChangeOp::remove) continue;
    Integration sent = base;
    auto fields = json::apply_payload(*c.sent_body, sent, true);
    if (!fields) continue;
    for (const auto& f : fields.value())
      if (f != "id" && f != "type" && sent.get(f) == remote.get(f)) agreed.set(f, remote.get(f));
  }
  return agreed;
}

Status Reconciler::conflict(Conflict row, const std::string& why) {
  counts_.conflicts++;
  // Seen again in a later cycle: the base table moved on to the remote version of that cycle, but
  // the conflict is still about the value both sides last agreed on, which its row keeps.
  auto open = txn_.open_conflicts(row.integration_id);
  if (!open) return open.error();
  std::string again;
  for (const auto& k : open.value()) {
    if (k.field != row.field) continue;
    row.base_value = k.base_value;
    again = "; open since " + k.detected_at + " as conflict " + std::to_string(k.id);
  }
  spdlog::warn("conflict on integration {} field {}: base {}, local {}, remote {} (policy {}{})", row.integration_id,
               row.field, shown(row.base_value), shown(row.local_value), shown(row.remote_value), to_string(policy_),
               again);
  if (policy_ == ConflictPolicy::manual)
    if (auto s = outbox_.hold(row.integration_id, why); !s) return s;
  if (auto s = txn_.record_conflict(row); !s) return s.error();
  return ok_status();
}

Status Reconciler::merge_remote(const Integration& base, const Integration& remote) {
  auto renamed = txn_.renamed_to(remote.id);
  if (!renamed) return renamed.error();
  const std::string mirror_id = renamed->value_or(remote.id);
  auto local = txn_.get(Table::mirror, mirror_id);
  if (!local) return local.error();
  auto agreed = agreed_base(base, remote);
  if (!agreed) return agreed.error();
  if (auto s = txn_.upsert(Table::base, remote); !s) return s;
  counts_.updated++;
  if (!local.value()) return deleted_locally(agreed.value(), remote);
  const Integration mine = json::canonical_row(**local);
  MergeResult m = three_way(agreed.value(), mine, remote);
  m.merged.id = mirror_id;
  for (const auto& c : m.conflicts) {
    Conflict row = make_conflict(remote.id, c.field, c.base, c.local, c.remote);
    if (policy_ == ConflictPolicy::remote_wins) {
      row.resolution = "remote-wins";
      m.merged.set(c.field, c.remote);
      m.remote_fields.push_back(c.field);
    } else if (policy_ == ConflictPolicy::local_wins) {
      row.resolution = "local-wins";
    }
    if (auto s = conflict(row, "held: conflict on " + c.field); !s) return s;
  }
  for (const auto& f : m.remote_fields)
    if (auto s = outbox_.drop_field(remote.id, f); !s) return s;
  if (!(m.merged == **local))
    if (auto s = txn_.upsert(Table::mirror, m.merged); !s) return s;
  if (mirror_id == remote.id && same_content(m.merged, remote)) {
    // Every local value is on the API already: nothing is left to send or to decide.
    auto open = txn_.open_conflicts(remote.id);
    if (!open) return open.error();
    for (const auto& k : open.value())
      if (auto s = txn_.resolve_conflict(k.id, "converged"); !s) return s;
    if (auto s = outbox_.close_all(remote.id, "done: the API has these values", ChangeState::done); !s) return s;
  }
  return history_diff(base, remote, m.remote_fields);
}

// The row was deleted locally (a DELETE waits) and the API has a version of it.
Status Reconciler::deleted_locally(const Integration& agreed, const Integration& remote) {
  if (same_content(agreed, remote)) return ok_status();  // not edited remotely: the DELETE goes
  Conflict row = make_conflict(remote.id, kDeletedLocally, json::object_json(agreed), std::nullopt, json::object_json(remote));
  if (policy_ == ConflictPolicy::remote_wins) {
    row.resolution = "remote-wins";
    if (auto s = outbox_.close_all(remote.id, "dropped: the API's edited row was kept (remote-wins)", ChangeState::superseded); !s) return s;
    if (auto s = txn_.upsert(Table::mirror, remote); !s) return s;
  } else if (policy_ == ConflictPolicy::local_wins) {
    row.resolution = "local-wins";
  }
  return conflict(row, "held: deleted locally, edited remotely");
}

Status Reconciler::apply_remote_delete(const Integration& base) {
  if (!active_.count(base.id)) {
    if (auto s = txn_.remove(Table::mirror, base.id); !s) return s;
    if (auto s = txn_.remove(Table::base, base.id); !s) return s;
    counts_.deleted++;
    return txn_.add_history({base.id, "remote", "delete", "", json::object_json(base), std::nullopt});
  }
  return delete_with_local_changes(base);
}

Status Reconciler::delete_with_local_changes(const Integration& base) {
  auto renamed = txn_.renamed_to(base.id);
  if (!renamed) return renamed.error();
  const std::string mirror_id = renamed->value_or(base.id);
  auto local = txn_.get(Table::mirror, mirror_id);
  if (!local) return local.error();
  if (auto s = txn_.remove(Table::base, base.id); !s) return s;
  counts_.deleted++;
  if (auto s = txn_.add_history({base.id, "remote", "delete", "", json::object_json(base), std::nullopt}); !s) return s;
  if (!local.value()) return outbox_.close_all(base.id, "done: deleted on both sides", ChangeState::done);
  if (mirror_id == base.id && same_content(json::canonical_row(**local), base)) {
    // Edited and undone: nothing local is left to keep.
    if (auto s = txn_.remove(Table::mirror, mirror_id); !s) return s;
    return outbox_.close_all(base.id, "done: deleted remotely, no local difference left", ChangeState::done);
  }
  Conflict row = make_conflict(base.id, kDeletedRemotely, json::object_json(base), json::object_json(**local), std::nullopt);
  if (policy_ == ConflictPolicy::remote_wins) {
    row.resolution = "remote-wins";
    if (auto s = txn_.remove(Table::mirror, mirror_id); !s) return s;
    if (auto s = outbox_.close_all(base.id, "dropped: deleted remotely (remote-wins)", ChangeState::superseded); !s) return s;
  } else if (policy_ == ConflictPolicy::local_wins) {
    row.resolution = "local-wins";
    if (auto s = outbox_.close_all(base.id, "superseded: created again after a remote delete (local-wins)", ChangeState::superseded); !s) return s;
    if (auto s = outbox_.requeue(base.id, ChangeOp::create, {mutable_fields().begin(), mutable_fields().end()},
                                 ChangeState::pending); !s)
      return s;
  }
  return conflict(row, "held: deleted remotely");
}

Status Reconciler::apply_remote_rename(const Integration& base, const Integration& remote) {
  auto renamed = txn_.renamed_to(base.id);
  if (!renamed) return renamed.error();
  bool own = renamed->has_value() && **renamed == remote.id;  // our rename reached the API
  auto local = txn_.get(Table::mirror, renamed->value_or(base.id));
  if (!local) return local.error();
  if (auto s = txn_.follow_rename(base.id, remote.id, local.value().has_value() && !own); !s) return s;
  if (own)  // a frozen body names the old URL's request; what is left is sent afresh
    if (auto s = outbox_.abandon_sent(remote.id, "the rename reached the API, its answer did not"); !s) return s;
  counts_.renamed++;
  if (auto s = txn_.add_history({remote.id, "remote", "update", "id", base.id, remote.id}); !s) return s;
  Integration renamed_base = base;
  renamed_base.id = remote.id;
  if (active_.count(base.id)) active_.insert(remote.id);
  if (!local.value() && active_.count(remote.id)) {
    // Deleted locally, renamed remotely: the rename is a remote edit (of the id).
    Conflict row = make_conflict(remote.id, kDeletedLocally, json::object_json(base), std::nullopt, json::object_json(remote));
    if (policy_ == ConflictPolicy::remote_wins) {
      row.resolution = "remote-wins";
      if (auto s = outbox_.close_all(remote.id, "dropped: the API's renamed row was kept (remote-wins)", ChangeState::superseded); !s) return s;
      if (auto s = txn_.upsert(Table::mirror, remote); !s) return s;
    } else if (policy_ == ConflictPolicy::local_wins) {
      row.resolution = "local-wins";
    }
    return conflict(row, "held: deleted locally, renamed remotely");
  }
  if (renamed_base == remote) return ok_status();
  return apply_remote(renamed_base, remote);
}

}  // namespace gigasync
