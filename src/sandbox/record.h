#pragma once
// The sandbox's objects: each integration kept as the JSON text of its eleven fields, in
// creation order, with an index by id.
#include <array>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace gigasync::sandbox {

enum Field : std::size_t {
  kId, kName, kType, kLogo, kMetadata, kEmail, kRecipient,
  kAddressLine1, kAddressLine2, kZipCode, kCity, kFieldCount
};
inline constexpr std::array<const char*, kFieldCount> kFieldNames = {
    "id", "name", "type", "logo", "metadata", "email", "recipient",
    "address_line_1", "address_line_2", "zip_code", "city"};

struct Record {
  std::string id;
  int type = 3;
  // Each field's value as JSON text. json[kId] and json[kType] always agree with id and type.
  std::array<std::string, kFieldCount> json;
  // Fields the documents do not describe (`--extra-field`, or put by the admin endpoint), as
  // (name, JSON text), served after the eleven: a field the API may add one day.
  std::vector<std::pair<std::string, std::string>> extra;
};

// A record with this id and type, metadata {} and every other field null.
Record make_record(const std::string& id, int type);
// Sets a field from text: a JSON string, or null when `value` is nullopt.
void set_text(Record& r, Field f, const std::optional<std::string>& value);
// Appends the object as JSON, fields in the API's order.
void append_json(std::string& out, const Record& r);
std::string to_json(const Record& r);

// Objects in creation order. Lookup by id is O(1); erase is O(n).
class Store {
 public:
  const Record* find(const std::string& id) const;
  // Replaces the object with the same id in place, or appends it.
  void upsert(Record r);
  // Replaces the object `old_id` in place (its position kept) with `r`, which may carry a new
  // id: a rename. Appends `r` when there is no `old_id`.
  // REQUIRES: no other object has r.id.
  void replace(std::string old_id, Record r);
  bool erase(const std::string& id);
  const std::vector<Record>& all() const { return records_; }
  std::size_t size() const { return records_.size(); }
  void reserve(std::size_t n) { records_.reserve(n); }

 private:
  std::vector<Record> records_;
  std::unordered_map<std::string, std::size_t> index_;
};

// Every object as a JSON array.
std::string all_json(const Store& s);

}  // namespace gigasync::sandbox
