#pragma once
// The one way this module parses JSON text: RapidJSON's iterative reader (no recursion on the
// call stack) with a nesting-depth limit, so hostile input can neither overflow the stack here
// nor in the recursive walks that follow (canonical form, copies); numbers correctly rounded, so
// that writing and reading a value again gives the same text.
#include <rapidjson/document.h>

#include <string>
#include <string_view>

#include "gigasync/layer.h"
GIGASYNC_PRIVATE(json);

namespace gigasync::json::detail {

struct ParseOutcome {
  bool ok = true;
  std::string error;  // when !ok: e.g. "Missing a comma ... at byte 17" or "nesting deeper than 64 levels at byte 80"
};

// Parses `text` into `doc` (which is left as an empty document when parsing fails).
ParseOutcome parse_limited(std::string_view text, rapidjson::Document& doc);

}  // namespace gigasync::json::detail
