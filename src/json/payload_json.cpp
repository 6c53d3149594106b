// Small edits of outbox payloads (JSON objects of field → value).
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "gigasync/json.h"
#include "json/parse.h"

namespace gigasync::json {
namespace {
rapidjson::Document parse_object(std::string_view text) {
  rapidjson::Document doc;
  if (!detail::parse_limited(text, doc).ok || !doc.IsObject()) doc.SetObject();
  return doc;
}
// Removes every member named `name` (a payload could hold a key twice: found by fuzzing).
void remove_all(rapidjson::Document& doc, const rapidjson::Value& name) {
  while (doc.RemoveMember(name)) {
  }
}
std::string write(const rapidjson::Document& doc) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  doc.Accept(w);
  return std::string(buf.GetString(), buf.GetSize());
}
}  // namespace

std::string payload_without(std::string_view payload, std::string_view field) {
  auto doc = parse_object(payload);
  remove_all(doc, rapidjson::Value(field.data(), static_cast<rapidjson::SizeType>(field.size())));
  return write(doc);
}

std::string payload_with(std::string_view payload, std::string_view field, const std::optional<std::string>& value) {
  auto doc = parse_object(payload);
  auto& alloc = doc.GetAllocator();
  rapidjson::Value key(field.data(), static_cast<rapidjson::SizeType>(field.size()), alloc);
  rapidjson::Value v;
  if (!value) {
    v.SetNull();
  } else if (field == "metadata") {
    rapidjson::Document meta(&alloc);
    if (!detail::parse_limited(*value, meta).ok) v.SetObject(); else v.CopyFrom(meta, alloc);
  } else {
    v.SetString(value->data(), static_cast<rapidjson::SizeType>(value->size()), alloc);
  }
  remove_all(doc, key);
  doc.AddMember(key, v, alloc);
  return write(doc);
}

std::vector<std::string> payload_fields(std::string_view payload) {
  auto doc = parse_object(payload);
  std::vector<std::string> out;
  for (const auto& m : doc.GetObject()) out.emplace_back(m.name.GetString(), m.name.GetStringLength());
  return out;
}

}  // namespace gigasync::json

namespace gigasync::json {
Integration canonical_row(Integration o) {
  if (o.metadata) {
    if (auto c = canonical_object(*o.metadata)) o.metadata = c.value();
  }
  return o;
}
}  // namespace gigasync::json
