#pragma once
// Applying a fresh remote version (or a confirmed remote deletion) to the mirror inside a write
// transaction: plain copies when there are no local changes, a three-way merge with conflict
// handling by policy when there are.
#include <optional>
#include <set>
#include <string>

#include "gigasync/config.h"
#include "gigasync/store.h"

namespace gigasync {

struct ReconcileCounts {
  long long inserted = 0, updated = 0, deleted = 0, conflicts = 0;
};

class Reconciler {
 public:
  // REQUIRES: txn has begun. `active` = ids with outbox rows not done (read inside txn).
  Reconciler(Store::Txn& txn, ConflictPolicy policy, std::set<std::string> active)
      : txn_(txn), policy_(policy), active_(std::move(active)) {}

  // `base` is the last agreed version (nullopt when new to us).
  Status apply_remote(const std::optional<Integration>& base, const Integration& remote);
  Status apply_remote_delete(const Integration& base);

  const ReconcileCounts& counts() const { return counts_; }

 private:
  Status copy_remote(const std::optional<Integration>& base, const Integration& remote);
  Status merge_remote(const Integration& base, const Integration& remote);
  Status delete_with_local_changes(const Integration& base);
  Status history_diff(const Integration& before, const Integration& after, const std::vector<std::string>& fields);
  Status hold_changes(const std::string& id, const std::string& field, const std::string& why);
  Status strip_field(const std::string& id, const std::string& field, const std::optional<std::string>& remote_value);
  Status close_changes(const std::string& id, const std::string& why);

  Store::Txn& txn_;
  ConflictPolicy policy_;
  std::set<std::string> active_;
  ReconcileCounts counts_;
};

// Ids with outbox rows that are not done. REQUIRES: inside a transaction for a consistent view.
Result<std::set<std::string>> active_change_ids(Store::Txn& txn);

// Whole-object JSON for history and conflict rows.
std::string object_json(const Integration& o);

}  // namespace gigasync
