#pragma once
// Small JSON writing helpers for the sandbox: compact output, UTF-8 kept as-is (as DRF does).
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <rapidjson/document.h>

namespace gigasync::sandbox {

// `s` as a JSON string literal, quotes included.
std::string quote(std::string_view s);
// `v` as compact JSON text.
std::string to_json_text(const rapidjson::Value& v);
// {"detail":"<message>"}
std::string detail_json(std::string_view message);
// {"non_field_errors":["<message>"]}
std::string non_field_error_json(std::string_view message);
// The Python type name DRF reports for a parsed value: dict, list, str, int, float, bool, NoneType.
const char* python_type_name(const rapidjson::Value& v);
// What Python's str() gives for a number json.loads parsed: an integer's digits, a float's
// repr ("1.5", "100.0", "1e-05", "1e+16"). REQUIRES: v.IsNumber().
std::string python_str(const rapidjson::Value& v);

// Validation errors keyed by field, in the order they were first added:
// {"field":["message", ...], ...}
class FieldErrors {
 public:
  void add(std::string_view field, std::string_view message);
  bool empty() const { return fields_.empty(); }
  bool has(std::string_view field) const;
  std::string to_json() const;

 private:
  std::vector<std::pair<std::string, std::vector<std::string>>> fields_;
};

}  // namespace gigasync::sandbox
