#include "sync/reconcile.h"

#include <SQLiteCpp/SQLiteCpp.h>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "gigasync/json.h"
#include "sync/merge.h"

namespace gigasync {
namespace {
std::string shown(const std::optional<std::string>& v) { return v ? json::quote(*v) : "null"; }
}  // namespace

std::string object_json(const Integration& o) {
  return json::integration_body(o, {kIntegrationFields.begin(), kIntegrationFields.end()});
}

Result<std::set<std::string>> active_change_ids(Store::Txn& txn) {
  try {
    std::set<std::string> out;
    SQLite::Statement q(txn.db(), "SELECT DISTINCT integration_id FROM pending_changes WHERE state <> 'done'");
    while (q.executeStep()) out.insert(q.getColumn(0).getString());
    return out;
  } catch (const std::exception& e) {
    return make_error(ExitCode::software, std::string("database: reading the outbox: ") + e.what());
  }
}

Status Reconciler::apply_remote(const std::optional<Integration>& base, const Integration& remote) {
  if (!active_.count(remote.id) || !base) return copy_remote(base, remote);
  return merge_remote(*base, remote);
}

Status Reconciler::copy_remote(const std::optional<Integration>& base, const Integration& remote) {
  if (!active_.count(remote.id)) {
    if (auto s = txn_.upsert(Table::mirror, remote); !s) return s;
  }
  if (auto s = txn_.upsert(Table::base, remote); !s) return s;
  if (!base) {
    counts_.inserted++;
    return txn_.add_history({remote.id, "remote", "insert", "", std::nullopt, object_json(remote)});
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

Status Reconciler::merge_remote(const Integration& base, const Integration& remote) {
  auto local = txn_.get(Table::mirror, remote.id);
  if (!local) return local.error();
  if (auto s = txn_.upsert(Table::base, remote); !s) return s;
  counts_.updated++;
  if (!local.value()) return ok_status();  // deleted locally; the pending DELETE decides
  const Integration& mine = **local;
  // A value the remote holds because one of our own sent-but-unconfirmed changes reached it (a lost
  // answer, a crash) is our write, not a remote edit: count it as agreed.
  Integration agreed = base;
  auto changes = txn_.active_changes(remote.id);
  if (!changes) return changes.error();
  for (const auto& c : changes.value()) {
    if (!c.sent_body || c.op == "delete") continue;
    Integration sent = base;
    if (!json::apply_payload(*c.sent_body, sent)) continue;
    for (auto f : kMutableFields)
      if (sent.get(f) == remote.get(f) && base.get(f) != remote.get(f)) agreed.set(f, remote.get(f));
  }
  MergeResult m = three_way(agreed, mine, remote);
  for (const auto& c : m.conflicts) {
    counts_.conflicts++;
    spdlog::warn("conflict on integration {} field {}: base {}, local {}, remote {} (policy {})", remote.id, c.field,
                 shown(c.base), shown(c.local), shown(c.remote), to_string(policy_));
    Conflict row = make_conflict(remote.id, c.field, c.base, c.local, c.remote);
    if (policy_ == ConflictPolicy::manual) {
      if (auto s = hold_changes(remote.id, c.field, "held: conflict on " + c.field); !s) return s;
    } else if (policy_ == ConflictPolicy::remote_wins) {
      row.resolution = "remote-wins";
      m.merged.set(c.field, c.remote);
      m.remote_fields.push_back(c.field);
      if (auto s = strip_field(remote.id, c.field, c.remote); !s) return s;
    } else {
      row.resolution = "local-wins";
    }
    if (auto s = txn_.record_conflict(row); !s) return s.error();
  }
  if (!(m.merged == mine)) {
    if (auto s = txn_.upsert(Table::mirror, m.merged); !s) return s;
  }
  return history_diff(base, remote, m.remote_fields);
}

Status Reconciler::apply_remote_delete(const Integration& base) {
  if (active_.count(base.id)) return delete_with_local_changes(base);
  if (auto s = txn_.remove(Table::mirror, base.id); !s) return s;
  if (auto s = txn_.remove(Table::base, base.id); !s) return s;
  counts_.deleted++;
  return txn_.add_history({base.id, "remote", "delete", "", object_json(base), std::nullopt});
}

Status Reconciler::delete_with_local_changes(const Integration& base) {
  auto local = txn_.get(Table::mirror, base.id);
  if (!local) return local.error();
  if (auto s = txn_.remove(Table::base, base.id); !s) return s;
  counts_.deleted++;
  if (!local.value()) {  // deleted on both sides
    if (auto s = txn_.add_history({base.id, "remote", "delete", "", object_json(base), std::nullopt}); !s) return s;
    return close_changes(base.id, "done: already deleted remotely");
  }
  counts_.conflicts++;
  spdlog::warn("conflict on integration {}: edited locally but deleted remotely (policy {})", base.id,
               to_string(policy_));
  Conflict row = make_conflict(base.id, "(deleted)", object_json(base), object_json(**local), std::nullopt);
  if (policy_ == ConflictPolicy::manual) {
    if (auto s = hold_changes(base.id, "", "held: deleted remotely"); !s) return s;
  } else if (policy_ == ConflictPolicy::remote_wins) {
    row.resolution = "remote-wins";
    if (auto s = txn_.remove(Table::mirror, base.id); !s) return s;
    if (auto s = txn_.add_history({base.id, "remote", "delete", "", object_json(**local), std::nullopt}); !s) return s;
    if (auto s = close_changes(base.id, "dropped: deleted remotely (remote-wins)"); !s) return s;
  } else {
    row.resolution = "local-wins";
    if (auto s = close_changes(base.id, "superseded: re-created after a remote delete (local-wins)"); !s) return s;
    if (auto s = txn_.insert_change(base.id, "create", object_json(**local), "{}"); !s) return s.error();
  }
  if (auto s = txn_.record_conflict(row); !s) return s.error();
  return ok_status();
}

// Marks the live changes that carry `field` ("" = all) as held by a conflict.
Status Reconciler::hold_changes(const std::string& id, const std::string& field, const std::string& why) {
  auto changes = txn_.active_changes(id);
  if (!changes) return changes.error();
  for (auto c : changes.value()) {
    auto fields = json::payload_fields(c.payload);
    bool carries = field.empty() || c.op == "delete" || std::find(fields.begin(), fields.end(), field) != fields.end();
    if (!carries || c.state == "conflict") continue;
    c.state = "conflict";
    c.last_error = why;
    if (auto s = txn_.update_change(c); !s) return s;
  }
  return ok_status();
}

// Takes `field` out of the live changes (remote won it). A change whose key was already sent can not
// change its body: it is closed and the rest is queued again under a new key.
Status Reconciler::strip_field(const std::string& id, const std::string& field, const std::optional<std::string>& remote_value) {
  auto changes = txn_.active_changes(id);
  if (!changes) return changes.error();
  for (auto c : changes.value()) {
    auto fields = json::payload_fields(c.payload);
    if (c.op == "delete" || std::find(fields.begin(), fields.end(), field) == fields.end()) continue;
    std::string rest = c.op == "update" ? json::payload_without(c.payload, field)
                                        : json::payload_with(c.payload, field, remote_value);
    bool empty = json::payload_fields(rest).empty();
    if (c.attempts == 0 && !c.sent_body) {
      c.payload = rest;
      if (empty) { c.state = "done"; c.last_error = "nothing left to push: remote won " + field; }
      if (auto s = txn_.update_change(c); !s) return s;
      continue;
    }
    c.state = "done";
    c.last_error = "superseded: remote won " + field;
    if (auto s = txn_.update_change(c); !s) return s;
    if (!empty) {
      if (auto s = txn_.insert_change(id, c.op, rest, c.base); !s) return s.error();
    }
  }
  return ok_status();
}

Status Reconciler::close_changes(const std::string& id, const std::string& why) {
  auto changes = txn_.active_changes(id);
  if (!changes) return changes.error();
  for (auto c : changes.value()) {
    c.state = "done";
    c.last_error = why;
    if (auto s = txn_.update_change(c); !s) return s;
  }
  return ok_status();
}

}  // namespace gigasync
