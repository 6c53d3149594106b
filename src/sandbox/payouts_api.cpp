// /v2/payouts/: list (timestamp filters, employee / payrun / invoice, search), register one or
// many (a JSON array: all or nothing), retrieve, delete. Payouts can not be edited: PUT and PATCH
// are 405 with an Allow header.
// Choices where the documents are silent:
//  - Exactly one of amount, invoiced_amount, cost (none or several: 400 non_field_errors,
//    checked after the fields, as DRF's validate() runs only when every field is valid); each a
//    decimal of at most 2 places, at least 0.01. The other two are priced (money.h).
//  - currency: 3 upper-case letters. employee: the id of an employee of this integration
//    ("Object with id=X does not exist." as DRF's SlugRelatedField says); an inline employee
//    object (?expand=employee) is not served: "Invalid value.".
//  - A payout joins the open payrun of its currency; a batch's errors are a list with one object
//    per item ({} for the valid ones), as DRF's ListSerializer answers.
//  - Filters employee, payrun, invoice (= payrun) naming no object: 400 "Select a valid choice.
//    That choice is not one of the available choices." (django-filter's ModelChoiceFilter).
//  - DELETE of a payout whose payrun is paid: 400 non_field_errors.
#include <set>

#include "sandbox/account_api.h"
#include "sandbox/account_fields.h"
#include "sandbox/account_list.h"

namespace gigasync::sandbox {
namespace {

using rapidjson::Value;

constexpr const char* kListAllow = "GET, POST, HEAD, OPTIONS";
constexpr const char* kDetailAllow = "GET, DELETE, HEAD, OPTIONS";
constexpr TimeField<Payout> kTimes[] = {
    {"start_at", &Payout::start_at},       {"end_at", &Payout::end_at},
    {"created_at", &Payout::created_at},   {"notified_at", &Payout::notified_at},
    {"accepted_at", &Payout::accepted_at}, {"canceled_at", &Payout::canceled_at}};
constexpr const char* kNoChoice = "Select a valid choice. That choice is not one of the available choices.";

bool valid_currency(std::string_view c) {
  return c.size() == 3 && std::all_of(c.begin(), c.end(), [](char ch) { return ch >= 'A' && ch <= 'Z'; });
}

// The payout's basis: exactly one of the three money fields.
void read_money_fields(const Value& body, Payout& p, FieldErrors& errs) {
  static constexpr std::pair<const char*, PriceBasis> kBases[] = {{"amount", PriceBasis::amount},
                                                                  {"invoiced_amount", PriceBasis::invoiced_amount},
                                                                  {"cost", PriceBasis::cost}};
  int given = 0;
  PriceBasis basis = PriceBasis::invoiced_amount;
  Cents value = 0;
  for (const auto& [name, b] : kBases) {
    auto it = body.FindMember(name);
    if (it == body.MemberEnd() || it->value.IsNull()) continue;
    MoneyRead m = read_money(it->value);
    if (!m.value) errs.add(name, m.error);
    else if (*m.value < 1) errs.add(name, "Ensure this value is greater than or equal to 0.01.");
    ++given;
    basis = b;
    value = m.value.value_or(0);
  }
  if (!errs.empty()) return;
  if (given == 0) return errs.add("non_field_errors", "Either amount, invoiced_amount or cost is required.");
  if (given > 1) return errs.add("non_field_errors", "Only one of amount, invoiced_amount and cost may be given.");
  Pricing price = price_payout(basis, value);
  p.amount = price.amount;
  p.invoiced_amount = price.invoiced_amount;
  p.cost = price.cost;
  p.full_salary_specification = price.full_salary_specification;
}

void read_employee_ref(const Value& body, const Account& a, Payout& p, FieldErrors& errs) {
  auto it = body.FindMember("employee");
  if (it == body.MemberEnd()) return errs.add("employee", "This field is required.");
  if (it->value.IsNull()) return errs.add("employee", "This field may not be null.");
  if (it->value.IsObject() || it->value.IsArray() || it->value.IsBool()) return errs.add("employee", "Invalid value.");
  auto id = read_text(it->value, "employee", errs);
  if (!id) return;
  p.employee = a.employees.serial_of(*id);
  if (p.employee == kNoSerial) errs.add("employee", "Object with id=" + *id + " does not exist.");
}

// One payout of a create, validated against the table and the ids earlier in the same batch.
FieldErrors read_payout(AccountCall& c, const Value& body, std::set<std::string>& batch_ids, Payout& p) {
  FieldErrors errs;
  if (!body.IsObject()) {
    errs.add("non_field_errors", std::string("Invalid data. Expected a dictionary, but got ") + python_type_name(body) + ".");
    return errs;
  }
  auto id = take_id(body, errs);
  if (id && (c.account.payouts.find(*id) || batch_ids.count(*id))) errs.add("id", "payout with this id already exists.");
  std::string currency, description;
  if (take_text(body, "currency", true, WriteMode::create, currency, errs) && !valid_currency(currency)) {
    errs.add("currency", not_a_choice(currency));
  }
  take_text(body, "description", true, WriteMode::create, description, errs);
  read_employee_ref(body, c.account, p, errs);
  take_metadata(body, WriteMode::create, p.metadata, errs);
  take_datetime(body, "start_at", WriteMode::create, p.start_at, errs);
  take_datetime(body, "end_at", WriteMode::create, p.end_at, errs);
  take_extras(body, c.s.extra_fields, WriteMode::create, p.extra, errs);
  read_money_fields(body, p, errs);
  if (!errs.empty()) return errs;
  std::copy(currency.begin(), currency.end(), p.currency.begin());
  p.description = c.s.accounts.strings().intern(description);
  p.id = id ? *id : unused_id(c.account.payouts, c.s.gen);
  while (batch_ids.count(p.id)) p.id = unused_id(c.account.payouts, c.s.gen);
  batch_ids.insert(p.id);
  return errs;
}

ApiResponse create(AccountCall& c) {
  rapidjson::Document doc;
  if (auto refused = parse_body(c.r, doc, true)) return *refused;
  std::vector<Payout> payouts;
  std::set<std::string> batch_ids;
  std::string errors = "[";
  bool failed = false;
  auto read_one = [&](const Value& item) {
    Payout p;
    FieldErrors errs = read_payout(c, item, batch_ids, p);
    failed |= !errs.empty();
    errors += (errors.size() > 1 ? "," : "") + errs.to_json();
    payouts.push_back(std::move(p));
  };
  if (doc.IsArray()) {
    for (const auto& item : doc.GetArray()) read_one(item);
  } else {
    read_one(doc);
  }
  if (failed) return json_response(400, doc.IsArray() ? errors + "]" : errors.substr(1));
  auto scope = c.scope();
  std::string body = "[";
  for (auto& p : payouts) {
    Serial s = add_payout(scope, std::move(p));
    if (body.size() > 1) body += ',';
    append_payout(body, c.account.payouts.at(s), c.ctx());
  }
  return written(201, doc.IsArray() ? body + "]" : body.substr(1));
}

// A relational filter: absent = off; an unknown id = 400.
bool relation(AccountCall& c, const char* name, Serial (*lookup)(const Account&, const std::string&),
              std::optional<Serial>& out, FieldErrors& errs) {
  auto v = query_value(c.query, name);
  if (!v || v->empty()) return true;
  Serial s = lookup(c.account, *v);
  if (s == kNoSerial) {
    errs.add(name, kNoChoice);
    return false;
  }
  out = s;
  return true;
}

ApiResponse list(AccountCall& c) {
  FieldErrors errs;
  auto times = time_filters(c.query, kTimes, errs);
  std::optional<Serial> employee, payrun, invoice;
  relation(c, "employee", [](const Account& a, const std::string& id) { return a.employees.serial_of(id); }, employee, errs);
  relation(c, "payrun", [](const Account& a, const std::string& id) { return a.payruns.serial_of(id); }, payrun, errs);
  relation(c, "invoice", [](const Account& a, const std::string& id) { return a.payruns.serial_of(id); }, invoice, errs);
  if (!errs.empty()) return json_response(400, errs.to_json());
  auto terms = search_terms(c.query);
  const StringPool& strings = c.s.accounts.strings();
  auto match = [&](const Payout& p) {
    if (employee && p.employee != *employee) return false;
    if (payrun && p.payrun != *payrun) return false;
    if (invoice && p.payrun != *invoice) return false;
    if (!matches_all(times, p)) return false;
    if (terms.empty()) return true;
    std::vector<std::string> fields{fold_case(strings.text(p.description))};
    if (c.account.employees.alive(p.employee)) {
      const Employee& e = c.account.employees.at(p.employee);
      fields.push_back(fold_case(e.name));
      fields.push_back(fold_case(e.email));
      fields.push_back(fold_case(e.cellphone_number.value_or("")));
    }
    return search_matches(terms, fields);
  };
  return list_page(c.account.payouts, match, append_payout, c.ctx(), c.query, c.link_base("payouts"),
                   c.s.max_page_size);
}

ApiResponse remove(AccountCall& c, Serial s) {
  Serial run = c.account.payouts.at(s).payrun;
  if (c.account.payruns.alive(run) && c.account.payruns.at(run).paid_at != kNever) {
    return json_response(400, non_field_error_json("A payout in a paid payrun can not be deleted."));
  }
  remove_payout(c.account, s);
  ApiResponse resp = empty_response(204);
  resp.applied = true;
  return resp;
}

}  // namespace

ApiResponse payouts_route(AccountCall& c, const std::string& id, const std::string& action) {
  const std::string& m = c.r.method;
  if (id.empty()) {
    if (c.reading()) return list(c);
    if (m == "POST") return create(c);
    if (m == "OPTIONS") return options_response("Payout List", kListAllow);
    return not_allowed(m, kListAllow);
  }
  if (!action.empty()) return not_found();
  if (m == "OPTIONS") return options_response("Payout Instance", kDetailAllow);
  if (!c.reading() && m != "DELETE") return not_allowed(m, kDetailAllow);
  Serial s = c.account.payouts.serial_of(id);
  if (s == kNoSerial) return not_found();
  if (m == "DELETE") return remove(c, s);
  return json_response(200, object_json(append_payout, c.account.payouts.at(s), c.ctx()));
}

}  // namespace gigasync::sandbox
