// Pages and objects of any described resource, validated field by field; request bodies.
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <cstdint>

#include "gigasync/json.h"
#include "gigasync/timestamp.h"
#include "json/canonical.h"
#include "json/parse.h"

namespace gigasync::json {
namespace {

using detail::canonical;
using detail::type_name;
using rapidjson::Value;

Error data_error(std::string_view where, const std::string& what) {
  return make_error(ExitCode::data, std::string(where) + ": " + what);
}

// The members of `obj` that are not fields of `r`, as one canonical object; nullopt when none.
std::optional<std::string> unknown_fields(const Resource& r, const Value& obj) {
  rapidjson::Document extra;
  extra.SetObject();
  for (const auto& m : obj.GetObject()) {
    if (r.index_of({m.name.GetString(), m.name.GetStringLength()}) != Resource::npos) continue;
    extra.AddMember(Value(m.name, extra.GetAllocator()), Value(m.value, extra.GetAllocator()), extra.GetAllocator());
  }
  if (extra.MemberCount() == 0) return std::nullopt;
  return canonical(extra);
}

// A decimal number as text: an optional sign, digits, at most one '.', at least one digit.
bool is_decimal(std::string_view s) {
  size_t i = (!s.empty() && (s[0] == '-' || s[0] == '+')) ? 1 : 0;
  size_t digits = 0, dots = 0;
  for (; i < s.size(); ++i) {
    if (s[i] >= '0' && s[i] <= '9') {
      ++digits;
    } else if (s[i] == '.' && dots == 0) {
      ++dots;
    } else {
      return false;
    }
  }
  return digits > 0;
}

// The value of `v` for field `f` in its SQL form, or a message saying why it does not fit.
Result<std::optional<std::string>> read_value(const Field& f, const Value& v) {
  auto wrong = [&](const char* expected) -> Error {
    return make_error(ExitCode::data, std::string("field '") + std::string(f.name) + "' must be " + expected +
                                          (f.nullable ? " or null" : "") + ", got " + type_name(v));
  };
  if (v.IsNull()) {
    if (f.nullable) return std::optional<std::string>{};
    return wrong(f.kind == Kind::integer ? "an integer" : f.kind == Kind::object ? "an object" : "a string");
  }
  auto text = [&] { return std::optional<std::string>(std::string(v.GetString(), v.GetStringLength())); };
  switch (f.kind) {
    case Kind::text:
      if (!v.IsString()) return wrong("a string");
      return text();
    case Kind::integer:
      if (!v.IsInt64()) return wrong("an integer");
      return std::optional<std::string>(std::to_string(v.GetInt64()));
    case Kind::boolean:
      if (!v.IsBool()) return wrong("a boolean");
      return std::optional<std::string>(v.GetBool() ? "1" : "0");
    case Kind::decimal:
      if (!v.IsString() || !is_decimal({v.GetString(), v.GetStringLength()})) return wrong("a decimal string");
      return text();
    case Kind::timestamp:
    case Kind::date:
      if (!v.IsString() || !parse_iso8601({v.GetString(), v.GetStringLength()}))
        return wrong(f.kind == Kind::date ? "an ISO 8601 date string" : "an ISO 8601 timestamp string");
      return text();
    case Kind::object:
      if (!v.IsObject()) return wrong("an object");
      return std::optional<std::string>(canonical(v));
    case Kind::list:
      if (!v.IsArray()) return wrong("a list");
      return std::optional<std::string>(canonical(v));
    case Kind::reference:
      if (v.IsInt64()) return std::optional<std::string>(std::to_string(v.GetInt64()));
      if (!v.IsString() || v.GetStringLength() == 0) return wrong("an id (a non-empty string or an integer)");
      return text();
  }
  return wrong("a value");
}

Result<Record> record_from(const Resource& r, const Value& v, std::string_view where_in, const std::string& scope) {
  std::string where(where_in);
  const std::string singular(r.singular);
  if (!v.IsObject())
    return data_error(where, "expected " + std::string(singular.front() == 'i' ? "an " : "a ") + singular +
                                 " object, got " + type_name(v));
  Record o(r);
  o.scope = scope;
  const bool numeric_id = r.field("id")->kind == Kind::reference;
  auto id = v.FindMember("id");
  if (id == v.MemberEnd()) return data_error(where, "field 'id' is missing");
  if (id->value.IsString() && id->value.GetStringLength() > 0) {
    o.id.assign(id->value.GetString(), id->value.GetStringLength());
  } else if (numeric_id && id->value.IsInt64()) {
    o.id = std::to_string(id->value.GetInt64());
  } else {
    return data_error(where, std::string("field 'id' must be a non-empty string") + (numeric_id ? " or an integer" : "") +
                                 ", got " + type_name(id->value));
  }
  where += " (" + singular + " " + o.id + ")";
  const std::size_t id_index = r.id_index();
  std::size_t documented = 0;
  std::uint64_t seen = 0;  // a bit per field (a resource has fewer than 64)
  // Each member once, in the order sent (of a key sent twice the last counts, as in canonical()).
  for (const auto& m : v.GetObject()) {
    std::size_t i = r.index_of({m.name.GetString(), m.name.GetStringLength()});
    if (i == Resource::npos) continue;
    ++documented;
    seen |= std::uint64_t{1} << i;
    if (i == id_index) continue;
    auto value = read_value(r.fields[i], m.value);
    if (!value) return data_error(where, value.error().message);
    o.at(i) = std::move(value.value());
  }
  for (std::size_t i = 0; i < r.fields.size(); ++i)
    if (r.fields[i].always_sent && (seen & (std::uint64_t{1} << i)) == 0)
      return data_error(where, "field '" + std::string(r.fields[i].name) + "' is missing");
  // More members than documented ones: a field the documents do not describe, kept (not refused).
  if (v.MemberCount() > documented) o.extra = unknown_fields(r, v);
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

Result<Page> parse_page(const Resource& r, std::string_view body, std::string_view where, const std::string& scope) {
  auto doc = parse_document(body, where);
  if (!doc) return doc.error();
  const Value& d = doc.value();
  if (!d.IsObject()) return data_error(where, std::string("expected a list object, got ") + type_name(d));
  Page page;
  auto count = d.FindMember("count");
  if (count == d.MemberEnd() || !count->value.IsInt64() || count->value.GetInt64() < 0)
    return data_error(where, "field 'count' is missing or not a non-negative integer");
  if (count->value.GetInt64() > kMaxCount)
    return data_error(where, "field 'count' claims " + std::to_string(count->value.GetInt64()) + " " +
                                 std::string(r.name) + ", more than the " + std::to_string(kMaxCount) +
                                 " gigasync accepts");
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
    auto obj = record_from(r, item, std::string(where) + ", results[" + std::to_string(i++) + "]", scope);
    if (!obj) return obj.error();
    page.results.push_back(std::move(obj.value()));
  }
  return page;
}

Result<Record> parse_object(const Resource& r, std::string_view body, std::string_view where, const std::string& scope) {
  auto doc = parse_document(body, where);
  if (!doc) return doc.error();
  return record_from(r, doc.value(), where, scope);
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

std::string object_body(const Record& obj, const std::vector<std::string_view>& fields) {
  std::string out = "{";
  for (auto f : fields) {
    if (out.size() > 1) out += ',';
    out += quote(f) + ':';
    auto v = obj.get(f);
    const Field* field = obj.resource().field(f);
    const Kind kind = field ? field->kind : Kind::text;
    if (!v) {
      out += "null";
    } else if (kind == Kind::integer) {
      out += *v;
    } else if (kind == Kind::boolean) {
      out += *v == "0" ? "false" : "true";
    } else if (kind == Kind::object) {
      auto c = canonical_object(*v);
      out += c ? c.value() : "{}";
    } else if (kind == Kind::list) {
      out += *v;  // canonical JSON text already
    } else {
      out += quote(*v);
    }
  }
  return out + "}";
}

std::string object_json(const Record& o) { return object_body(o, field_names(o.resource())); }

std::string with_unknown_fields(std::string body, const std::optional<std::string>& extra) {
  if (!extra || extra->size() <= 2 || body.size() < 2 || body.back() != '}') return body;
  body.pop_back();
  if (body.size() > 1) body += ',';
  body.append(*extra, 1);  // the members and the closing brace
  return body;
}

std::optional<Members> id_and_members(std::string_view body) {
  rapidjson::Document doc;
  if (!detail::parse_limited(body, doc).ok || !doc.IsObject()) return std::nullopt;
  auto id = doc.FindMember("id");
  if (id == doc.MemberEnd()) return std::nullopt;
  Members out;
  if (id->value.IsString() && id->value.GetStringLength() > 0) out.id.assign(id->value.GetString(), id->value.GetStringLength());
  else if (id->value.IsInt64()) out.id = std::to_string(id->value.GetInt64());
  else return std::nullopt;
  for (const auto& m : doc.GetObject()) out.names.emplace_back(m.name.GetString(), m.name.GetStringLength());
  return out;
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
