#pragma once
// The SQL of each schema version, applied in order by Store::open.
#include <string>
#include <vector>

namespace gigasync::schema {

// The states of an outbox row that is not done, as an SQL list (so that queries use the state index).
inline constexpr const char* kActiveStates = "('pending', 'in_flight', 'failed', 'conflict')";
// The states of a settled outbox row (store.h's ChangeState): kept for the record, then retention.
inline constexpr const char* kSettledStates = "('done', 'superseded', 'discarded')";

// gigasync's own triggers (all on `integrations`, all no-ops while gigasync_control.applying = 1),
// as an SQL list. A trigger not in it was made by a person, and fires for gigasync's writes too.
inline constexpr const char* kOwnTriggers =
    "('integrations_refuse_update', 'integrations_capture_update', 'integrations_refuse_insert', "
    "'integrations_capture_insert', 'integrations_refuse_delete', 'integrations_capture_delete')";

// migrations()[i] takes a database from user_version i to i + 1.
const std::vector<std::string>& migrations();

}  // namespace gigasync::schema
