#pragma once
// The canonical form of JSON values (keys sorted, no spaces) and names of JSON types, shared by
// the files of json/.
#include <rapidjson/document.h>

#include <string>

#include "gigasync/layer.h"
GIGASYNC_PRIVATE(json);

namespace gigasync::json::detail {

// `v` with object keys sorted (of a key written twice only the last counts) and no spaces.
std::string canonical(const rapidjson::Value& v);

// "null", "a boolean", "a number", "a string", "an array", "an object".
const char* type_name(const rapidjson::Value& v);

}  // namespace gigasync::json::detail
