// Validation of the API's JSON with RapidJSON. Messages name where and which field.
#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>

#include "gigasync/json.h"
#include "json/parse.h"

namespace gigasync::json {
namespace {

using rapidjson::Value;

Error data_error(std::string_view where, const std::string& what) {
  return make_error(ExitCode::data, std::string(where) + ": " + what);
}

const char* type_name(const Value& v) {
  if (v.IsNull()) return "null";
  if (v.IsBool()) return "a boolean";
  if (v.IsNumber()) return "a number";
  if (v.IsString()) return "a string";
  if (v.IsArray()) return "an array";
  return "an object";
}

void write_canonical(const Value& v, rapidjson::Writer<rapidjson::StringBuffer>& w) {
  if (v.IsObject()) {
    std::vector<const Value::Member*> members;
    for (const auto& m : v.GetObject()) members.push_back(&m);
    auto name = [](const Value::Member* m) { return std::string_view(m->name.GetString(), m->name.GetStringLength()); };
    // Stable, and of a key written twice only the last counts (as the API's JSON reader does):
    // found by fuzzing, an unstable sort made the canonical form of such metadata change.
    std::stable_sort(members.begin(), members.end(), [&](auto* a, auto* b) { return name(a) < name(b); });
    w.StartObject();
    for (size_t i = 0; i < members.size(); ++i) {
      if (i + 1 < members.size() && name(members[i]) == name(members[i + 1])) continue;
      w.Key(members[i]->name.GetString(), members[i]->name.GetStringLength());
      write_canonical(members[i]->value, w);
    }
    w.EndObject();
  } else if (v.IsArray()) {
    w.StartArray();
    for (const auto& e : v.GetArray()) write_canonical(e, w);
    w.EndArray();
  } else {
    v.Accept(w);
  }
}

std::string canonical(const Value& v) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  write_canonical(v, w);
  return std::string(buf.GetString(), buf.GetSize());
}

bool documented(std::string_view name) {
  return std::find(kIntegrationFields.begin(), kIntegrationFields.end(), name) != kIntegrationFields.end();
}

// The members of `obj` that are not documented fields, as one canonical object; nullopt when none.
std::optional<std::string> unknown_fields(const Value& obj) {
  rapidjson::Document extra;
  extra.SetObject();
  for (const auto& m : obj.GetObject()) {
    if (documented({m.name.GetString(), m.name.GetStringLength()})) continue;
    extra.AddMember(Value(m.name, extra.GetAllocator()), Value(m.value, extra.GetAllocator()), extra.GetAllocator());
  }
  if (extra.MemberCount() == 0) return std::nullopt;
  return canonical(extra);
}

// Reads a string-or-null field into `out`. `required_string`: null is refused too.
Status read_text(const Value& obj, const char* field, bool required_string, std::optional<std::string>& out,
                 std::string_view where) {
  auto it = obj.FindMember(field);
  if (it == obj.MemberEnd()) return data_error(where, std::string("field '") + field + "' is missing");
  const Value& v = it->value;
  if (v.IsString()) {
    out = std::string(v.GetString(), v.GetStringLength());
  } else if (v.IsNull() && !required_string) {
    out.reset();
  } else {
    return data_error(where, std::string("field '") + field + "' must be a string" +
                                 (required_string ? "" : " or null") + ", got " + type_name(v));
  }
  return ok_status();
}

Result<Integration> integration_from(const Value& v, std::string_view where_in) {
  std::string where(where_in);
  if (!v.IsObject()) return data_error(where, std::string("expected an integration object, got ") + type_name(v));
  Integration o;
  auto id = v.FindMember("id");
  if (id == v.MemberEnd()) return data_error(where, "field 'id' is missing");
  if (!id->value.IsString() || id->value.GetStringLength() == 0)
    return data_error(where, std::string("field 'id' must be a non-empty string, got ") + type_name(id->value));
  o.id.assign(id->value.GetString(), id->value.GetStringLength());
  where += " (integration " + o.id + ")";
  auto type = v.FindMember("type");
  if (type == v.MemberEnd()) return data_error(where, "field 'type' is missing");
  if (!type->value.IsInt64()) return data_error(where, std::string("field 'type' must be an integer, got ") + type_name(type->value));
  o.type = type->value.GetInt64();
  auto meta = v.FindMember("metadata");
  if (meta == v.MemberEnd()) return data_error(where, "field 'metadata' is missing");
  if (meta->value.IsObject()) {
    o.metadata = canonical(meta->value);
  } else if (!meta->value.IsNull()) {
    return data_error(where, std::string("field 'metadata' must be an object, got ") + type_name(meta->value));
  }
  struct F { const char* name; std::optional<std::string> Integration::*member; bool required; };
  static const F text_fields[] = {
      {"name", &Integration::name, true},           {"logo", &Integration::logo, false},
      {"email", &Integration::email, false},         {"recipient", &Integration::recipient, false},
      {"address_line_1", &Integration::address_line_1, false},
      {"address_line_2", &Integration::address_line_2, false},
      {"zip_code", &Integration::zip_code, false},   {"city", &Integration::city, false}};
  for (const auto& f : text_fields) {
    auto s = read_text(v, f.name, f.required, o.*(f.member), where);
    if (!s) return s.error();
  }
  // Every documented field is required above, so more members than those means a field the
  // documents do not describe (or a key written twice): kept, not refused.
  if (v.MemberCount() > kIntegrationFields.size()) o.extra = unknown_fields(v);
  return o;
}

Result<rapidjson::Document> parse_document(std::string_view body, std::string_view where) {
  rapidjson::Document doc;
  auto parsed = detail::parse_limited(body, doc);
  if (!parsed.ok) {
    std::string head(body.substr(0, 60));
    std::replace(head.begin(), head.end(), '\n', ' ');
    return data_error(where, "body is not JSON gigasync accepts (" + parsed.error + "; starts with \"" + head + "\")");
  }
  return doc;
}

}  // namespace

Result<IntegrationPage> parse_page(std::string_view body, std::string_view where) {
  auto doc = parse_document(body, where);
  if (!doc) return doc.error();
  const Value& d = doc.value();
  if (!d.IsObject()) return data_error(where, std::string("expected a list object, got ") + type_name(d));
  IntegrationPage page;
  auto count = d.FindMember("count");
  if (count == d.MemberEnd() || !count->value.IsInt64() || count->value.GetInt64() < 0)
    return data_error(where, "field 'count' is missing or not a non-negative integer");
  if (count->value.GetInt64() > kMaxCount)
    return data_error(where, "field 'count' claims " + std::to_string(count->value.GetInt64()) +
                                 " integrations, more than the " + std::to_string(kMaxCount) + " gigasync accepts");
  page.count = count->value.GetInt64();
  auto next = d.FindMember("next");
  if (next == d.MemberEnd()) return data_error(where, "field 'next' is missing");
  if (next->value.IsString()) {
    page.next = std::string(next->value.GetString(), next->value.GetStringLength());
  } else if (!next->value.IsNull()) {
    return data_error(where, std::string("field 'next' must be a URL or null, got ") + type_name(next->value));
  }
  auto results = d.FindMember("results");
  if (results == d.MemberEnd() || !results->value.IsArray())
    return data_error(where, "field 'results' is missing or not an array");
  page.results.reserve(results->value.Size());
  rapidjson::SizeType i = 0;
  for (const auto& item : results->value.GetArray()) {
    auto obj = integration_from(item, std::string(where) + ", results[" + std::to_string(i++) + "]");
    if (!obj) return obj.error();
    page.results.push_back(std::move(obj.value()));
  }
  return page;
}

Result<Integration> parse_integration(std::string_view body, std::string_view where) {
  auto doc = parse_document(body, where);
  if (!doc) return doc.error();
  return integration_from(doc.value(), where);
}

Result<std::string> canonical_object(std::string_view text) {
  rapidjson::Document doc;
  if (!detail::parse_limited(text, doc).ok || !doc.IsObject())
    return make_error(ExitCode::data, "metadata is not a JSON object (of at most " + std::to_string(kMaxDepth) +
                                          " levels)");
  return canonical(doc);
}

std::string quote(std::string_view s) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
  return std::string(buf.GetString(), buf.GetSize());
}

std::string integration_body(const Integration& obj, const std::vector<std::string_view>& fields) {
  std::string out = "{";
  for (auto f : fields) {
    if (out.size() > 1) out += ',';
    out += quote(f) + ':';
    auto v = obj.get(f);
    if (!v) {
      out += "null";
    } else if (f == "type") {
      out += *v;
    } else if (f == "metadata") {
      auto c = canonical_object(*v);
      out += c ? c.value() : "{}";
    } else {
      out += quote(*v);
    }
  }
  return out + "}";
}

std::string with_unknown_fields(std::string body, const std::optional<std::string>& extra) {
  if (!extra || extra->size() <= 2 || body.size() < 2 || body.back() != '}') return body;
  body.pop_back();
  if (body.size() > 1) body += ',';
  body.append(*extra, 1);  // the members and the closing brace
  return body;
}

Result<std::vector<std::string>> apply_payload(std::string_view payload, Integration& obj, bool sent_body) {
  rapidjson::Document doc;
  if (!detail::parse_limited(payload, doc).ok || !doc.IsObject())
    return make_error(ExitCode::data, "payload is not a JSON object");
  std::vector<std::string> fields;
  for (const auto& m : doc.GetObject()) {
    std::string name(m.name.GetString(), m.name.GetStringLength());
    if (!documented(name) && sent_body) continue;
    if (!documented(name))
      return make_error(ExitCode::data, "payload has unknown field '" + name + "'");
    if (name == "metadata") {
      if (m.value.IsNull()) obj.metadata.reset(); else obj.metadata = canonical(m.value);
    } else if (name == "type") {
      if (!m.value.IsInt64()) return make_error(ExitCode::data, "payload field 'type' is not an integer");
      obj.type = m.value.GetInt64();
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

std::string describe_error_body(std::string_view body) {
  rapidjson::Document doc;
  std::string out;
  if (detail::parse_limited(body, doc).ok && doc.IsObject()) {
    for (const auto& m : doc.GetObject()) {
      std::string key(m.name.GetString(), m.name.GetStringLength());
      std::vector<std::string> msgs;
      if (m.value.IsString()) msgs.emplace_back(m.value.GetString(), m.value.GetStringLength());
      if (m.value.IsArray())
        for (const auto& e : m.value.GetArray())
          msgs.push_back(e.IsString() ? std::string(e.GetString(), e.GetStringLength()) : canonical(e));
      if (!m.value.IsString() && !m.value.IsArray()) msgs.push_back(canonical(m.value));
      for (const auto& msg : msgs) {
        if (!out.empty()) out += "; ";
        out += (key == "detail" ? std::string() : key + ": ") + msg;
      }
    }
    if (!out.empty()) return out;
  }
  std::string raw(body.substr(0, 300));
  std::replace(raw.begin(), raw.end(), '\n', ' ');
  return raw.empty() ? "(empty body)" : raw;
}

}  // namespace gigasync::json
