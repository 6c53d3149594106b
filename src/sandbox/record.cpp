#include "sandbox/record.h"

#include <utility>

#include "sandbox/json_text.h"

namespace gigasync::sandbox {

Record make_record(const std::string& id, int type) {
  Record r;
  r.id = id;
  r.type = type;
  r.json.fill("null");
  r.json[kId] = quote(id);
  r.json[kType] = std::to_string(type);
  r.json[kMetadata] = "{}";
  return r;
}

void set_text(Record& r, Field f, const std::optional<std::string>& value) {
  r.json[f] = value ? quote(*value) : std::string("null");
}

void append_json(std::string& out, const Record& r) {
  out += '{';
  for (std::size_t f = 0; f < kFieldCount; ++f) {
    if (f) out += ',';
    out += '"';
    out += kFieldNames[f];
    out += "\":";
    out += r.json[f];
  }
  for (const auto& [name, value] : r.extra) {
    out += ',';
    out += quote(name);
    out += ':';
    out += value;
  }
  out += '}';
}

std::string to_json(const Record& r) {
  std::string out;
  append_json(out, r);
  return out;
}

const Record* Store::find(const std::string& id) const {
  auto it = index_.find(id);
  return it == index_.end() ? nullptr : &records_[it->second];
}

void Store::upsert(Record r) {
  auto it = index_.find(r.id);
  if (it != index_.end()) {
    records_[it->second] = std::move(r);
    return;
  }
  index_.emplace(r.id, records_.size());
  records_.push_back(std::move(r));
}

void Store::replace(std::string old_id, Record r) {
  auto it = index_.find(old_id);
  if (it == index_.end()) return upsert(std::move(r));
  std::size_t pos = it->second;
  if (r.id != old_id) {
    index_.erase(it);
    index_.emplace(r.id, pos);
  }
  records_[pos] = std::move(r);
}

bool Store::erase(const std::string& id) {
  auto it = index_.find(id);
  if (it == index_.end()) return false;
  std::size_t pos = it->second;
  index_.erase(it);
  records_.erase(records_.begin() + static_cast<std::ptrdiff_t>(pos));
  for (std::size_t i = pos; i < records_.size(); ++i) index_[records_[i].id] = i;
  return true;
}

std::string all_json(const Store& s) {
  std::string out = "[";
  for (const Record& r : s.all()) {
    if (out.size() > 1) out += ',';
    append_json(out, r);
  }
  return out + "]";
}

}  // namespace gigasync::sandbox
