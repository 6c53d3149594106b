#include "support/api_rows.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <utility>
#include <vector>

namespace gigasync::test {

rapidjson::Document parse_json(const std::string& text) {
  rapidjson::Document d;
  d.Parse(text.c_str(), text.size());
  return d;
}

std::string write_json(const rapidjson::Value& v) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  v.Accept(w);
  return buf.GetString();
}

std::string canonical(const rapidjson::Value& v) {
  if (v.IsObject()) {
    std::vector<std::pair<std::string, const rapidjson::Value*>> members;
    for (const auto& m : v.GetObject()) members.emplace_back(m.name.GetString(), &m.value);
    std::sort(members.begin(), members.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    std::string out = "{";
    for (const auto& [k, x] : members) {
      if (out.size() > 1) out += ",";
      rapidjson::Value key(k.c_str(), static_cast<rapidjson::SizeType>(k.size()));
      out += write_json(key) + ":" + canonical(*x);
    }
    return out + "}";
  }
  if (v.IsArray()) {
    std::string out = "[";
    for (const auto& x : v.GetArray()) out += (out.size() > 1 ? "," : "") + canonical(x);
    return out + "]";
  }
  return write_json(v);
}

Cell cell_of(const rapidjson::Value& v) {
  if (v.IsNull()) return {};
  if (v.IsString()) return {std::string(v.GetString(), v.GetStringLength())};
  if (v.IsBool()) return {std::string(v.GetBool() ? "1" : "0")};
  if (v.IsInt64()) return {std::to_string(v.GetInt64())};
  if (v.IsObject() || v.IsArray()) return {canonical(v), true};
  return {write_json(v)};
}

std::string show(const Cell& c) { return c.text ? "\"" + *c.text + "\"" : "NULL"; }

}  // namespace gigasync::test
