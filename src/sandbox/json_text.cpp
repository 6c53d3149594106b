#include "sandbox/json_text.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace gigasync::sandbox {

std::string quote(std::string_view s) {
  static const char* hex = "0123456789abcdef";
  std::string out;
  out.reserve(s.size() + 2);
  out += '"';
  std::size_t plain = 0;  // start of the run not yet copied
  for (std::size_t i = 0; i < s.size(); ++i) {
    auto u = static_cast<unsigned char>(s[i]);
    if (u >= 0x20 && u != '"' && u != '\\') continue;
    out.append(s.substr(plain, i - plain));
    plain = i + 1;
    if (u >= 0x20) {
      out += '\\';
      out += s[i];
    } else {
      out += "\\u00";
      out += hex[u >> 4];
      out += hex[u & 15];
    }
  }
  out.append(s.substr(plain));
  out += '"';
  return out;
}

std::string to_json_text(const rapidjson::Value& v) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  v.Accept(w);
  return {buf.GetString(), buf.GetSize()};
}

std::string detail_json(std::string_view message) { return "{\"detail\":" + quote(message) + "}"; }

std::string non_field_error_json(std::string_view message) {
  FieldErrors e;
  e.add("non_field_errors", message);
  return e.to_json();
}

const char* python_type_name(const rapidjson::Value& v) {
  if (v.IsObject()) return "dict";
  if (v.IsArray()) return "list";
  if (v.IsString()) return "str";
  if (v.IsBool()) return "bool";
  if (v.IsNull()) return "NoneType";
  return v.IsDouble() ? "float" : "int";
}

void FieldErrors::add(std::string_view field, std::string_view message) {
  for (auto& [name, messages] : fields_) {
    if (name == field) {
      messages.emplace_back(message);
      return;
    }
  }
  fields_.push_back({std::string(field), {std::string(message)}});
}

bool FieldErrors::has(std::string_view field) const {
  for (const auto& entry : fields_) {
    if (entry.first == field) return true;
  }
  return false;
}

std::string FieldErrors::to_json() const {
  std::string out = "{";
  for (const auto& [name, messages] : fields_) {
    if (out.size() > 1) out += ',';
    out += quote(name) + ":[";
    for (std::size_t i = 0; i < messages.size(); ++i) out += (i ? "," : "") + quote(messages[i]);
    out += ']';
  }
  return out + "}";
}

}  // namespace gigasync::sandbox
