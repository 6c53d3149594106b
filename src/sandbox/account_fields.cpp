#include "sandbox/account_fields.h"

#include <algorithm>

namespace gigasync::sandbox {
namespace {

using rapidjson::Value;

const Value* member(const Value& body, const char* name) {
  auto it = body.FindMember(name);
  return it == body.MemberEnd() ? nullptr : &it->value;
}

std::string trim(std::string_view s) {
  auto first = s.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return {};
  auto last = s.find_last_not_of(" \t\r\n");
  return std::string(s.substr(first, last - first + 1));
}

std::size_t code_points(std::string_view s) {
  return static_cast<std::size_t>(std::count_if(s.begin(), s.end(), [](char c) { return (c & 0xC0) != 0x80; }));
}

// Absent: required -> error (create, replace); the default (create, replace) or the current
// value (patch) stays. Returns the value to read, or nullptr.
const Value* present(const Value& body, const char* name, bool required, WriteMode mode, FieldErrors& errs) {
  const Value* v = member(body, name);
  if (!v && required && mode != WriteMode::patch) errs.add(name, "This field is required.");
  return v;
}

}  // namespace

std::optional<std::string> read_text(const Value& v, const char* name, FieldErrors& errs) {
  if (!v.IsString() && !v.IsNumber()) {
    errs.add(name, "Not a valid string.");
    return std::nullopt;
  }
  std::string text = trim(v.IsString() ? std::string_view(v.GetString(), v.GetStringLength()) : python_str(v));
  if (text.empty()) {
    errs.add(name, "This field may not be blank.");
    return std::nullopt;
  }
  if (code_points(text) > kMaxTextLength) {
    errs.add(name, "Ensure this field has no more than 255 characters.");
    return std::nullopt;
  }
  return text;
}

bool take_text(const Value& body, const char* name, bool required, WriteMode mode, std::string& out,
               FieldErrors& errs) {
  const Value* v = present(body, name, required, mode, errs);
  if (!v) return false;
  if (v->IsNull()) {
    errs.add(name, "This field may not be null.");
    return false;
  }
  auto text = read_text(*v, name, errs);
  if (!text) return false;
  out = std::move(*text);
  return true;
}

void take_email(const Value& body, const char* name, WriteMode mode, std::string& out, FieldErrors& errs) {
  std::string email = out;
  if (!take_text(body, name, true, mode, email, errs)) return;
  if (!looks_like_email(email)) return errs.add(name, "Enter a valid email address.");
  out = std::move(email);
}

void take_nullable_text(const Value& body, const char* name, WriteMode mode, std::optional<std::string>& out,
                        FieldErrors& errs) {
  const Value* v = member(body, name);
  if (!v) {
    if (mode == WriteMode::replace) out.reset();
    return;
  }
  if (v->IsNull()) {
    out.reset();
    return;
  }
  if (auto text = read_text(*v, name, errs)) out = std::move(*text);
}

void take_metadata(const Value& body, WriteMode mode, std::string& out, FieldErrors& errs) {
  const Value* v = member(body, "metadata");
  if (!v) {
    if (mode == WriteMode::replace) out = "{}";
    return;
  }
  if (v->IsObject()) out = to_json_text(*v);
  else if (v->IsNull()) errs.add("metadata", "This field may not be null.");
  else errs.add("metadata", "Expected a JSON object.");
}

void take_datetime(const Value& body, const char* name, WriteMode mode, UnixMicros& out, FieldErrors& errs) {
  const Value* v = member(body, name);
  if (!v) {
    if (mode == WriteMode::replace) out = kNever;
    return;
  }
  if (v->IsNull()) {
    out = kNever;
    return;
  }
  std::optional<UnixMicros> t;
  if (v->IsString()) t = parse_iso8601(std::string_view(v->GetString(), v->GetStringLength()));
  if (!t) {
    return errs.add(name,
                    "Datetime has wrong format. Use one of these formats instead: "
                    "YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z].");
  }
  out = *t;
}

std::optional<std::string> take_id(const Value& body, FieldErrors& errs) {
  const Value* v = member(body, "id");
  if (!v) return std::nullopt;
  if (v->IsNull()) {
    errs.add("id", "This field may not be null.");
    return std::nullopt;
  }
  return read_text(*v, "id", errs);
}

void take_extras(const Value& body, const std::vector<std::string>& names, WriteMode mode, Extras& out,
                 FieldErrors& errs) {
  for (const auto& name : names) {
    auto slot = std::find_if(out.begin(), out.end(), [&](const auto& e) { return e.first == name; });
    if (slot == out.end()) slot = out.emplace(out.end(), name, "\"\"");
    const Value* v = member(body, name.c_str());
    if (!v) {
      if (mode != WriteMode::patch) slot->second = "\"\"";
      continue;
    }
    if (v->IsNull()) {
      errs.add(name, "This field may not be null.");
    } else if (!v->IsString() && !v->IsNumber()) {
      errs.add(name, "Not a valid string.");
    } else {
      std::string text = trim(v->IsString() ? std::string_view(v->GetString(), v->GetStringLength()) : python_str(*v));
      if (code_points(text) > kMaxTextLength) errs.add(name, "Ensure this field has no more than 255 characters.");
      else slot->second = quote(text);
    }
  }
}

std::string not_a_choice(std::string_view value) { return "\"" + std::string(value) + "\" is not a valid choice."; }

}  // namespace gigasync::sandbox
