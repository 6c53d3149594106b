#pragma once
// Field validation for create (POST), replace (PUT) and partial update (PATCH), with DRF's
// messages. Errors are collected for every field in one FieldErrors. Text fields follow DRF's
// CharField (numbers taken as their str(), trimmed, at most 255 characters); a different `id`
// on replace or patch is a rename; `type` is read-only and ignored.
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include <rapidjson/document.h>

#include "sandbox/json_text.h"
#include "sandbox/record.h"

namespace gigasync::sandbox {

enum class WriteMode { create, replace, patch };

struct WriteContext {
  WriteMode mode = WriteMode::create;
  const Record* current = nullptr;      // REQUIRED for replace and patch
  const Store* store = nullptr;         // REQUIRED (id uniqueness)
  std::string_view origin;              // "http://host:port", for logo URLs
  std::function<std::string()> new_id;  // REQUIRED for create: the default id
  const std::vector<std::string>* extra_fields = nullptr;  // State::extra_fields (writable, default "")
};

struct WriteResult {
  Record record;       // what the write would store (meaningful when errors is empty)
  FieldErrors errors;  // non-empty = refused with 400
};

// REQUIRES: body is a JSON object.
WriteResult build_record(const rapidjson::Value& body, const WriteContext& ctx);

// x@y.z with one '@', no whitespace, and a dot inside the domain.
bool looks_like_email(std::string_view s);

}  // namespace gigasync::sandbox
