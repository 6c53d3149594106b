#pragma once
// Test support: an API object (rapidjson) and a mirror row compared value by value, as the
// product contract says the mirror keeps them.
#include <rapidjson/document.h>

#include <map>
#include <optional>
#include <string>

namespace gigasync::test {

rapidjson::Document parse_json(const std::string& text);
std::string write_json(const rapidjson::Value& v);
// Objects with their keys sorted, recursively, no spaces: two spellings of one value compare equal.
std::string canonical(const rapidjson::Value& v);

// A value as the mirror keeps it (product-contract.md): strings as they are, booleans 0/1,
// integers in decimal, objects and lists as JSON (compared canonically), null as NULL.
struct Cell {
  std::optional<std::string> text;
  bool json = false;
  bool operator==(const Cell& o) const { return text == o.text; }
};
using Row = std::map<std::string, Cell>;  // column -> value
using Rows = std::map<std::string, Row>;  // id -> row

Cell cell_of(const rapidjson::Value& v);
std::string show(const Cell& c);  // "\"text\"" or NULL

}  // namespace gigasync::test
