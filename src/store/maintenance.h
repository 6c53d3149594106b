#pragma once
// The retention run after each cycle (Store::maintain), exposed for the test of its query plans.
#include <string>
#include <vector>

#include "gigasync/layer.h"
GIGASYNC_PRIVATE(store);

namespace gigasync::store {

// The DELETEs that drop history, runs, settled changes and resolved conflicts older than
// `keep_history_days` (> 0), in the order they run.
std::vector<std::string> retention_statements(int keep_history_days);

}  // namespace gigasync::store
