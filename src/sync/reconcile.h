#pragma once
// Applying a fresh remote version (or a confirmed remote deletion, or a remote rename) to the mirror
// inside a write transaction: plain copies when there are no local changes, a three-way merge by
// the contract's merge rules, with conflicts handled by policy, when there are.
#include <optional>
#include <set>
#include <string>

#include "gigasync/config.h"
#include "gigasync/outbox.h"
#include "gigasync/store.h"
#include "gigasync/layer.h"
GIGASYNC_PRIVATE(sync);

namespace gigasync {

struct ReconcileCounts {
  long long inserted = 0, updated = 0, deleted = 0, renamed = 0, conflicts = 0;
};

class Reconciler {
 public:
  // REQUIRES: txn has begun. `active` = ids with outbox rows not done (read inside txn).
  Reconciler(Store::Txn& txn, ConflictPolicy policy, std::set<std::string> active)
      : txn_(txn), outbox_(txn), policy_(policy), active_(std::move(active)) {}

  // `base` is the last agreed version (nullopt when new to us).
  Status apply_remote(const std::optional<Integration>& base, const Integration& remote);
  Status apply_remote_delete(const Integration& base);
  // The API renamed `base` to `remote.id` (same other fields): everything follows the new id.
  Status apply_remote_rename(const Integration& base, const Integration& remote);

  const ReconcileCounts& counts() const { return counts_; }

 private:
  Status copy_remote(const std::optional<Integration>& base, const Integration& remote);
  Status merge_remote(const Integration& base, const Integration& remote);
  Status deleted_locally(const Integration& agreed, const Integration& remote);
  Status delete_with_local_changes(const Integration& base);
  Status history_diff(const Integration& before, const Integration& after, const std::vector<std::string>& fields);
  Status conflict(Conflict row, const std::string& why);
  Result<Integration> agreed_base(const Integration& base, const Integration& remote);

  Store::Txn& txn_;
  Outbox outbox_;
  ConflictPolicy policy_;
  std::set<std::string> active_;
  ReconcileCounts counts_;
};

}  // namespace gigasync
