#pragma once
#include <string>
#include <vector>

#include "gigasync/sync.h"
#include "gigasync/layer.h"
GIGASYNC_PRIVATE(sync);

namespace gigasync {

struct PushOutcome {
  long long pushed = 0, failed = 0, conflicts = 0, deferred = 0;
  long long unpushed = 0;         // left pending because the API did not answer after the retries
  long long held_by_guard = 0;    // integrations the outbound guard held (nothing was pushed)
  bool paused = false;            // pushing is paused (nothing was pushed)
  std::vector<std::string> plan;  // dry run only
};

// Sends the outbox: per integration in order, integrations in parallel (api.concurrency).
// `pulled`: the cycle's pull just merged a fresh listing; otherwise each integration is read
// with GET /integrations/:id/ and merged (base, local, remote) before anything is sent, so no write
// leaves without a remote version read in the same cycle.
// Each change is marked in flight with its frozen body before it is sent, so a crash at any point
// resends the same body with the same Idempotency-Key. Errors: auth (stop at once), config (a
// redirect), database; unreachable servers leave changes pending and count in `unpushed`.
Result<PushOutcome> push(const Config& cfg, Store& store, Remote& api, const SyncOptions& options, bool pulled);

}  // namespace gigasync
