// The outbox state machine: every move of a change between states (see the table in outbox.h).
#include "gigasync/outbox.h"

#include <algorithm>

#include "gigasync/json.h"
#include "outbox/history.h"

namespace gigasync {
namespace {

bool is_url(const std::optional<std::string>& v) {
  return v && (v->rfind("http://", 0) == 0 || v->rfind("https://", 0) == 0);
}

bool whole_row(ChangeOp op) { return op != ChangeOp::update; }

// The fields a change concerns ("id" for a rename; every mutable field for a whole-row op).
std::vector<std::string> fields_of(const Change& c) {
  if (whole_row(c.op)) return {mutable_fields().begin(), mutable_fields().end()};
  auto out = json::payload_fields(c.payload);
  std::erase(out, "type");
  return out;
}

bool has(const std::vector<std::string>& v, std::string_view f) { return std::find(v.begin(), v.end(), f) != v.end(); }

bool carries(const Change& c, std::string_view f) {
  if (c.sent() && has(json::payload_fields(*c.sent_body), f)) return true;
  return has(fields_of(c), f);
}

const char* method_for(ChangeOp op) {
  switch (op) {
    case ChangeOp::create: return "POST";
    case ChangeOp::update: return "PATCH";
    case ChangeOp::replace: return "PUT";
    case ChangeOp::remove: return "DELETE";
  }
  return "PATCH";
}

// Folding ops: a whole-row op absorbs an update; a delete stays a delete.
ChangeOp combine(ChangeOp unsent, ChangeOp more) {
  if (unsent == ChangeOp::remove || more == ChangeOp::remove) return ChangeOp::remove;
  if (unsent == ChangeOp::update) return more;
  return unsent;
}

std::string payload_of(const std::vector<std::string>& fields, std::string payload, const std::optional<Integration>& row) {
  for (const auto& f : fields) {
    if (has(json::payload_fields(payload), f)) continue;
    payload = json::payload_with(payload, f, row ? row->get(f) : std::nullopt);
  }
  return payload;
}

}  // namespace

Result<std::optional<Claim>> Outbox::claim(const std::string& remote_id) {
  for (int guard = 0; guard < 64; ++guard) {
    auto changes = txn_.active_changes(remote_id);
    if (!changes) return changes.error();
    if (changes->empty()) return std::optional<Claim>{};
    Change c = changes->front();
    if (!kSendableStates.has(c.state)) return std::optional<Claim>{};  // held or refused first in line
    auto open = txn_.open_conflicts(remote_id);
    if (!open) return open.error();
    if (!open->empty()) {
      if (auto s = hold(remote_id, "held: conflict on " + open->front().field); !s) return s.error();
      return std::optional<Claim>{};
    }
    if (c.sent()) {  // sent before and not answered: the same body and key again
      c.attempts++;
      if (auto s = move(c, Move::claim, c.last_error); !s) return s.error();
      c.state = rule(Move::claim).to;
      return std::optional<Claim>(Claim{c, method_for(c.op), c.op == ChangeOp::create});
    }
    auto frozen = freeze(c, remote_id);
    if (!frozen || frozen.value()) return frozen;
  }
  return make_error(ExitCode::software, "outbox: could not find the next change of " + remote_id);
}

// Computes the body of an unsent change from the mirror and its base, and freezes it. nullopt when
// the change was closed instead (nothing to send).
Result<std::optional<Claim>> Outbox::freeze(Change c, const std::string& remote_id) {
  auto renamed = txn_.renamed_to(remote_id);
  if (!renamed) return renamed.error();
  auto mirror = txn_.get(Table::mirror, renamed->value_or(remote_id));
  if (!mirror) return mirror.error();
  auto base = txn_.get(Table::base, remote_id);
  if (!base) return base.error();
  auto close = [&](const std::string& why, Move how = Move::close) -> Result<std::optional<Claim>> {
    if (auto s = move(c, how, why); !s) return s.error();
    return std::optional<Claim>{};
  };
  std::vector<std::string_view> fields;
  Integration m;
  if (c.op == ChangeOp::remove) {
    if (!base.value()) return close("nothing to delete: the API does not have it");
  } else if (!mirror.value()) {
    return close("dropped: the row is no longer in the mirror", Move::drop);
  } else {
    m = json::canonical_row(**mirror);
    if (!(m == **mirror))
      if (auto s = txn_.upsert(Table::mirror, m); !s) return s.error();
    if (!base.value()) {
      c.op = ChangeOp::create;
      fields.push_back("id");
      for (auto f : mutable_fields())
        if (!(f == "logo" && is_url(m.get("logo")))) fields.push_back(f);
    } else {
      const Integration& b = **base;
      bool renamed_here = m.id != remote_id;
      std::vector<std::string_view> dirty;
      for (auto f : mutable_fields())
        if (m.get(f) != b.get(f)) dirty.push_back(f);
      if (dirty.empty() && !renamed_here) return close("nothing to send: the API already has these values");
      if (renamed_here) fields.push_back("id");
      // A logo is written as base64 and read back as a URL: a PUT can not keep a stored logo (an
      // omitted logo is reset to null), so a replace that keeps one is sent as a PATCH of the fields
      // that differ, which leaves the API with the same merged object.
      bool keeps_logo = is_url(m.get("logo")) && m.get("logo") == b.get("logo");
      if (c.op == ChangeOp::update || keeps_logo) {
        c.op = ChangeOp::update;
        fields.insert(fields.end(), dirty.begin(), dirty.end());
      } else {
        c.op = ChangeOp::replace;  // the merged object: local changes and the remote's other changes
        for (auto f : mutable_fields()) fields.push_back(f);
      }
    }
  }
  c.sent_body = c.op == ChangeOp::remove ? "" : json::object_body(m, fields);
  // A PUT replaces the whole object: fields the API added that gigasync does not know go back as
  // the API last sent them, so they are never reset.
  if (c.op == ChangeOp::replace && base.value()) c.sent_body = json::with_unknown_fields(*c.sent_body, (*base)->extra);
  c.attempts++;
  if (auto s = move(c, Move::claim, ""); !s) return s.error();
  c.state = rule(Move::claim).to;
  c.last_error.clear();
  return std::optional<Claim>(Claim{c, method_for(c.op), c.op == ChangeOp::create});
}

Status Outbox::settle(Change c, const std::optional<Integration>& answer) {
  if (auto s = move(c, Move::settle, c.last_error); !s) return s;
  const std::string remote_id = c.integration_id;
  auto old_base = txn_.get(Table::base, remote_id);
  if (!old_base) return old_base.error();
  if (c.op == ChangeOp::remove || !answer) {
    if (auto s = txn_.remove(Table::base, remote_id); !s) return s;
    return record_local_delete(txn_, remote_id, old_base.value());
  }
  const Integration& a = *answer;
  if (a.id != remote_id)
    if (auto s = txn_.follow_rename(remote_id, a.id, false); !s) return s;
  auto mirror = txn_.get(Table::mirror, a.id);
  if (!mirror) return mirror.error();
  if (mirror.value()) {
    // The base as it is now agreed: the old base with what was sent. A mirror field still equal to
    // it takes the API's answer (e.g. a logo URL); one edited since the send keeps the newer value.
    Integration agreed = old_base.value().value_or(a);
    auto sent = json::apply_payload(*c.sent_body, agreed, true);
    if (!sent) return sent.error();
    Integration m = json::canonical_row(**mirror);
    Integration merged = m;
    for (auto f : mutable_fields()) {
      bool unsent = !has(sent.value(), f);
      if (m.get(f) == agreed.get(f) || (!old_base.value() && unsent)) merged.set(f, a.get(f));
    }
    merged.set("type", a.get("type"));
    if (!(merged == **mirror))
      if (auto s = txn_.upsert(Table::mirror, merged); !s) return s;
  }
  if (auto s = txn_.upsert(Table::base, a); !s) return s;
  return record_local_write(txn_, old_base.value(), a, json::payload_fields(*c.sent_body));
}

Status Outbox::fail(Change c, const std::string& why) { return move(c, Move::fail, why); }

Status Outbox::unsettle(Change c, const std::string& why) { return move(c, Move::unsettle, why); }

Status Outbox::move(Change c, Move m, std::string why) {
  if (!allowed(m, c.state, c.sent()))
    return make_error(ExitCode::software, "outbox: change " + std::to_string(c.id) + " (" + std::string(to_string(c.state)) +
                                              (c.sent() ? ", sent" : "") + ") can not make the move '" +
                                              std::string(rule(m).name) + "' (see include/gigasync/change.h)");
  c.state = rule(m).to;
  c.last_error = std::move(why);
  return txn_.write_change(c);
}

Status Outbox::hold(const std::string& remote_id, const std::string& why) {
  auto changes = txn_.active_changes(remote_id);
  if (!changes) return changes.error();
  for (auto c : changes.value()) {
    if (!allowed(Move::hold, c.state, c.sent())) continue;
    if (auto s = move(c, Move::hold, why); !s) return s;
  }
  return ok_status();
}

Status Outbox::release(const std::string& remote_id) {
  auto open = txn_.open_conflicts(remote_id);
  if (!open) return open.error();
  if (!open->empty()) return ok_status();
  auto changes = txn_.active_changes(remote_id);
  if (!changes) return changes.error();
  for (auto c : changes.value()) {
    if (c.state != ChangeState::conflict) continue;
    if (c.sent()) {
      if (auto s = abandon(c, "its body was made before a conflict"); !s) return s;
      continue;
    }
    if (auto s = move(c, Move::release, ""); !s) return s;
  }
  return ok_status();
}

Status Outbox::drop_field(const std::string& remote_id, const std::string& field) {
  auto changes = txn_.active_changes(remote_id);
  if (!changes) return changes.error();
  for (auto c : changes.value()) {
    if (c.op == ChangeOp::remove || !carries(c, field)) continue;
    if (c.sent()) {
      if (auto s = move(c, Move::abandon, "abandoned: the API's " + field + " was kept; the rest is queued again"); !s)
        return s;
      auto rest = fields_of(c);
      std::erase(rest, field);
      if (!rest.empty())
        if (auto s = requeue(remote_id, c.op, rest, ChangeState::pending); !s) return s;
      continue;
    }
    if (whole_row(c.op)) continue;  // its body is made from the mirror, which now has the API's value
    c.payload = json::payload_without(c.payload, field);
    if (json::payload_fields(c.payload).empty()) {
      if (auto s = move(c, Move::drop_field, "nothing left to send: the API's " + field + " was kept"); !s) return s;
      continue;
    }
    if (auto s = txn_.write_change(c); !s) return s;  // fewer fields, same state
  }
  return ok_status();
}

Status Outbox::abandon_sent(const std::string& remote_id, const std::string& why) {
  auto changes = txn_.active_changes(remote_id);
  if (!changes) return changes.error();
  for (const auto& c : changes.value())
    if (c.sent())
      if (auto s = abandon(c, why); !s) return s;
  return ok_status();
}

Status Outbox::close_all(const std::string& remote_id, const std::string& why, ChangeState how) {
  if (how != rule(Move::close).to && how != rule(Move::drop).to)
    return make_error(ExitCode::software, "outbox: close_all takes done or superseded");
  auto changes = txn_.active_changes(remote_id);
  if (!changes) return changes.error();
  for (const auto& c : changes.value())
    if (auto s = move(c, how == rule(Move::close).to ? Move::close : Move::drop, why); !s) return s;
  return ok_status();
}

Status Outbox::requeue(const std::string& remote_id, ChangeOp op, const std::vector<std::string>& fields,
                       ChangeState state) {
  auto changes = txn_.active_changes(remote_id);
  if (!changes) return changes.error();
  auto renamed = txn_.renamed_to(remote_id);
  if (!renamed) return renamed.error();
  auto mirror = txn_.get(Table::mirror, renamed->value_or(remote_id));
  if (!mirror) return mirror.error();
  std::vector<std::string> wanted = fields;
  if (renamed->has_value()) wanted.push_back("id");
  for (auto it = changes->rbegin(); it != changes->rend(); ++it) {
    Change c = *it;
    if (c.sent() || (c.state != ChangeState::pending && c.state != ChangeState::conflict)) continue;
    c.op = combine(c.op, op);
    c.payload = payload_of(wanted, c.payload, mirror.value());
    if (state == ChangeState::conflict && c.state != ChangeState::conflict) return move(c, Move::hold, c.last_error);
    return txn_.write_change(c);  // more fields, same state
  }
  auto base = txn_.get(Table::base, remote_id);
  if (!base) return base.error();
  std::string before = base.value() ? json::object_body(*base.value(), {integration_fields().begin(), integration_fields().end()}) : "{}";
  // A new change (the capture move), held at once when a conflict is open.
  if (state != rule(Move::capture).to && state != rule(Move::hold).to)
    return make_error(ExitCode::software, "outbox: a requeued change starts pending or held");
  auto fresh = txn_.insert_change(remote_id, op, payload_of(wanted, "{}", mirror.value()), before, state);
  if (!fresh) return fresh.error();
  return ok_status();
}

Status Outbox::abandon(Change c, const std::string& why) {
  if (auto s = move(c, Move::abandon, "abandoned: " + why + "; queued again under a new key"); !s) return s;
  auto open = txn_.open_conflicts(c.integration_id);
  if (!open) return open.error();
  return requeue(c.integration_id, c.op, fields_of(c), open->empty() ? ChangeState::pending : ChangeState::conflict);
}

}  // namespace gigasync
