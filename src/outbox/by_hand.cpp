// The outbox moves people make: `changes retry|discard` and `conflicts resolve`.
#include <algorithm>

#include "gigasync/json.h"
#include "gigasync/outbox.h"

namespace gigasync {
namespace {

constexpr std::string_view kDeletedRemotely = "(deleted)";
constexpr std::string_view kDeletedLocally = "(deleted locally)";

Result<Change> find_change(Store::Txn& txn, long long id) {
  auto c = txn.change_by_id(id);
  if (!c) return c.error();
  if (!c.value()) return make_error(ExitCode::usage, "no change " + std::to_string(id) + " in the outbox");
  return **c;
}

std::vector<std::string> fields_of(const Change& c) {
  if (c.op != ChangeOp::update) return {mutable_fields().begin(), mutable_fields().end()};
  return json::payload_fields(c.payload);
}

bool has(const std::vector<std::string>& v, std::string_view f) { return std::find(v.begin(), v.end(), f) != v.end(); }

// Runs `body` in a write transaction and commits it.
template <class T, class F>
Result<T> in_txn(Store& store, F body) {
  Store::Txn txn(store);
  if (auto s = txn.begin(); !s) return s.error();
  Result<T> out = body(txn);
  if (!out) return out;
  if (auto s = txn.commit(); !s) return s.error();
  return out;
}

struct Rows {
  std::string mirror_id;
  std::optional<Integration> mirror, base;
};

Result<Rows> rows_of(Store::Txn& txn, const std::string& remote_id) {
  auto renamed = txn.renamed_to(remote_id);
  if (!renamed) return renamed.error();
  Rows r;
  r.mirror_id = renamed->value_or(remote_id);
  auto m = txn.get(Table::mirror, r.mirror_id);
  if (!m) return m.error();
  auto b = txn.get(Table::base, remote_id);
  if (!b) return b.error();
  r.mirror = m.value();
  r.base = b.value();
  return r;
}

Status resolve_all(Store::Txn& txn, const std::string& remote_id, const std::string& resolution) {
  auto open = txn.open_conflicts(remote_id);
  if (!open) return open.error();
  for (const auto& k : open.value())
    if (auto s = txn.resolve_conflict(k.id, resolution); !s) return s;
  return ok_status();
}

Result<std::string> keep_remote(Store::Txn& txn, Outbox& outbox, const Conflict& k, const Rows& rows) {
  const std::string& id = k.integration_id;
  if (k.field == kDeletedRemotely || !rows.base) {
    if (rows.mirror) {
      if (auto s = txn.remove(Table::mirror, rows.mirror_id); !s) return s.error();
      if (auto s = txn.add_history({id, "remote", "delete", "", json::object_json(*rows.mirror), std::nullopt}); !s)
        return s.error();
    }
    if (auto s = outbox.close_all(id, "dropped: kept the remote deletion", ChangeState::superseded); !s) return s.error();
    if (auto s = resolve_all(txn, id, "kept remote"); !s) return s.error();
    return "integration " + id + " removed from the mirror (deleted remotely)";
  }
  if (k.field == kDeletedLocally) {
    if (auto s = outbox.close_all(id, "dropped: kept the remote row", ChangeState::superseded); !s) return s.error();
    if (auto s = txn.upsert(Table::mirror, *rows.base); !s) return s.error();
    if (auto s = txn.add_history({id, "remote", "insert", "", std::nullopt, json::object_json(*rows.base)}); !s) return s.error();
    if (auto s = resolve_all(txn, id, "kept remote"); !s) return s.error();
    return "integration " + id + " is back in the mirror with the API's values";
  }
  if (rows.mirror) {
    Integration row = *rows.mirror;
    row.set(k.field, rows.base->get(k.field));
    if (auto s = txn.upsert(Table::mirror, row); !s) return s.error();
    // The value the mirror takes is a change people should find in the history like any other.
    if (rows.mirror->get(k.field) != row.get(k.field))
      if (auto s = txn.add_history({row.id, "remote", "update", k.field, rows.mirror->get(k.field), row.get(k.field)}); !s)
        return s.error();
  }
  if (auto s = outbox.drop_field(id, k.field); !s) return s.error();
  if (auto s = txn.resolve_conflict(k.id, "kept remote"); !s) return s.error();
  if (auto s = outbox.release(id); !s) return s.error();
  return "integration " + id + " keeps the API's " + k.field;
}

Result<std::string> keep_local(Store::Txn& txn, Outbox& outbox, const Conflict& k, const Rows& rows) {
  const std::string& id = k.integration_id;
  if (k.field == kDeletedRemotely || !rows.base) {
    if (!rows.mirror)
      return make_error(ExitCode::usage, "integration " + id + " is not in the mirror any more; keep remote instead");
    if (auto s = outbox.close_all(id, "superseded: the row is created again", ChangeState::superseded); !s) return s.error();
    if (auto s = resolve_all(txn, id, "kept local"); !s) return s.error();
    if (auto s = outbox.requeue(id, ChangeOp::create, {mutable_fields().begin(), mutable_fields().end()}, ChangeState::pending); !s)
      return s.error();
    return "integration " + id + " will be created again (POST, same id)";
  }
  if (auto s = txn.resolve_conflict(k.id, "kept local"); !s) return s.error();
  if (k.field == kDeletedLocally) {
    if (auto s = outbox.release(id); !s) return s.error();
    return "integration " + id + " will be deleted in the API";
  }
  if (auto s = outbox.requeue(id, ChangeOp::update, {k.field}, ChangeState::pending); !s) return s.error();
  if (auto s = outbox.release(id); !s) return s.error();
  return "integration " + id + " will send its local " + k.field;
}

}  // namespace

Result<long long> Outbox::retry(long long change_id) {
  auto c = find_change(txn_, change_id);
  if (!c) return c.error();
  if (!allowed(Move::retry, c->state, c->sent()))
    return make_error(ExitCode::usage, "change " + std::to_string(change_id) + " is " + std::string(to_string(c->state)) +
                                           ", not failed; only failed changes are retried by hand");
  Change old = c.value();
  if (auto s = move(old, Move::retry, "retried after: " + old.last_error); !s) return s.error();
  if (auto s = requeue(old.integration_id, old.op, fields_of(old), ChangeState::pending); !s) return s.error();
  auto active = txn_.active_changes(old.integration_id);
  if (!active) return active.error();
  for (auto it = active->rbegin(); it != active->rend(); ++it)
    if (!it->sent()) return it->id;
  return make_error(ExitCode::software, "outbox: the retried change of " + old.integration_id + " was not queued");
}

Status Outbox::discard(long long change_id) {
  auto c = find_change(txn_, change_id);
  if (!c) return c.error();
  if (!allowed(Move::discard, c->state, c->sent()))
    return make_error(ExitCode::usage, "change " + std::to_string(change_id) + " is " + std::string(to_string(c->state)) +
                                           (settled(c->state) ? "" : " and may already have reached the API; let the next sync finish it"));
  const std::string id = c->integration_id;
  auto active = txn_.active_changes(id);
  if (!active) return active.error();
  auto rows = rows_of(txn_, id);
  if (!rows) return rows.error();
  auto newer_carries = [&](std::string_view f) {
    return std::any_of(active->begin(), active->end(), [&](const Change& o) {
      return o.id != c->id && o.id > c->id && (o.op != ChangeOp::update || has(json::payload_fields(o.payload), f));
    });
  };
  auto newer_any = std::any_of(active->begin(), active->end(), [&](const Change& o) { return o.id > c->id; });
  if (!rows->base) {  // a create that never reached the API
    if (rows->mirror && !newer_any)
      if (auto s = txn_.remove(Table::mirror, rows->mirror_id); !s) return s;
  } else if (c->op == ChangeOp::remove) {
    if (!rows->mirror)
      if (auto s = txn_.upsert(Table::mirror, *rows->base); !s) return s;
  } else if (rows->mirror) {
    Integration row = *rows->mirror;
    for (const auto& f : fields_of(c.value()))
      if (f != "id" && f != "type" && !newer_carries(f)) row.set(f, rows->base->get(f));
    if (auto s = txn_.upsert(Table::mirror, row); !s) return s;
    if (has(json::payload_fields(c->payload), "id") && !newer_carries("id"))
      if (auto s = txn_.undo_rename(id); !s) return s;
  }
  if (auto s = move(c.value(), Move::discard, "discarded by hand"); !s) return s;
  auto conflicts = txn_.open_conflicts(id);
  if (!conflicts) return conflicts.error();
  auto fields = fields_of(c.value());
  for (const auto& k : conflicts.value()) {
    bool mine = k.change_id == c->id || (k.field.front() == '(' ) || (has(fields, k.field) && !newer_carries(k.field));
    if (mine)
      if (auto s = txn_.resolve_conflict(k.id, "discarded"); !s) return s;
  }
  return release(id);
}

Result<long long> retry_change(Store& store, long long id) {
  return in_txn<long long>(store, [&](Store::Txn& txn) { return Outbox(txn).retry(id); });
}

Status discard_change(Store& store, long long id) {
  auto r = in_txn<Ok>(store, [&](Store::Txn& txn) -> Result<Ok> { return Outbox(txn).discard(id); });
  if (!r) return r.error();
  return ok_status();
}

Result<std::string> resolve_conflict(Store& store, long long id, const std::string& keep) {
  if (keep != "local" && keep != "remote") return make_error(ExitCode::usage, "--keep takes local or remote, not '" + keep + "'");
  return in_txn<std::string>(store, [&](Store::Txn& txn) -> Result<std::string> {
    auto open = txn.conflict_by_id(id);
    if (!open) return open.error();
    if (!open.value() || !open.value()->resolved_at.empty())
      return make_error(ExitCode::usage, "no open conflict " + std::to_string(id));
    auto rows = rows_of(txn, open.value()->integration_id);
    if (!rows) return rows.error();
    Outbox outbox(txn);
    return keep == "remote" ? keep_remote(txn, outbox, **open, rows.value()) : keep_local(txn, outbox, **open, rows.value());
  });
}

}  // namespace gigasync
