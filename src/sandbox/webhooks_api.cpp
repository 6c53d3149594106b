// /v2/webhooks/: list, register, retrieve, update (PATCH), replace (PUT), delete; per integration
// (the Integration-ID header), ids unique per integration.
// Choices where the documents are silent:
//  - url: http:// or https:// with a host, no spaces, at most 200 characters (Django's URLField);
//    otherwise "Enter a valid URL.".
//  - events: a non-empty list of event names (account_moves.h: subscribable_events); an unknown
//    name: "\"X\" is not a valid choice."; an empty list: "This list may not be empty.".
//  - secret_key: default 32 random characters [a-z0-9] (the documents' example keys), also on a
//    PUT without it (the documents' replace example shows a new key).
#include <algorithm>

#include "sandbox/account_api.h"
#include "sandbox/account_fields.h"
#include "sandbox/account_list.h"

namespace gigasync::sandbox {
namespace {

using rapidjson::Value;

constexpr const char* kListAllow = "GET, POST, HEAD, OPTIONS";
constexpr const char* kDetailAllow = "GET, PUT, PATCH, DELETE, HEAD, OPTIONS";

bool valid_url(std::string_view url) {
  std::string_view rest;
  if (url.starts_with("http://")) rest = url.substr(7);
  else if (url.starts_with("https://")) rest = url.substr(8);
  else return false;
  if (url.size() > 200 || url.find_first_of(" \t\r\n") != std::string_view::npos) return false;
  auto host_end = rest.find_first_of("/?#");
  std::string_view host = rest.substr(0, host_end);
  return !host.empty() && host.front() != ':';
}

void read_url(const Value& body, WriteMode mode, std::string& out, FieldErrors& errs) {
  std::string url = out;
  if (!take_text(body, "url", true, mode, url, errs)) return;
  if (!valid_url(url)) return errs.add("url", "Enter a valid URL.");
  out = std::move(url);
}

void read_events(const Value& body, WriteMode mode, std::vector<std::string>& out, FieldErrors& errs) {
  auto it = body.FindMember("events");
  if (it == body.MemberEnd()) {
    if (mode != WriteMode::patch) errs.add("events", "This field is required.");
    return;
  }
  const Value& v = it->value;
  if (v.IsNull()) return errs.add("events", "This field may not be null.");
  if (!v.IsArray()) {
    return errs.add("events", std::string("Expected a list of items but got type \"") + python_type_name(v) + "\".");
  }
  if (v.Empty()) return errs.add("events", "This list may not be empty.");
  std::vector<std::string> events;
  const auto& known = subscribable_events();
  bool ok = true;
  for (const auto& item : v.GetArray()) {
    std::string name = item.IsString() ? std::string(item.GetString(), item.GetStringLength()) : to_json_text(item);
    if (!item.IsString() || std::find(known.begin(), known.end(), name) == known.end()) {
      errs.add("events", not_a_choice(name));
      ok = false;
    } else {
      events.push_back(std::move(name));
    }
  }
  if (ok) out = std::move(events);
}

void read_webhook(AccountCall& c, const Value& body, WriteMode mode, Webhook& w, FieldErrors& errs) {
  read_url(body, mode, w.url, errs);
  read_events(body, mode, w.events, errs);
  if (body.HasMember("secret_key")) take_text(body, "secret_key", false, mode, w.secret_key, errs);
  else if (mode != WriteMode::patch) w.secret_key = random_code(c.s.gen, 32, false);
  take_metadata(body, mode, w.metadata, errs);
  take_extras(body, c.s.extra_fields, mode, w.extra, errs);
}

void check_free_id(const Table<Webhook>& t, const std::optional<std::string>& id, Serial self, FieldErrors& errs) {
  if (!id) return;
  Serial holder = t.serial_of(*id);
  if (holder != kNoSerial && holder != self) errs.add("id", "webhook with this id already exists.");
}

ApiResponse create(AccountCall& c) {
  rapidjson::Document doc;
  if (auto refused = parse_body(c.r, doc)) return *refused;
  FieldErrors errs;
  auto id = take_id(doc, errs);
  check_free_id(c.account.webhooks, id, kNoSerial, errs);
  Webhook w;
  read_webhook(c, doc, WriteMode::create, w, errs);
  if (!errs.empty()) return json_response(400, errs.to_json());
  w.id = id ? *id : unused_id(c.account.webhooks, c.s.gen);
  Serial s = c.account.webhooks.insert(std::move(w));
  return written(201, object_json(append_webhook, c.account.webhooks.at(s), c.ctx()));
}

ApiResponse update(AccountCall& c, Serial s, bool partial) {
  rapidjson::Document doc;
  if (auto refused = parse_body(c.r, doc)) return *refused;
  auto& table = c.account.webhooks;
  FieldErrors errs;
  auto id = take_id(doc, errs);
  check_free_id(table, id, s, errs);
  Webhook next = table.at(s);
  read_webhook(c, doc, partial ? WriteMode::patch : WriteMode::replace, next, errs);
  if (!errs.empty()) return json_response(400, errs.to_json());
  std::string before = object_json(append_webhook, table.at(s), c.ctx());
  table.at(s) = std::move(next);
  if (id && *id != table.at(s).id) table.rename(s, *id);
  ApiResponse resp = json_response(200, object_json(append_webhook, table.at(s), c.ctx()));
  resp.applied = resp.body != before;
  return resp;
}

ApiResponse list(AccountCall& c) {
  return list_page(c.account.webhooks, [](const Webhook&) { return true; }, append_webhook, c.ctx(), c.query,
                   c.link_base("webhooks"), c.s.max_page_size);
}

}  // namespace

ApiResponse webhooks_route(AccountCall& c, const std::string& id, const std::string& action) {
  const std::string& m = c.r.method;
  if (id.empty()) {
    if (c.reading()) return list(c);
    if (m == "POST") return create(c);
    if (m == "OPTIONS") return options_response("Webhook List", kListAllow);
    return not_allowed(m, kListAllow);
  }
  if (!action.empty()) return not_found();
  if (m == "OPTIONS") return options_response("Webhook Instance", kDetailAllow);
  if (!c.reading() && m != "PUT" && m != "PATCH" && m != "DELETE") return not_allowed(m, kDetailAllow);
  Serial s = c.account.webhooks.serial_of(id);
  if (s == kNoSerial) return not_found();
  if (m == "PUT" || m == "PATCH") return update(c, s, m == "PATCH");
  if (m == "DELETE") {
    c.account.webhooks.erase(s);
    ApiResponse resp = empty_response(204);
    resp.applied = true;
    return resp;
  }
  return json_response(200, object_json(append_webhook, c.account.webhooks.at(s), c.ctx()));
}

}  // namespace gigasync::sandbox
