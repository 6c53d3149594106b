#pragma once
// The pull's one query per listed object, exposed for the test of its query plan.

namespace gigasync::store {

// An object's base row as the pull needs it: the rowid (its "seen" bit) and the content hash, read
// from the covering index alone. Without INDEXED BY the planner, once PRAGMA optimize had run,
// chose the primary key's index and then read each base row from the table: a pread per object
// once the base outgrew the page cache (127,000 of them in a no-op resync of 100,000).
inline constexpr const char* kBaseLookup =
    "SELECT rowid, content_hash FROM main.integration_base INDEXED BY integration_base_by_id_hash WHERE id = ?";

}  // namespace gigasync::store
