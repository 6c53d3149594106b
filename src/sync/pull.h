#pragma once
#include <string>
#include <vector>

#include "gigasync/sync.h"
#include "gigasync/layer.h"
GIGASYNC_PRIVATE(sync);

namespace gigasync {

struct PullOutcome {
  long long pages = 0, fetched = 0, inserted = 0, updated = 0, deleted = 0, renamed = 0, conflicts = 0;
  bool deletions_refused = false;
  long long deletions_held = 0;  // how many the guard held (deletions_refused)
  std::vector<std::string> plan;  // dry run only
};

// The pull half of a cycle. Writes nothing until every page is in and validated; then applies all
// changes in one transaction. With options.dry_run, only fills `plan`.
Result<PullOutcome> pull(const Config& cfg, Store& store, ApiClient& api, const SyncOptions& options);

}  // namespace gigasync
