#pragma once
// Test shorthand: compare outbox states and ops with the words the database and the CLI use.
#include <string_view>

#include "gigasync/store.h"

namespace gigasync {
inline bool operator==(ChangeState s, std::string_view t) { return to_string(s) == t; }
inline bool operator==(ChangeOp op, std::string_view t) { return to_string(op) == t; }
}  // namespace gigasync
