#include "sandbox/validate.h"

#include <algorithm>
#include <optional>

#include "sandbox/logo.h"

namespace gigasync::sandbox {
namespace {

using rapidjson::Value;

struct TextRule {
  Field field;
  bool required;  // create/replace must carry it; null and "" refused
};

constexpr TextRule kIdRule{kId, true};
constexpr TextRule kTextRules[] = {{kName, true},      {kEmail, true},   {kRecipient, true},
                                   {kAddressLine1, true}, {kAddressLine2, false},
                                   {kZipCode, true},   {kCity, true}};

constexpr std::size_t kMaxLength = 255;  // every text field, ids included

const Value* member(const Value& body, Field f) {
  auto it = body.FindMember(kFieldNames[f]);
  return it == body.MemberEnd() ? nullptr : &it->value;
}

std::string_view text_of(const Value& v) { return {v.GetString(), v.GetStringLength()}; }

std::string trim(std::string_view s) {
  auto first = s.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return {};
  auto last = s.find_last_not_of(" \t\r\n");
  return std::string(s.substr(first, last - first + 1));
}

// Characters as Python counts them: UTF-8 sequences, not bytes.
std::size_t code_points(std::string_view s) {
  return static_cast<std::size_t>(std::count_if(s.begin(), s.end(), [](char c) { return (c & 0xC0) != 0x80; }));
}

void set_id(Record& r, const std::string& id) {
  r.id = id;
  r.json[kId] = quote(id);
}

// DRF's CharField on a present, non-null value: strings, and numbers as their Python str()
// (booleans, lists and objects are "Not a valid string."), trimmed, then blank and length
// checks. nullopt = refused, with the field's messages in `errs`.
std::optional<std::string> char_field(const Value& v, const TextRule& rule, FieldErrors& errs) {
  const char* name = kFieldNames[rule.field];
  if (!v.IsString() && !v.IsNumber()) {
    errs.add(name, "Not a valid string.");
    return std::nullopt;
  }
  std::string text = trim(v.IsString() ? text_of(v) : python_str(v));
  if (text.empty()) {
    if (rule.required) errs.add(name, "This field may not be blank.");
    return rule.required ? std::nullopt : std::optional(text);
  }
  bool ok = code_points(text) <= kMaxLength;
  if (!ok) errs.add(name, "Ensure this field has no more than 255 characters.");
  if (rule.field == kEmail && !looks_like_email(text)) {
    errs.add(name, "Enter a valid email address.");
    ok = false;
  }
  return ok ? std::optional(std::move(text)) : std::nullopt;
}

// A string field. Absent: required on create/replace; otherwise the default (or, for patch,
// the current value) stays in `rec`.
void take_text(const Value& body, const TextRule& rule, const WriteContext& ctx, Record& rec,
               FieldErrors& errs) {
  const char* name = kFieldNames[rule.field];
  const Value* v = member(body, rule.field);
  if (!v) {
    if (rule.required && ctx.mode != WriteMode::patch) errs.add(name, "This field is required.");
  } else if (v->IsNull()) {
    if (rule.required) errs.add(name, "This field may not be null.");
    else rec.json[rule.field] = "null";
  } else if (auto text = char_field(*v, rule, errs)) {
    set_text(rec, rule.field, *text);
  }
}

// `id`: absent = uuid4 on create, the current id otherwise. Another value on replace or
// patch renames the object; it must not belong to another object.
void take_id(const Value& body, const WriteContext& ctx, Record& rec, FieldErrors& errs) {
  const Value* v = member(body, kId);
  if (!v) {
    if (ctx.mode == WriteMode::create) set_id(rec, ctx.new_id());
    return;
  }
  if (v->IsNull()) return errs.add("id", "This field may not be null.");
  auto id = char_field(*v, kIdRule, errs);
  if (!id) return;
  const Record* holder = ctx.store->find(*id);
  if (holder && holder != ctx.current) return errs.add("id", "integration with this id already exists.");
  set_id(rec, *id);
}

// Base64 image data becomes a URL named after the (possibly new) id. A rename keeps the
// stored URL: a stored file does not move with its object's id, and clients comparing content
// (gigasync's pull finds renames that way) see the same logo.
void take_logo(const Value& body, const WriteContext& ctx, Record& rec, FieldErrors& errs) {
  const Value* v = member(body, kLogo);
  if (!v) return;
  if (v->IsNull()) {
    rec.json[kLogo] = "null";
  } else if (!v->IsString()) {
    errs.add("logo", "The submitted data was not a file. Check the encoding type on the form.");
  } else if (ctx.current && ctx.current->json[kLogo] == quote(text_of(*v))) {
    rec.json[kLogo] = ctx.current->json[kLogo];  // the URL it reads back: unchanged
  } else if (auto image = decode_base64(text_of(*v))) {
    set_text(rec, kLogo, logo_url(ctx.origin, rec.id, *image));
  } else {
    errs.add("logo", "Upload a valid image.");
  }
}

void take_metadata(const Value& body, Record& rec, FieldErrors& errs) {
  const Value* v = member(body, kMetadata);
  if (!v) return;
  if (v->IsObject()) rec.json[kMetadata] = to_json_text(*v);
  else errs.add("metadata", "Expected a JSON object.");
}

// The fields of `--extra-field`: DRF CharFields with default "" (absent on create or replace:
// reset to ""; absent on patch: kept). Other extras (put by the admin endpoint) are not writable:
// kept by a patch, gone after a replace.
void take_extra(const Value& body, const WriteContext& ctx, Record& rec, FieldErrors& errs) {
  if (!ctx.extra_fields) return;
  for (const auto& name : *ctx.extra_fields) {
    auto slot = std::find_if(rec.extra.begin(), rec.extra.end(), [&](const auto& e) { return e.first == name; });
    if (slot == rec.extra.end()) slot = rec.extra.emplace(rec.extra.end(), name, "\"\"");
    auto it = body.FindMember(name.c_str());
    if (it == body.MemberEnd()) {
      if (ctx.mode != WriteMode::patch) slot->second = "\"\"";
      continue;
    }
    const Value& v = it->value;
    if (v.IsNull()) {
      errs.add(name.c_str(), "This field may not be null.");
    } else if (!v.IsString() && !v.IsNumber()) {
      errs.add(name.c_str(), "Not a valid string.");
    } else {
      std::string text = trim(v.IsString() ? text_of(v) : python_str(v));
      if (code_points(text) > kMaxLength) errs.add(name.c_str(), "Ensure this field has no more than 255 characters.");
      else slot->second = quote(text);
    }
  }
}

Record starting_point(const WriteContext& ctx) {
  if (ctx.mode == WriteMode::patch) return *ctx.current;
  if (ctx.mode == WriteMode::replace) return make_record(ctx.current->id, ctx.current->type);
  return make_record("", 3);
}

}  // namespace

bool looks_like_email(std::string_view s) {
  auto at = s.find('@');
  if (at == 0 || at == std::string_view::npos || s.find('@', at + 1) != std::string_view::npos) return false;
  if (s.find_first_of(" \t\r\n,;<>") != std::string_view::npos) return false;
  auto domain = s.substr(at + 1);
  auto dot = domain.rfind('.');
  return dot != std::string_view::npos && dot > 0 && dot + 1 < domain.size() &&
         domain.find("..") == std::string_view::npos;
}

// `type` is read-only: never looked at, so ignored wherever it is sent (DRF's read_only).
WriteResult build_record(const Value& body, const WriteContext& ctx) {
  WriteResult out{starting_point(ctx), {}};
  take_id(body, ctx, out.record, out.errors);
  take_text(body, kTextRules[0], ctx, out.record, out.errors);
  take_logo(body, ctx, out.record, out.errors);
  take_metadata(body, out.record, out.errors);
  for (std::size_t i = 1; i < std::size(kTextRules); ++i) take_text(body, kTextRules[i], ctx, out.record, out.errors);
  take_extra(body, ctx, out.record, out.errors);
  return out;
}

}  // namespace gigasync::sandbox
