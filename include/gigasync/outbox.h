#pragma once
// The outbox (`pending_changes`): the one owner of a local change's life. Nothing else moves a
// change between states; push, reconcile and the CLI call the moves below, inside a Store::Txn.
//
// Capture is done by the database itself (the triggers in store/schema.cpp), so that edits from any
// SQLite client are recorded: an edit folds into the integration's newest change that was never sent
// (pending or held), or starts a new pending one; a failed change is superseded by the next edit of
// its row, which carries its fields. Bodies are not taken from the captured values: a change is a
// set of fields; what is sent is computed at claim time from the mirror and its base (after the
// remote version read in the same cycle was merged in), so the newest local value always wins, an
// undone edit sends nothing, and a PUT never carries a stale field.
//
// The states and every move between them, the triggers' moves included, are one table: kMoves in
// include/gigasync/change.h. Outbox::move is the only code that writes a state, and it checks each
// move against that table; the capture triggers build their SQL from the same rows.
// "requeue" folds the fields into the integration's unsent change, or makes one (a new key).
// A body, once frozen, is never changed: the Idempotency-Key always goes with the same request.
#include <optional>
#include <string>
#include <vector>

#include "gigasync/error.h"
#include "gigasync/store.h"
#include "gigasync/layer.h"
GIGASYNC_LAYER(outbox);

namespace gigasync {

// What a claimed change sends.
struct Claim {
  Change change;             // state in_flight, sent_body frozen
  std::string method;        // POST | PATCH | PUT | DELETE
  bool to_collection = false;  // POST goes to /integrations/, the rest to /integrations/<integration_id>/
};

class Outbox {
 public:
  // REQUIRES: txn has begun.
  explicit Outbox(Store::Txn& txn) : txn_(txn) {}

  // The next change of `remote_id` to send, moved to in_flight and committed by the caller before
  // the request goes out. Changes with nothing left to send are closed on the way. nullopt when
  // nothing can go now (nothing pending, or held, or failed first in line).
  Result<std::optional<Claim>> claim(const std::string& remote_id);

  // The answers. `answer` is the API's object (nullopt for DELETE).
  Status settle(Change c, const std::optional<Integration>& answer);
  Status fail(Change c, const std::string& why);
  Status unsettle(Change c, const std::string& why);

  // Every active change of the integration waits (state conflict) / goes back to pending when it
  // has no open conflict left. A held change that was already sent is abandoned and its fields
  // requeued: its frozen body was made before the conflict.
  Status hold(const std::string& remote_id, const std::string& why);
  Status release(const std::string& remote_id);
  // The remote won `field`: it leaves the unsent changes; a sent change carrying it is abandoned.
  Status drop_field(const std::string& remote_id, const std::string& field);
  // Every sent change abandoned (superseded; its fields requeued under a new key).
  Status abandon_sent(const std::string& remote_id, const std::string& why);
  // Every active change done (both sides agree, or the row is gone on both sides).
  Status close_all(const std::string& remote_id, const std::string& why, ChangeState how);
  // Abandons every sent change and leaves one unsent change of `op` with `fields` (folded in).
  Status requeue(const std::string& remote_id, ChangeOp op, const std::vector<std::string>& fields, ChangeState state);

  // By hand. Errors: usage when the change does not exist or is in a state that does not allow it.
  Result<long long> retry(long long change_id);
  Status discard(long long change_id);

 private:
  // The one place a change's state is written: checks the move against kMoves (change.h), sets
  // the state it leads to and `why` as last_error. Error(software) for a move the table forbids.
  Status move(Change c, Move m, std::string why);
  Status abandon(Change c, const std::string& why);
  Result<std::optional<Claim>> freeze(Change c, const std::string& remote_id);
  Store::Txn& txn_;
};

// `changes retry ID`: queues a failed change again (a new Idempotency-Key; the old key's answer is
// stored by the API). Returns the id of the change that will carry it.
Result<long long> retry_change(Store& store, long long id);

// `changes discard ID`: drops a change that can not have reached the API (pending and never sent,
// failed, or held); its fields go back to the base where no newer pending change carries them.
Status discard_change(Store& store, long long id);

// `conflicts resolve ID --keep local|remote`. remote: the mirror takes the API's value of that
// field (a remote deletion removes the row; a local deletion is undone with the remote values);
// local: the local value is sent with the other pending local fields (a remote deletion is undone
// by creating the row again; a local deletion is sent). Returns a one-line description.
Result<std::string> resolve_conflict(Store& store, long long id, const std::string& keep);

}  // namespace gigasync
