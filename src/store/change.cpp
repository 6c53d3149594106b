// The outbox's states and moves (include/gigasync/change.h).
#include "gigasync/change.h"

namespace gigasync {

std::string_view to_string(ChangeOp op) {
  switch (op) {
    case ChangeOp::create: return "create";
    case ChangeOp::update: return "update";
    case ChangeOp::replace: return "replace";
    case ChangeOp::remove: return "delete";
  }
  return "update";
}

std::string_view to_string(ChangeState s) {
  switch (s) {
    case ChangeState::pending: return "pending";
    case ChangeState::in_flight: return "in_flight";
    case ChangeState::done: return "done";
    case ChangeState::failed: return "failed";
    case ChangeState::conflict: return "conflict";
    case ChangeState::superseded: return "superseded";
    case ChangeState::discarded: return "discarded";
  }
  return "failed";
}

std::optional<ChangeOp> change_op_from(std::string_view t) {
  for (auto op : {ChangeOp::create, ChangeOp::update, ChangeOp::replace, ChangeOp::remove})
    if (to_string(op) == t) return op;
  return std::nullopt;
}

std::optional<ChangeState> change_state_from(std::string_view t) {
  for (auto s : {ChangeState::pending, ChangeState::in_flight, ChangeState::done, ChangeState::failed,
                 ChangeState::conflict, ChangeState::superseded, ChangeState::discarded})
    if (to_string(s) == t) return s;
  return std::nullopt;
}

std::string States::sql() const {
  std::string out;
  for (auto s : kChangeStates)
    if (has(s)) out += std::string(out.empty() ? "(" : ", ") + "'" + std::string(to_string(s)) + "'";
  return out.empty() ? "(NULL)" : out + ")";
}

const MoveRule& rule(Move m) {
  for (const auto& r : kMoves)
    if (r.move == m) return r;
  return kMoves[0];  // unreachable: every Move has a row (tests/unit/change_test.cpp checks)
}

bool allowed(Move m, ChangeState state, bool sent) {
  const MoveRule& r = rule(m);
  return r.from.has(state) || (!sent && r.unsent_from.has(state));
}

std::string sql_literal(ChangeState s) { return "'" + std::string(to_string(s)) + "'"; }

std::string sql_may_make(Move m, std::string_view alias) {
  const MoveRule& r = rule(m);
  std::string a(alias);
  std::string out = a + "state IN " + r.from.sql();
  if (!r.unsent_from.empty()) out += " OR (" + a + "state IN " + r.unsent_from.sql() + " AND " + a + "sent_body IS NULL)";
  return "(" + out + ")";
}

}  // namespace gigasync
