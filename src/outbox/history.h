#pragma once
// The `integration_changes` rows written when the API takes a local change.
#include <optional>
#include <string>
#include <vector>

#include "gigasync/store.h"
#include "gigasync/layer.h"
GIGASYNC_PRIVATE(outbox);

namespace gigasync {

Status record_local_delete(Store::Txn& txn, const std::string& id, const std::optional<Integration>& old_base);
// An insert (no old base) or one update row per sent field whose value changed.
Status record_local_write(Store::Txn& txn, const std::optional<Integration>& old_base, const Integration& answer,
                          const std::vector<std::string>& sent_fields);

}  // namespace gigasync
