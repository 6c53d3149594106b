#include "gigasync/record.h"

#include <array>

namespace gigasync {
namespace {

struct Names {
  std::vector<std::string_view> all, writable, required;
};

// Every description: the mirrored resources, then the webhooks endpoint.
std::vector<const Resource*> described() {
  std::vector<const Resource*> out(all_resources().begin(), all_resources().end());
  out.push_back(&webhooks_resource());
  return out;
}

// Derived once per resource, in the order of described().
const Names& names_of(const Resource& r) {
  static const auto table = [] {
    std::array<Names, 8> out{};
    std::size_t i = 0;
    for (const Resource* res : described()) {
      for (const Field& f : res->fields) {
        out[i].all.push_back(f.name);
        if (f.writable) out[i].writable.push_back(f.name);
        if (f.required) out[i].required.push_back(f.name);
      }
      ++i;
    }
    return out;
  }();
  static const auto order = described();
  for (std::size_t i = 0; i < order.size(); ++i)
    if (order[i] == &r) return table[i];
  return table[0];  // unreachable: every resource is described
}

}  // namespace

Record::Record() : Record(integrations_resource()) {}

Record::Record(const Resource& r) : resource_(&r), values_(r.fields.size()) {}

std::optional<std::string> Record::get(std::string_view field) const {
  if (field == "id") return id;
  return values_[resource_->index_of(field)];
}

void Record::set(std::string_view field, std::optional<std::string> value) {
  if (field == "id") {
    id = value.value_or("");
    return;
  }
  values_[resource_->index_of(field)] = std::move(value);
}

const std::vector<std::string_view>& field_names(const Resource& r) { return names_of(r).all; }
const std::vector<std::string_view>& writable_fields(const Resource& r) { return names_of(r).writable; }
const std::vector<std::string_view>& required_fields(const Resource& r) { return names_of(r).required; }

std::int64_t content_hash(const Record& o) {
  std::uint64_t h = 14695981039346656037ULL;
  auto mix = [&h](std::string_view bytes) {
    for (unsigned char c : bytes) {
      h ^= c;
      h *= 1099511628211ULL;
    }
  };
  const std::size_t id = o.resource().id_index();
  for (std::size_t i = 0; i < o.resource().fields.size(); ++i) {
    if (i == id) continue;
    const auto& v = o.at(i);
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
