#pragma once
// One object of a described resource (resource.h), as the mirror stores it.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gigasync/resource.h"
#include "gigasync/layer.h"
GIGASYNC_LAYER(model);

namespace gigasync {

// The values of an object's fields in their SQL form: text as sent, integers in decimal, booleans
// "0"/"1", objects as canonical JSON text (so two records compare equal exactly when their
// content does); null is std::nullopt.
class Record {
 public:
  // An integration: the resource the two-way code (outbox, merge) works on.
  Record();
  explicit Record(const Resource& r);

  const Resource& resource() const { return *resource_; }

  std::string id;
  // The integration it was read under (per_integration resources; "" otherwise).
  std::string scope;
  // Fields the API sent that the documents do not describe, as one canonical JSON object
  // (nullopt when there were none). Kept with the base row, never a column of the mirror; a PUT
  // sends them back as the API last sent them, so a field the API adds is never reset.
  std::optional<std::string> extra;

  // The value of `field` ("id" included), nullopt for null. REQUIRES: a field of the resource.
  std::optional<std::string> get(std::string_view field) const;
  // REQUIRES: a field of the resource.
  void set(std::string_view field, std::optional<std::string> value);
  // By position in resource().fields (the id's position holds nothing: use `id`).
  const std::optional<std::string>& at(std::size_t i) const { return values_[i]; }
  std::optional<std::string>& at(std::size_t i) { return values_[i]; }

  bool operator==(const Record& o) const {
    return resource_ == o.resource_ && id == o.id && scope == o.scope && values_ == o.values_ && extra == o.extra;
  }

 private:
  const Resource* resource_;
  std::vector<std::optional<std::string>> values_;
};

// The names of a resource's fields in the API's order; of those a client may change; of those a
// create or replace must carry.
const std::vector<std::string_view>& field_names(const Resource& r);
const std::vector<std::string_view>& writable_fields(const Resource& r);
const std::vector<std::string_view>& required_fields(const Resource& r);

// A stable 64-bit hash (FNV-1a) of everything but the key: each field in the API's order (nulls
// distinct from ""), then the unknown fields when there are any. Equal content gives an equal
// hash, so an unchanged object is recognised without reading its stored row, and a renamed one by
// its content. REQUIRES: objects in canonical form.
std::int64_t content_hash(const Record& o);

}  // namespace gigasync
