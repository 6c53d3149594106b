#include <algorithm>
#include <cctype>
#include <optional>

#include <rapidjson/error/en.h>

#include "sandbox/api.h"
#include "sandbox/json_text.h"
#include "sandbox/validate.h"

namespace gigasync::sandbox {
namespace {

std::string media_type(std::string_view content_type) {
  std::string out(content_type.substr(0, content_type.find(';')));
  std::erase_if(out, [](char c) { return c == ' ' || c == '\t'; });
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

}  // namespace

std::optional<ApiResponse> parse_body(const ApiRequest& r, rapidjson::Document& doc, bool allow_array) {
  if (r.body.find_first_not_of(" \t\r\n") == std::string::npos) {
    doc.SetObject();
    return std::nullopt;
  }
  if (media_type(r.content_type) != "application/json") {
    return json_response(415, detail_json("Unsupported media type \"" + r.content_type + "\" in request."));
  }
  // Full precision: numbers round as Python's json does (text fields store their str()).
  doc.Parse<rapidjson::kParseValidateEncodingFlag | rapidjson::kParseFullPrecisionFlag>(r.body.data(), r.body.size());
  if (doc.HasParseError()) {
    return json_response(400, detail_json(std::string("JSON parse error - ") +
                                          rapidjson::GetParseError_En(doc.GetParseError()) +
                                          " (offset " + std::to_string(doc.GetErrorOffset()) + ")"));
  }
  if (!doc.IsObject() && !(allow_array && doc.IsArray())) {
    return json_response(400, non_field_error_json(std::string("Invalid data. Expected a dictionary, but got ") +
                                                   python_type_name(doc) + "."));
  }
  return std::nullopt;
}

namespace {

std::string unused_uuid(State& s) {
  std::string id = s.gen.uuid4();
  while (s.store.find(id)) id = s.gen.uuid4();
  return id;
}

ApiResponse store_and_answer(State& s, Record record, int status, bool applied) {
  ApiResponse resp = json_response(status, to_json(record));
  resp.applied = applied;
  s.store.upsert(std::move(record));
  return resp;
}

ApiResponse read_only() { return json_response(403, detail_json("Invoice integrations are read-only.")); }

}  // namespace

ApiResponse create_integration(State& s, const ApiRequest& r) {
  rapidjson::Document doc;
  if (auto refused = parse_body(r, doc)) return *refused;
  WriteContext ctx{WriteMode::create, nullptr, &s.store, s.origin, [&s] { return unused_uuid(s); }, &s.extra_fields};
  WriteResult result = build_record(doc, ctx);
  if (!result.errors.empty()) return json_response(400, result.errors.to_json());
  return store_and_answer(s, std::move(result.record), 201, true);
}

ApiResponse update_integration(State& s, const ApiRequest& r, const Record& current, bool partial) {
  if (current.type == 2) return read_only();
  rapidjson::Document doc;
  if (auto refused = parse_body(r, doc)) return *refused;
  WriteContext ctx{partial ? WriteMode::patch : WriteMode::replace, &current, &s.store, s.origin, {}, &s.extra_fields};
  WriteResult result = build_record(doc, ctx);
  if (!result.errors.empty()) return json_response(400, result.errors.to_json());
  ApiResponse resp = json_response(200, to_json(result.record));
  resp.applied = result.record.json != current.json || result.record.extra != current.extra;
  std::string old_id = current.id, new_id = result.record.id;
  s.store.replace(old_id, std::move(result.record));  // a new id: renamed in place
  integration_renamed(s, old_id, new_id);
  return resp;
}

ApiResponse delete_integration(State& s, const Record& current) {
  if (current.type == 1) return json_response(403, detail_json("The web app integration can not be deleted."));
  if (current.type == 2) return read_only();
  std::string id = current.id;
  s.store.erase(id);
  integration_removed(s, id);
  ApiResponse resp = empty_response(204);
  resp.applied = true;
  return resp;
}

}  // namespace gigasync::sandbox
