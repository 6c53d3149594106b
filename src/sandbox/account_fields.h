#pragma once
// Reading the fields of a write to the account's objects, with DRF's messages. Each take_*
// reads one field of `body` (a JSON object) into `out` and adds its errors to `errs`:
//   absent   create: the default stays in `out`, or "This field is required." when required;
//            replace (PUT): the same (so a PUT resets optional fields to their defaults);
//            patch: `out` is kept
//   null     "This field may not be null." unless the field is nullable
// Text follows DRF's CharField: a string, or a number as its Python str(); trimmed; not blank
// (unless allowed); at most 255 characters.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <rapidjson/document.h>

#include "sandbox/account.h"
#include "sandbox/json_text.h"
#include "sandbox/validate.h"

namespace gigasync::sandbox {

inline constexpr std::size_t kMaxTextLength = 255;

// A CharField value (not null, present). nullopt = refused (errors added under `name`).
std::optional<std::string> read_text(const rapidjson::Value& v, const char* name, FieldErrors& errs);

// true when `out` was set from the body.
bool take_text(const rapidjson::Value& body, const char* name, bool required, WriteMode mode, std::string& out,
               FieldErrors& errs);
void take_email(const rapidjson::Value& body, const char* name, WriteMode mode, std::string& out, FieldErrors& errs);
// Nullable text with the default null.
void take_nullable_text(const rapidjson::Value& body, const char* name, WriteMode mode,
                        std::optional<std::string>& out, FieldErrors& errs);
// A JSON object, default {}; "Expected a JSON object." otherwise.
void take_metadata(const rapidjson::Value& body, WriteMode mode, std::string& out, FieldErrors& errs);
// A nullable DateTimeField, default null, ISO 8601 (a plain date is midnight UTC).
void take_datetime(const rapidjson::Value& body, const char* name, WriteMode mode, UnixMicros& out,
                   FieldErrors& errs);
// `id`: the new id when the body names one that is valid text, nullopt otherwise (uniqueness is
// the caller's: "<resource> with this id already exists.").
std::optional<std::string> take_id(const rapidjson::Value& body, FieldErrors& errs);
// The --extra-field fields: writable text, default "" (absent on create or replace: "";
// absent on patch: kept).
void take_extras(const rapidjson::Value& body, const std::vector<std::string>& names, WriteMode mode, Extras& out,
                 FieldErrors& errs);

// A DRF ChoiceField error: "\"<value>\" is not a valid choice."
std::string not_a_choice(std::string_view value);

}  // namespace gigasync::sandbox
