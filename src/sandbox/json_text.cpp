#include "sandbox/json_text.h"

#include <array>
#include <charconv>
#include <cstdio>
#include <cstdlib>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace gigasync::sandbox {
namespace {

// Python's repr(float): the shortest digits that round-trip, in positional form when the
// decimal exponent is in [-4, 16), else as d.ddde+XX; positional always has a fraction.
std::string python_float(double d) {
  std::array<char, 40> buf{};
  auto [end, ec] = std::to_chars(buf.data(), buf.data() + buf.size(), d, std::chars_format::scientific);
  std::string_view sci(buf.data(), static_cast<std::size_t>(end - buf.data()));  // "-1.25e+06"
  std::size_t e = sci.find('e');
  int exp = std::atoi(std::string(sci.substr(e + 1)).c_str());
  std::string sign = sci.front() == '-' ? "-" : "", digits;
  for (char c : sci.substr(0, e)) {
    if (c != '-' && c != '.') digits += c;
  }
  if (exp < -4 || exp >= 16) {
    std::string power = std::to_string(std::abs(exp));
    std::string tail = std::string("e") + (exp < 0 ? '-' : '+') + (power.size() < 2 ? "0" : "") + power;
    return sign + digits.substr(0, 1) + (digits.size() > 1 ? "." + digits.substr(1) : "") + tail;
  }
  if (exp < 0) return sign + "0." + std::string(static_cast<std::size_t>(-exp - 1), '0') + digits;
  auto whole = static_cast<std::size_t>(exp) + 1;
  if (digits.size() <= whole) return sign + digits + std::string(whole - digits.size(), '0') + ".0";
  return sign + digits.substr(0, whole) + "." + digits.substr(whole);
}

}  // namespace

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

std::string python_str(const rapidjson::Value& v) {
  if (v.IsInt64()) return std::to_string(v.GetInt64());
  if (v.IsUint64()) return std::to_string(v.GetUint64());
  return python_float(v.GetDouble());
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
