#pragma once
// The pull: one listing of a described resource (all its pages), staged, then applied in one
// transaction. The integrations' full list is one listing; each resource of each integration of
// the account is read through a few (sync/account.cpp).
#include <map>
#include <string>
#include <vector>

#include "gigasync/remote.h"
#include "gigasync/sync.h"
#include "gigasync/timestamp.h"
#include "sync/listing.h"
#include "gigasync/layer.h"
GIGASYNC_PRIVATE(sync);

namespace gigasync {

struct PullOutcome {
  long long pages = 0, fetched = 0, inserted = 0, updated = 0, deleted = 0, renamed = 0, conflicts = 0;
  long long unchanged_pages = 0;  // pages recognised by their bytes (not parsed)
  bool deletions_refused = false;
  long long deletions_held = 0;  // how many the guard held (deletions_refused)
  std::vector<std::string> plan;  // dry run only
  // Per event field (Field::event) of the objects read: the newest time seen.
  std::map<std::string, UnixMicros> newest;
  // The ids the listing returned (kept only when asked: the account's unsettled check).
  std::vector<std::string> listed_ids;
};

struct PullSettings {
  bool keep_listed_ids = false;  // fill PullOutcome::listed_ids
};

// Reads `listing` and applies it: new and changed objects are written, and for a complete
// listing, ids missing from a clean pass are proven deleted (a 404 from GET) and removed, within
// the delete guard. A two-way resource's objects with local changes are merged three-way
// (conflicts by policy), and its renames are recognised. Writes nothing until every page is in
// and validated; then applies all changes in one transaction. With options.dry_run, only fills
// `plan`.
Result<PullOutcome> pull_listing(const Config& cfg, Store& store, Remote& api, const Listing& listing,
                                 const SyncOptions& options, const PullSettings& settings = {});

// Objects of a read-only resource read one by one (GET, a webhook's hint): `found` are written
// where they differ, `gone` (404) removed, in one transaction, with history; the page cache of
// `r` under `scope` is forgotten (its base was written outside a complete listing).
Result<PullOutcome> apply_objects(Store& store, const Resource& r, const std::string& scope,
                                  const std::vector<Record>& found, const std::vector<std::string>& gone);

// The integrations' full list.
Result<PullOutcome> pull(const Config& cfg, Store& store, Remote& api, const SyncOptions& options);

}  // namespace gigasync
