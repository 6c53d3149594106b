#include "json/canonical.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <string_view>
#include <vector>

namespace gigasync::json::detail {
namespace {

using rapidjson::Value;

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

}  // namespace

std::string canonical(const Value& v) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  write_canonical(v, w);
  return std::string(buf.GetString(), buf.GetSize());
}

const char* type_name(const Value& v) {
  if (v.IsNull()) return "null";
  if (v.IsBool()) return "a boolean";
  if (v.IsNumber()) return "a number";
  if (v.IsString()) return "a string";
  if (v.IsArray()) return "an array";
  return "an object";
}

}  // namespace gigasync::json::detail
