#pragma once
// The SQL of each schema version, applied in order by Store::open.
#include <string>
#include <vector>

namespace gigasync::schema {

// migrations()[i] takes a database from user_version i to i + 1.
const std::vector<std::string>& migrations();

}  // namespace gigasync::schema
