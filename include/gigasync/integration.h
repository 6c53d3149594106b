#pragma once
// The Integration object as the API sends it, and its JSON form.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "gigasync/error.h"

namespace gigasync {

// The eleven fields, in the API's order. Every column of the `integrations` table is one of these.
inline constexpr std::array<std::string_view, 11> kIntegrationFields = {
    "id", "name", "type", "logo", "metadata", "email", "recipient",
    "address_line_1", "address_line_2", "zip_code", "city"};

// The fields a client may change (not id, not type).
inline constexpr std::array<std::string_view, 9> kMutableFields = {
    "name", "logo", "metadata", "email", "recipient",
    "address_line_1", "address_line_2", "zip_code", "city"};

// Fields a create/replace must carry (the seed's "Required: True").
inline constexpr std::array<std::string_view, 6> kRequiredFields = {
    "name", "email", "recipient", "address_line_1", "zip_code", "city"};

// One integration. Text fields are nullopt when the API sent null. `metadata` holds canonical
// JSON text (keys sorted, compact), so two objects compare equal exactly when their content does.
struct Integration {
  std::string id;
  std::optional<std::string> name;
  long long type = 0;
  std::optional<std::string> logo;
  std::optional<std::string> metadata;
  std::optional<std::string> email;
  std::optional<std::string> recipient;
  std::optional<std::string> address_line_1;
  std::optional<std::string> address_line_2;
  std::optional<std::string> zip_code;
  std::optional<std::string> city;
  // Fields the API sent that the documents do not describe, as one canonical JSON object
  // (nullopt when there were none). Kept with the base row only (integration_base.unknown_fields,
  // never a column of `integrations`) and sent back in every PUT, so a field the API adds later
  // is never reset by gigasync.
  std::optional<std::string> extra;

  // The value of `field` as SQL-ish text (type as decimal), nullopt for null.
  // REQUIRES: field is one of kIntegrationFields.
  std::optional<std::string> get(std::string_view field) const;
  // Sets `field` from text (type parsed as decimal). REQUIRES: field is one of kIntegrationFields.
  void set(std::string_view field, std::optional<std::string> value);

  bool operator==(const Integration&) const = default;
};

// A stable 64-bit hash (FNV-1a) of everything but the id: type and the mutable fields, nulls
// distinct from "", and the unknown fields when there are any (so hashes stored before they
// existed stay valid). Equal content gives an equal hash, so an unchanged object is recognised
// without reading its stored row, and a renamed one by its content. REQUIRES: metadata canonical.
std::int64_t content_hash(const Integration& o);

}  // namespace gigasync
