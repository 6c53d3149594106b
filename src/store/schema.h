#pragma once
// The SQL of each schema version, applied in order by Store::open.
#include <SQLiteCpp/SQLiteCpp.h>

#include <cstddef>
#include <string>
#include <vector>

#include "gigasync/layer.h"
GIGASYNC_PRIVATE(store);

namespace gigasync::schema {

// gigasync's own triggers (all no-ops while gigasync_control.applying = 1), as an SQL list. A
// trigger not in it was made by a person, and fires for gigasync's writes too.
std::string own_triggers_sql();

// migrations()[i] takes a database from user_version i to i + 1 ...
const std::vector<std::string>& migrations();
// ... and then, inside the same transaction, what SQL alone can not do for version `version`
// (i + 1): version 7 recomputes the base's content hashes.
void post_migration(std::size_t version, SQLite::Database& db);

}  // namespace gigasync::schema
