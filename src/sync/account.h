#pragma once
// The account's read-only mirrors: every resource of account.resources (employees, payouts,
// payruns, invoices) of every mirrored integration, read under its Integration-ID.
//
// The API has no updated_at, only event times, so each resource of each integration is read
//  - in full the first time, and again at most account.full_every_s later (or with sync --full):
//    that is what sees deletions and edits that stamp no time;
//  - otherwise incrementally: one listing per event field ({field}_after the newest time of that
//    field seen, less an overlap, so that an equal time at the bound and a late commit are read
//    again whether or not the API includes the bound), the newest objects first for a list without
//    time filters (invoices), and the objects that can still change (Resource::unsettled_queries);
//    an unsettled object of the mirror that none of these returned is read with GET (404: deleted).
// The windows are taken from the API's own times (the newest seen), never from this machine's
// clock, so a clock that steps does not open a gap.
#include <string>
#include <vector>

#include "gigasync/config.h"
#include "gigasync/remote.h"
#include "gigasync/store.h"
#include "gigasync/sync.h"
#include "gigasync/timestamp.h"
#include "gigasync/layer.h"
GIGASYNC_PRIVATE(sync);

namespace gigasync {

// How far before the newest time seen a window starts: long enough for an object committed late,
// and for a bound that the API may or may not include.
inline constexpr UnixMicros kWindowOverlap = 10LL * 60 * 1'000'000;

struct AccountOutcome {
  long long listings = 0, full_listings = 0, pages = 0, fetched = 0;
  long long inserted = 0, updated = 0, deleted = 0;
  long long gets = 0;                 // unsettled objects read one by one
  std::vector<std::string> refused;  // "payouts of integration X: HTTP 403 (...)"
  long long deletions_held = 0;
  std::vector<std::string> plan;     // dry run
  std::map<std::string, ResourceCycle> by_resource;  // per configured resource: read, written
};

// Reads every configured resource of every mirrored integration (full or incremental, as above)
// and applies what changed. A 4XX for one integration's objects is recorded (status names it) and
// the others go on. Errors: auth, unavailable, data, database (the cycle fails).
Result<AccountOutcome> sync_account(const Config& cfg, Store& store, Remote& api, const SyncOptions& options);

// The start of the `field` window: the newest `field` time seen, else the newest time of any of
// the resource's fields (an object stamped later than every time seen was stamped after the last
// read), less kWindowOverlap; nullopt when nothing was seen (the resource needs a full list).
std::optional<UnixMicros> window_start(const std::map<std::string, UnixMicros>& newest, const std::string& field);

// Whether a full list is due: never listed, older than `every_s`, or listed "in the future" (this
// machine's clock stepped back since): then it is due too.
bool full_list_due(const std::optional<UnixMicros>& full_at, UnixMicros now, long long every_s);

}  // namespace gigasync
