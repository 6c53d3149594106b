#pragma once
// A local change in the outbox (`pending_changes`): what it asks of the API, the states it goes
// through, and every move between them, written once. The outbox (outbox.h) makes every move of
// its own through this table, and the capture triggers (store/schema.cpp) take their state lists
// from it, so the database and the code can not disagree on what a move may do.
#include <array>
#include <optional>
#include <string>
#include <string_view>

#include "gigasync/layer.h"
GIGASYNC_LAYER(store);

namespace gigasync {

// What a change asks of the API.
enum class ChangeOp { create, update, replace, remove };  // remove is "delete" in SQL

// Active: pending, in_flight, failed, conflict. Settled: done (the API took it, or already had its
// values), superseded (a newer change, a local deletion or a conflict resolution made it moot; it
// was not applied as it stood), discarded (`changes discard`: never applied).
enum class ChangeState : unsigned { pending, in_flight, done, failed, conflict, superseded, discarded };
inline constexpr std::array<ChangeState, 7> kChangeStates = {
    ChangeState::pending,  ChangeState::in_flight,  ChangeState::done,     ChangeState::failed,
    ChangeState::conflict, ChangeState::superseded, ChangeState::discarded};

std::string_view to_string(ChangeOp op);    // create | update | replace | delete
std::string_view to_string(ChangeState s);  // pending | in_flight | done | failed | conflict | superseded | discarded
std::optional<ChangeOp> change_op_from(std::string_view text);
std::optional<ChangeState> change_state_from(std::string_view text);

// A set of states.
class States {
 public:
  constexpr States() = default;
  constexpr States(std::initializer_list<ChangeState> states) {
    for (auto s : states) bits_ |= bit(s);
  }
  constexpr bool has(ChangeState s) const { return (bits_ & bit(s)) != 0; }
  constexpr bool empty() const { return bits_ == 0; }
  // As an SQL list for IN, e.g. ('pending', 'failed'); "(NULL)" when empty.
  std::string sql() const;

 private:
  static constexpr unsigned bit(ChangeState s) { return 1u << static_cast<unsigned>(s); }
  unsigned bits_ = 0;
};

inline constexpr States kActiveStates = {ChangeState::pending, ChangeState::in_flight, ChangeState::failed,
                                         ChangeState::conflict};
// An integration's oldest active change is sent when it is in one of these (in_flight: sent before,
// no answer recorded; it goes again with its frozen body and key).
inline constexpr States kSendableStates = {ChangeState::pending, ChangeState::in_flight};
inline constexpr States kSettledStates = {ChangeState::done, ChangeState::superseded, ChangeState::discarded};
inline bool settled(ChangeState s) { return kSettledStates.has(s); }

// The moves. A change may make a move from the states in `from`, or, when it was never sent (no
// frozen body), also from those in `unsent_from`.
enum class Move {
  capture,             // trigger: a local INSERT/UPDATE/DELETE made a new change
  edited_again,        // trigger: a refused change's row was edited again (the edit carries its fields)
  replaced_locally,    // trigger: INSERT OR REPLACE of the row (the new change carries everything)
  deleted_locally,     // trigger: DELETE of the row (the new delete change replaces it)
  claim,               // push: the body is frozen (once) and the request goes out
  settle,              // push: 2XX (or 404 to a DELETE)
  fail,                // push: 4XX, or a 2XX whose body is unreadable
  unsettle,            // push: no answer after the retries; the same body and key go again later
  close,               // nothing left to send: the API has these values, or the row is gone on both sides
  drop,                // made moot: the API's version was kept (a policy or a resolution), or the row left
  hold,                // an open conflict on the integration
  release,             // the last open conflict was resolved
  abandon,             // a frozen body may no longer be sent; its fields are queued again (new key)
  retry,               // `changes retry`: queued again under a new key
  discard,             // `changes discard`
  drop_field,          // the API's value of a field was kept and nothing else is left to send
};

struct MoveRule {
  Move move;
  std::string_view name;
  States from;
  States unsent_from;
  ChangeState to;
  std::string_view by;    // who makes it: trigger | push | pull | by hand
};

inline constexpr MoveRule kMoves[] = {
    {Move::capture, "capture", {}, {}, ChangeState::pending, "trigger"},
    {Move::edited_again, "edited again", {ChangeState::failed}, {}, ChangeState::superseded, "trigger"},
    {Move::replaced_locally, "replaced locally", {ChangeState::failed}, {ChangeState::pending, ChangeState::conflict},
     ChangeState::superseded, "trigger"},
    {Move::deleted_locally, "deleted locally", {ChangeState::failed, ChangeState::conflict}, {ChangeState::pending},
     ChangeState::superseded, "trigger"},
    {Move::claim, "claim", {ChangeState::pending, ChangeState::in_flight}, {}, ChangeState::in_flight, "push"},
    {Move::settle, "settle", {ChangeState::in_flight}, {}, ChangeState::done, "push"},
    {Move::fail, "fail", {ChangeState::in_flight}, {}, ChangeState::failed, "push"},
    {Move::unsettle, "unsettle", {ChangeState::in_flight}, {}, ChangeState::pending, "push"},
    {Move::close, "close", kActiveStates, {}, ChangeState::done, "push, pull"},
    {Move::drop, "drop", kActiveStates, {}, ChangeState::superseded, "push, pull, by hand"},
    {Move::hold, "hold", {ChangeState::pending, ChangeState::in_flight}, {}, ChangeState::conflict, "pull, push"},
    {Move::release, "release", {}, {ChangeState::conflict}, ChangeState::pending, "by hand, pull"},
    {Move::abandon, "abandon", kActiveStates, {}, ChangeState::superseded, "pull, push, by hand"},
    {Move::retry, "retry", {ChangeState::failed}, {}, ChangeState::superseded, "by hand"},
    {Move::discard, "discard", {ChangeState::failed, ChangeState::conflict}, {ChangeState::pending},
     ChangeState::discarded, "by hand"},
    {Move::drop_field, "drop field", {ChangeState::pending, ChangeState::conflict, ChangeState::in_flight,
                                      ChangeState::failed}, {}, ChangeState::superseded, "pull, by hand"},
};

// The rule of `m`.
const MoveRule& rule(Move m);
// Whether a change in `state` (sent or not) may make move `m`.
bool allowed(Move m, ChangeState state, bool sent);
// The state as an SQL string literal, e.g. 'pending'.
std::string sql_literal(ChangeState s);
// An SQL condition that holds for a `pending_changes` row (columns prefixed with `alias`, e.g. "p.")
// that may make move `m`.
std::string sql_may_make(Move m, std::string_view alias = "");

// One outbox row.
struct Change {
  long long id = 0;
  std::string integration_id;  // the id the API knows the integration by (before a local rename is pushed)
  ChangeOp op = ChangeOp::update;
  ChangeState state = ChangeState::pending;
  std::string payload = "{}";  // the fields the user changed, with their values when captured
  std::string base = "{}";     // the row before the change (for `changes show`)
  std::string idempotency_key, last_error, created_at, updated_at;
  std::optional<std::string> sent_body;  // frozen before the first send; never changed afterwards
  long long attempts = 0;
  bool sent() const { return sent_body.has_value(); }
};

}  // namespace gigasync
