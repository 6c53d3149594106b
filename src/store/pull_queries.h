#pragma once
// The pull's one query per listed object, exposed for the test of its query plan.
#include <string>

#include "gigasync/resource.h"
#include "gigasync/layer.h"
GIGASYNC_PRIVATE(store);

namespace gigasync::store {

// The covering index of a base table: (id, content_hash), or (integration_id, id, content_hash).
std::string base_hash_index(const Resource& r);

// An object's base row as the pull needs it: the rowid (its "seen" bit) and the content hash, read
// from the covering index alone (parameters: the id, or the integration and the id). Without
// INDEXED BY the planner, once PRAGMA optimize had run, chose the primary key's index and then read
// each base row from the table: a pread per object once the base outgrew the page cache (127,000
// of them in a no-op resync of 100,000).
std::string base_lookup_sql(const Resource& r);

}  // namespace gigasync::store
