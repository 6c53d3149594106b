#pragma once
// What people do with the outbox and conflicts by hand (`changes`, `conflicts`).
#include <string>

#include "gigasync/error.h"
#include "gigasync/store.h"

namespace gigasync {

// Queues a failed change again as a new change with a fresh Idempotency-Key
// (the old key's answer is stored by the API). Returns the new change id.
// Errors: usage when the change does not exist or is not failed.
Result<long long> retry_change(Store& store, long long id);

// Drops a change that can not have reached the API yet (pending and never sent, failed, or held
// by a conflict) and puts the mirror row back to its base. Errors: usage otherwise.
Status discard_change(Store& store, long long id);

// keep = "remote": the mirror takes the API's value and the field leaves the outbox.
// keep = "local": the whole local row is queued as a PUT (or a create when deleted remotely).
// Returns a one-line description of what will happen.
Result<std::string> resolve_conflict(Store& store, long long id, const std::string& keep);

}  // namespace gigasync
