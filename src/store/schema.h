#pragma once
// The SQL of each schema version, applied in order by Store::open.
#include <string>
#include <vector>

namespace gigasync::schema {

// The states of an outbox row that is not done, as an SQL list (so that queries use the state index).
inline constexpr const char* kActiveStates = "('pending', 'in_flight', 'failed', 'conflict')";
// The states of a settled outbox row (store.h's ChangeState): kept for the record, then retention.
inline constexpr const char* kSettledStates = "('done', 'superseded', 'discarded')";

// migrations()[i] takes a database from user_version i to i + 1.
const std::vector<std::string>& migrations();

}  // namespace gigasync::schema
