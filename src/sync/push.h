#pragma once
#include <string>
#include <vector>

#include "gigasync/sync.h"

namespace gigasync {

struct PushOutcome {
  long long pushed = 0, failed = 0, conflicts = 0, deferred = 0;
  std::vector<std::string> plan;  // dry run only
};

// Sends the outbox: per integration in order, integrations in parallel (api.concurrency).
// Each change is marked in flight with its frozen body before it is sent, so a crash at any point
// resends the same body with the same Idempotency-Key. Errors: auth (stop at once), config (a
// redirect), database; unreachable servers leave changes pending and are not an Error.
Result<PushOutcome> push(const Config& cfg, Store& store, ApiClient& api, const SyncOptions& options);

}  // namespace gigasync
