#include "sandbox/validate.h"

#include "sandbox/logo.h"

namespace gigasync::sandbox {
namespace {

using rapidjson::Value;

struct TextRule {
  Field field;
  bool required;  // create/replace must carry it; null and "" refused
};

constexpr TextRule kTextRules[] = {{kName, true},      {kEmail, true},   {kRecipient, true},
                                   {kAddressLine1, true}, {kAddressLine2, false},
                                   {kZipCode, true},   {kCity, true}};

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

void set_id(Record& r, const std::string& id) {
  r.id = id;
  r.json[kId] = quote(id);
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
  } else if (!v->IsString()) {
    errs.add(name, "Not a valid string.");
  } else if (std::string text = trim(text_of(*v)); text.empty() && rule.required) {
    errs.add(name, "This field may not be blank.");
  } else if (rule.field == kEmail && !looks_like_email(text)) {
    errs.add(name, "Enter a valid email address.");
  } else {
    set_text(rec, rule.field, text);
  }
}

std::string new_id_error(const Value* v, const WriteContext& ctx, std::string& id) {
  if (v->IsNull()) return "This field may not be null.";
  if (!v->IsString()) return "Not a valid string.";
  id = trim(text_of(*v));
  if (id.empty()) return "This field may not be blank.";
  if (ctx.store->find(id)) return "integration with this id already exists.";
  return {};
}

void take_id(const Value& body, const WriteContext& ctx, Record& rec, FieldErrors& errs) {
  const Value* v = member(body, kId);
  if (ctx.mode != WriteMode::create) {
    if (v && !(v->IsString() && text_of(*v) == ctx.current->id)) errs.add("id", "This field can not be changed.");
    return;
  }
  if (!v) return set_id(rec, ctx.new_id());
  std::string id;
  std::string error = new_id_error(v, ctx, id);
  if (!error.empty()) return errs.add("id", error);
  set_id(rec, id);
}

void check_type(const Value& body, const WriteContext& ctx, FieldErrors& errs) {
  const Value* v = member(body, kType);
  if (ctx.mode == WriteMode::create || !v) return;  // read-only: ignored on create
  if (!(v->IsInt() && v->GetInt() == ctx.current->type)) errs.add("type", "This field can not be changed.");
}

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

WriteResult build_record(const Value& body, const WriteContext& ctx) {
  WriteResult out{starting_point(ctx), {}};
  take_id(body, ctx, out.record, out.errors);
  take_text(body, kTextRules[0], ctx, out.record, out.errors);
  take_logo(body, ctx, out.record, out.errors);
  take_metadata(body, out.record, out.errors);
  for (std::size_t i = 1; i < std::size(kTextRules); ++i) take_text(body, kTextRules[i], ctx, out.record, out.errors);
  check_type(body, ctx, out.errors);
  return out;
}

}  // namespace gigasync::sandbox
