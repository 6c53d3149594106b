// /_sandbox/: the test and user back door. Not subject to faults, not in the request log.
#include <algorithm>
#include "sandbox/account_admin.h"
#include "sandbox/json_text.h"
#include "sandbox/server_impl.h"

namespace gigasync::sandbox {
namespace {

constexpr std::string_view kIntegrations = "/_sandbox/integrations/";

std::optional<ApiResponse> parse_object(const std::string& body, rapidjson::Document& doc) {
  doc.Parse<rapidjson::kParseValidateEncodingFlag>(body.data(), body.size());
  if (doc.HasParseError()) return json_response(400, detail_json("JSON parse error."));
  if (!doc.IsObject()) return json_response(400, non_field_error_json("Expected a JSON object."));
  return std::nullopt;
}

}  // namespace

Record record_as_is(const rapidjson::Value& body, const std::string& id, FieldErrors& errors) {
  auto id_member = body.FindMember("id");
  if (id_member != body.MemberEnd() && !(id_member->value.IsString() && id_member->value.GetString() == id)) {
    errors.add("id", "Does not match the URL.");
  }
  auto type = body.FindMember("type");
  if (type == body.MemberEnd()) errors.add("type", "This field is required.");
  else if (!type->value.IsInt()) errors.add("type", "A valid integer is required.");
  Record r = make_record(id, errors.empty() ? type->value.GetInt() : 3);
  for (std::size_t f = kName; f < kFieldCount; ++f) {
    auto m = body.FindMember(kFieldNames[f]);
    if (f != kType && m != body.MemberEnd()) r.json[f] = to_json_text(m->value);
  }
  for (const auto& m : body.GetObject()) {
    std::string name(m.name.GetString(), m.name.GetStringLength());
    if (std::find(kFieldNames.begin(), kFieldNames.end(), name) == kFieldNames.end())
      r.extra.emplace_back(std::move(name), to_json_text(m.value));
  }
  return r;
}

void add_missing_extras(Record& r, const std::vector<std::string>& extra_fields) {
  for (const auto& name : extra_fields)
    if (std::none_of(r.extra.begin(), r.extra.end(), [&](const auto& e) { return e.first == name; }))
      r.extra.emplace_back(name, "\"\"");
}

ApiResponse Server::Impl::serve_admin(const ApiRequest& r) {
  std::string path = r.path.back() == '/' ? r.path : r.path + "/";
  if (path == "/_sandbox/requests/") {
    return r.method == "GET" ? json_response(200, log.all_json()) : not_allowed(r.method, "GET");
  }
  if (path == "/_sandbox/faults/") return admin_faults(r);
  if (path == "/_sandbox/clock/") return admin_clock(r);
  if (path == "/_sandbox/webhook-deliveries/") return admin_deliveries(r);
  if (path.starts_with(kIntegrations)) {
    std::string id = path.substr(kIntegrations.size(), path.size() - kIntegrations.size() - 1);
    if (id.find('/') == std::string::npos) return admin_integrations(r, id);
    std::lock_guard lock(mu);
    return admin_account(state, r, std::string_view(path).substr(kIntegrations.size()));
  }
  return json_response(404, detail_json("Not found."));
}

ApiResponse Server::Impl::admin_faults(const ApiRequest& r) {
  if (r.method == "GET") return json_response(200, faults_json(faults.get()));
  if (r.method != "POST") return not_allowed(r.method, "GET, POST");
  rapidjson::Document doc;
  if (auto refused = parse_object(r.body, doc)) return *refused;
  Faults f = faults.get();
  FieldErrors errors;
  update_faults(doc, f, errors);
  if (!errors.empty()) return json_response(400, errors.to_json());
  faults.set(f);
  return json_response(200, faults_json(f));
}

namespace {

std::string clock_json(const SandboxClock& clock) {
  std::string now;
  append_time(now, clock.now());
  return "{\"now\":" + now + ",\"offset_s\":" + std::to_string(clock.offset_us() / 1'000'000) +
         ",\"offset_us\":" + std::to_string(clock.offset_us()) + "}";
}

}  // namespace

// GET: the clock. POST {"offset_s": N} (or "offset_us"): steps it by N (negative: backward).
ApiResponse Server::Impl::admin_clock(const ApiRequest& r) {
  if (r.method == "GET") return json_response(200, clock_json(state.clock));
  if (r.method != "POST") return not_allowed(r.method, "GET, POST");
  rapidjson::Document doc;
  if (auto refused = parse_object(r.body, doc)) return *refused;
  std::int64_t delta = 0;
  FieldErrors errors;
  for (const auto& m : doc.GetObject()) {
    std::string name(m.name.GetString(), m.name.GetStringLength());
    if (name == "offset_s" && m.value.IsInt64()) delta += m.value.GetInt64() * 1'000'000;
    else if (name == "offset_us" && m.value.IsInt64()) delta += m.value.GetInt64();
    else errors.add(name, name == "offset_s" || name == "offset_us" ? "Expected an integer." : "Unknown field.");
  }
  if (!errors.empty()) return json_response(400, errors.to_json());
  state.clock.step(delta);
  return json_response(200, clock_json(state.clock));
}

// GET: every delivery attempt; DELETE: forget them. GET ?pending=1 answers {"pending": N}.
ApiResponse Server::Impl::admin_deliveries(const ApiRequest& r) {
  if (r.method == "DELETE") {
    webhooks.clear_log();
    return empty_response(204);
  }
  if (r.method != "GET") return not_allowed(r.method, "GET, DELETE");
  if (r.query.find("pending") != std::string::npos) {
    return json_response(200, "{\"pending\":" + std::to_string(webhooks.pending()) + "}");
  }
  return json_response(200, webhooks.log_json());
}

ApiResponse Server::Impl::admin_integrations(const ApiRequest& r, const std::string& id) {
  std::lock_guard lock(mu);
  if (id.empty()) return r.method == "GET" ? json_response(200, all_json(state.store)) : not_allowed(r.method, "GET");
  if (r.method == "DELETE") {
    if (!state.store.erase(id)) return json_response(404, detail_json("Not found."));
    integration_removed(state, id);
    return empty_response(204);
  }
  if (r.method == "GET") {
    const Record* rec = state.store.find(id);
    return rec ? json_response(200, to_json(*rec)) : json_response(404, detail_json("Not found."));
  }
  if (r.method != "PUT") return not_allowed(r.method, "GET, PUT, DELETE");
  rapidjson::Document doc;
  if (auto refused = parse_object(r.body, doc)) return *refused;
  FieldErrors errors;
  Record rec = record_as_is(doc, id, errors);
  if (!errors.empty()) return json_response(400, errors.to_json());
  add_missing_extras(rec, state.extra_fields);
  int status = state.store.find(id) ? 200 : 201;
  std::string body = to_json(rec);
  state.store.upsert(std::move(rec));
  return json_response(status, body);
}

}  // namespace gigasync::sandbox
