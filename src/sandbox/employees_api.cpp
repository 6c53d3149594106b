// /v2/employees/: list (timestamp filters, search), register, retrieve, update (PATCH), replace
// (PUT), delete. Edits stamp no time and send no event (the documents name none).
// Choices where the documents are silent:
//  - country: an ISO-3166 code as 2 or 3 upper-case letters ("SWE", "SE"); otherwise
//    "\"x\" is not a valid choice." (DRF's ChoiceField message).
//  - PUT without `id` keeps the id (the documents' "default uuid4()" for PUT is read as the
//    create table copied); PUT resets cellphone_number to null and metadata to {}.
//  - DELETE of an employee with payouts: 400 {"non_field_errors": [...]}.
#include "sandbox/account_api.h"
#include "sandbox/account_fields.h"
#include "sandbox/account_list.h"

namespace gigasync::sandbox {
namespace {

using rapidjson::Value;

constexpr const char* kListAllow = "GET, POST, HEAD, OPTIONS";
constexpr const char* kDetailAllow = "GET, PUT, PATCH, DELETE, HEAD, OPTIONS";
constexpr TimeField<Employee> kTimes[] = {{"created_at", &Employee::created_at},
                                          {"notified_at", &Employee::notified_at},
                                          {"claimed_at", &Employee::claimed_at},
                                          {"verified_at", &Employee::verified_at}};

bool valid_country(std::string_view c) {
  if (c.size() != 2 && c.size() != 3) return false;
  for (char ch : c) {
    if (ch < 'A' || ch > 'Z') return false;
  }
  return true;
}

// The writable fields but id, into `e` (the current employee for patch and replace).
void read_employee(const Value& body, WriteMode mode, const std::vector<std::string>& extras, Employee& e,
                   FieldErrors& errs) {
  take_text(body, "name", true, mode, e.name, errs);
  take_email(body, "email", mode, e.email, errs);
  take_nullable_text(body, "cellphone_number", mode, e.cellphone_number, errs);
  std::string country = e.country;
  if (take_text(body, "country", true, mode, country, errs)) {
    if (valid_country(country)) e.country = country;
    else errs.add("country", not_a_choice(country));
  }
  take_metadata(body, mode, e.metadata, errs);
  take_extras(body, extras, mode, e.extra, errs);
}

void check_free_id(const Table<Employee>& t, const std::optional<std::string>& id, Serial self, FieldErrors& errs) {
  if (!id) return;
  Serial holder = t.serial_of(*id);
  if (holder != kNoSerial && holder != self) errs.add("id", "employee with this id already exists.");
}

ApiResponse list(AccountCall& c) {
  FieldErrors errs;
  auto times = time_filters(c.query, kTimes, errs);
  if (!errs.empty()) return json_response(400, errs.to_json());
  auto terms = search_terms(c.query);
  auto match = [&](const Employee& e) {
    if (!matches_all(times, e)) return false;
    return terms.empty() ||
           search_matches(terms, {fold_case(e.name), fold_case(e.email), fold_case(e.cellphone_number.value_or(""))});
  };
  return list_page(c.account.employees, match, append_employee, c.ctx(), c.query, c.link_base("employees"),
                   c.s.max_page_size);
}

ApiResponse create(AccountCall& c) {
  rapidjson::Document doc;
  if (auto refused = parse_body(c.r, doc)) return *refused;
  FieldErrors errs;
  auto id = take_id(doc, errs);
  check_free_id(c.account.employees, id, kNoSerial, errs);
  Employee e;
  read_employee(doc, WriteMode::create, c.s.extra_fields, e, errs);
  if (!errs.empty()) return json_response(400, errs.to_json());
  e.id = id ? *id : unused_id(c.account.employees, c.s.gen);
  auto scope = c.scope();
  Serial s = add_employee(scope, std::move(e));
  return written(201, object_json(append_employee, c.account.employees.at(s), c.ctx()));
}

ApiResponse update(AccountCall& c, Serial s, bool partial) {
  rapidjson::Document doc;
  if (auto refused = parse_body(c.r, doc)) return *refused;
  auto& table = c.account.employees;
  FieldErrors errs;
  auto id = take_id(doc, errs);
  check_free_id(table, id, s, errs);
  Employee next = table.at(s);
  read_employee(doc, partial ? WriteMode::patch : WriteMode::replace, c.s.extra_fields, next, errs);
  if (!errs.empty()) return json_response(400, errs.to_json());
  std::string before = object_json(append_employee, table.at(s), c.ctx());
  table.at(s) = std::move(next);
  if (id && *id != table.at(s).id) table.rename(s, *id);
  ApiResponse resp = json_response(200, object_json(append_employee, table.at(s), c.ctx()));
  resp.applied = resp.body != before;
  return resp;
}

ApiResponse remove(AccountCall& c, Serial s) {
  if (c.account.employees.at(s).payouts > 0) {
    return json_response(400, non_field_error_json("An employee with payouts can not be deleted."));
  }
  c.account.employees.erase(s);
  ApiResponse resp = empty_response(204);
  resp.applied = true;
  return resp;
}

}  // namespace

ApiResponse employees_route(AccountCall& c, const std::string& id, const std::string& action) {
  const std::string& m = c.r.method;
  if (id.empty()) {
    if (c.reading()) return list(c);
    if (m == "POST") return create(c);
    if (m == "OPTIONS") return options_response("Employee List", kListAllow);
    return not_allowed(m, kListAllow);
  }
  if (!action.empty()) return not_found();
  if (m == "OPTIONS") return options_response("Employee Instance", kDetailAllow);
  if (!c.reading() && m != "PUT" && m != "PATCH" && m != "DELETE") return not_allowed(m, kDetailAllow);
  Serial s = c.account.employees.serial_of(id);
  if (s == kNoSerial) return not_found();
  if (m == "PUT" || m == "PATCH") return update(c, s, m == "PATCH");
  if (m == "DELETE") return remove(c, s);
  return json_response(200, object_json(append_employee, c.account.employees.at(s), c.ctx()));
}

}  // namespace gigasync::sandbox
