// Outbox payloads (JSON objects of field -> value): applied to a record, and small edits.
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cstdlib>

#include "gigasync/json.h"
#include "json/canonical.h"
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
// Payloads belong to the two-way resource.
Kind kind_of(std::string_view field) {
  const Field* f = integrations_resource().field(field);
  return f ? f->kind : Kind::text;
}
}  // namespace

Result<std::vector<std::string>> apply_payload(std::string_view payload, Record& obj, bool sent_body) {
  rapidjson::Document doc;
  if (!detail::parse_limited(payload, doc).ok || !doc.IsObject())
    return make_error(ExitCode::data, "payload is not a JSON object");
  std::vector<std::string> fields;
  for (const auto& m : doc.GetObject()) {
    std::string name(m.name.GetString(), m.name.GetStringLength());
    const Field* f = obj.resource().field(name);
    if (!f && sent_body) continue;
    if (!f) return make_error(ExitCode::data, "payload has unknown field '" + name + "'");
    if (f->kind == Kind::object) {
      obj.set(name, m.value.IsNull() ? std::nullopt : std::optional<std::string>(detail::canonical(m.value)));
    } else if (f->kind == Kind::integer) {
      if (!m.value.IsInt64()) return make_error(ExitCode::data, "payload field '" + name + "' is not an integer");
      obj.set(name, std::to_string(m.value.GetInt64()));
    } else if (f->kind == Kind::boolean && m.value.IsBool()) {
      obj.set(name, m.value.GetBool() ? "1" : "0");
    } else if (m.value.IsNull()) {
      obj.set(name, std::nullopt);
    } else if (m.value.IsString()) {
      obj.set(name, std::string(m.value.GetString(), m.value.GetStringLength()));
    } else {
      return make_error(ExitCode::data, "payload field '" + name + "' has a wrong type");
    }
    fields.push_back(std::move(name));
  }
  return fields;
}

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
  const Kind kind = kind_of(field);
  if (!value) {
    v.SetNull();
  } else if (kind == Kind::object) {
    rapidjson::Document meta(&alloc);
    if (!detail::parse_limited(*value, meta).ok) v.SetObject(); else v.CopyFrom(meta, alloc);
  } else if (kind == Kind::integer) {
    v.SetInt64(std::strtoll(value->c_str(), nullptr, 10));
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

Record canonical_row(Record o) {
  const auto& fields = o.resource().fields;
  for (std::size_t i = 0; i < fields.size(); ++i) {
    if (fields[i].kind != Kind::object || !o.at(i)) continue;
    if (auto c = canonical_object(*o.at(i))) o.at(i) = c.value();
  }
  return o;
}

}  // namespace gigasync::json
