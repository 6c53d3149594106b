// /v2/payruns/: list (created_at, paid_at filters; open), retrieve, update (PATCH: id, metadata),
// close (POST .../close/), delete. Payruns are managed objects: POST to the list is 405.
// Choices where the documents are silent:
//  - close answers 204 with no body (the documents: "returns an empty response") and is
//    idempotent: closing a closed payrun changes nothing and answers 204 again.
//  - PUT is 405 (only PATCH is documented). A rename stamps nothing and sends no event; the
//    payouts' payrun and invoice fields show the new id.
//  - DELETE of a paid payrun: 400 non_field_errors; otherwise its payouts and its invoice go
//    with it.
#include "sandbox/account_api.h"
#include "sandbox/account_fields.h"
#include "sandbox/account_list.h"

namespace gigasync::sandbox {
namespace {

constexpr const char* kListAllow = "GET, HEAD, OPTIONS";
constexpr const char* kDetailAllow = "GET, PATCH, DELETE, HEAD, OPTIONS";
constexpr const char* kCloseAllow = "POST, OPTIONS";
constexpr TimeField<Payrun> kTimes[] = {{"created_at", &Payrun::created_at}, {"paid_at", &Payrun::paid_at}};

ApiResponse list(AccountCall& c) {
  FieldErrors errs;
  auto times = time_filters(c.query, kTimes, errs);
  if (!errs.empty()) return json_response(400, errs.to_json());
  auto open = query_bool(c.query, "open");
  auto match = [&](const Payrun& p) { return (!open || p.open == *open) && matches_all(times, p); };
  return list_page(c.account.payruns, match, append_payrun, c.ctx(), c.query, c.link_base("payruns"),
                   c.s.max_page_size);
}

ApiResponse update(AccountCall& c, Serial s) {
  rapidjson::Document doc;
  if (auto refused = parse_body(c.r, doc)) return *refused;
  auto& table = c.account.payruns;
  FieldErrors errs;
  auto id = take_id(doc, errs);
  if (id) {
    Serial holder = table.serial_of(*id);
    if (holder != kNoSerial && holder != s) errs.add("id", "payrun with this id already exists.");
  }
  Payrun next = table.at(s);
  take_metadata(doc, WriteMode::patch, next.metadata, errs);
  take_extras(doc, c.s.extra_fields, WriteMode::patch, next.extra, errs);
  if (!errs.empty()) return json_response(400, errs.to_json());
  std::string before = object_json(append_payrun, table.at(s), c.ctx());
  table.at(s) = std::move(next);
  if (id && *id != table.at(s).id) table.rename(s, *id);
  ApiResponse resp = json_response(200, object_json(append_payrun, table.at(s), c.ctx()));
  resp.applied = resp.body != before;
  return resp;
}

ApiResponse remove(AccountCall& c, Serial s) {
  if (c.account.payruns.at(s).paid_at != kNever) {
    return json_response(400, non_field_error_json("A paid payrun can not be deleted."));
  }
  remove_payrun(c.account, s);
  ApiResponse resp = empty_response(204);
  resp.applied = true;
  return resp;
}

ApiResponse close(AccountCall& c, Serial s) {
  bool was_open = c.account.payruns.at(s).open;
  auto scope = c.scope();
  close_payrun(scope, s);
  ApiResponse resp = empty_response(204);
  resp.applied = was_open;
  return resp;
}

}  // namespace

ApiResponse payruns_route(AccountCall& c, const std::string& id, const std::string& action) {
  const std::string& m = c.r.method;
  if (id.empty()) {
    if (c.reading()) return list(c);
    if (m == "OPTIONS") return options_response("Payrun List", kListAllow);
    return not_allowed(m, kListAllow);
  }
  if (!action.empty()) {
    if (action != "close") return not_found();
    if (m == "OPTIONS") return options_response("Payrun Close", kCloseAllow);
    if (m != "POST") return not_allowed(m, kCloseAllow);
  } else {
    if (m == "OPTIONS") return options_response("Payrun Instance", kDetailAllow);
    if (!c.reading() && m != "PATCH" && m != "DELETE") return not_allowed(m, kDetailAllow);
  }
  Serial s = c.account.payruns.serial_of(id);
  if (s == kNoSerial) return not_found();
  if (!action.empty()) return close(c, s);
  if (m == "PATCH") return update(c, s);
  if (m == "DELETE") return remove(c, s);
  return json_response(200, object_json(append_payrun, c.account.payruns.at(s), c.ctx()));
}

}  // namespace gigasync::sandbox
