#include "gigasync/integration.h"

#include <cstdlib>

namespace gigasync {
namespace {
using Text = std::optional<std::string>;

// The text fields by name; nullptr for id and type, which are not optional text.
Text* text_field(Integration& o, std::string_view f) {
  if (f == "name") return &o.name;
  if (f == "logo") return &o.logo;
  if (f == "metadata") return &o.metadata;
  if (f == "email") return &o.email;
  if (f == "recipient") return &o.recipient;
  if (f == "address_line_1") return &o.address_line_1;
  if (f == "address_line_2") return &o.address_line_2;
  if (f == "zip_code") return &o.zip_code;
  if (f == "city") return &o.city;
  return nullptr;
}
}  // namespace

std::optional<std::string> Integration::get(std::string_view field) const {
  if (field == "id") return id;
  if (field == "type") return std::to_string(type);
  return *text_field(const_cast<Integration&>(*this), field);
}

void Integration::set(std::string_view field, std::optional<std::string> value) {
  if (field == "id") {
    id = value.value_or("");
  } else if (field == "type") {
    type = value ? std::strtoll(value->c_str(), nullptr, 10) : 0;
  } else {
    *text_field(*this, field) = std::move(value);
  }
}

std::int64_t content_hash(const Integration& o) {
  std::uint64_t h = 14695981039346656037ULL;
  auto mix = [&h](std::string_view bytes) {
    for (unsigned char c : bytes) {
      h ^= c;
      h *= 1099511628211ULL;
    }
  };
  mix(std::to_string(o.type));
  for (auto f : kMutableFields) {
    const Text& v = *text_field(const_cast<Integration&>(o), f);
    mix(v ? std::string_view("\x01") : std::string_view("\x00", 1));
    if (v) mix(*v);
    mix(std::string_view("\x1f"));
  }
  if (o.extra) {
    mix(std::string_view("\x02"));
    mix(*o.extra);
  }
  return static_cast<std::int64_t>(h);
}

}  // namespace gigasync
