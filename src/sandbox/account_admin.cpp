#include "sandbox/account_admin.h"

#include <algorithm>
#include <span>
#include <vector>

#include "sandbox/account_api.h"
#include "sandbox/account_json.h"
#include "sandbox/account_moves.h"
#include "sandbox/json_text.h"

namespace gigasync::sandbox {
namespace {

using rapidjson::Value;

// Sets one field of an object as given; false when the JSON value has the wrong type.
template <class T>
using Setter = bool (*)(T&, const Value&, AccountStore&);

template <class T>
struct AdminField {
  const char* name;
  Setter<T> set;
};

using Move = std::optional<ApiResponse> (*)(AccountScope&, Serial);
struct AdminMove {
  const char* name;
  Move run;
};

template <class T>
struct AdminSpec {
  Table<T> Account::*table;
  void (*append)(std::string&, const T&, const RenderContext&);
  std::span<const AdminField<T>> fields;
  void (*remove)(Account&, Serial);
  std::span<const AdminMove> moves;
};

std::string text_of(const Value& v) { return {v.GetString(), v.GetStringLength()}; }

template <class T, std::string T::*M>
bool set_text(T& o, const Value& v, AccountStore&) {
  if (!v.IsString()) return false;
  o.*M = text_of(v);
  return true;
}

template <class T, std::optional<std::string> T::*M>
bool set_nullable(T& o, const Value& v, AccountStore&) {
  if (v.IsNull()) o.*M = std::nullopt;
  else if (v.IsString()) o.*M = text_of(v);
  else return false;
  return true;
}

template <class T>
bool set_metadata(T& o, const Value& v, AccountStore&) {
  if (!v.IsObject()) return false;
  o.metadata = to_json_text(v);
  return true;
}

template <class T, UnixMicros T::*M>
bool set_time(T& o, const Value& v, AccountStore&) {
  if (v.IsNull()) {
    o.*M = kNever;
    return true;
  }
  auto t = v.IsString() ? parse_iso8601(text_of(v)) : std::nullopt;
  if (t) o.*M = *t;
  return t.has_value();
}

template <class T>
bool set_status(T& o, const Value& v, AccountStore& store) {
  if (!v.IsString()) return false;
  o.latest_status = store.strings().intern(text_of(v));
  return true;
}

bool set_description(Payout& p, const Value& v, AccountStore& store) {
  if (!v.IsString()) return false;
  p.description = store.strings().intern(text_of(v));
  return true;
}

bool set_open(Payrun& p, const Value& v, AccountStore&) {
  if (!v.IsBool()) return false;
  p.open = v.GetBool();
  return true;
}

bool set_due_date(Invoice& i, const Value& v, AccountStore&) {
  if (v.IsNull()) {
    i.due_date = kNoDate;
    return true;
  }
  auto day = v.IsString() ? parse_date(text_of(v)) : std::nullopt;
  if (day) i.due_date = *day;
  return day.has_value();
}

bool set_events(Webhook& w, const Value& v, AccountStore&) {
  if (!v.IsArray()) return false;
  std::vector<std::string> events;
  for (const auto& e : v.GetArray()) {
    if (!e.IsString()) return false;
    events.push_back(text_of(e));
  }
  w.events = std::move(events);
  return true;
}

constexpr AdminField<Employee> kEmployeeFields[] = {
    {"name", set_text<Employee, &Employee::name>},
    {"email", set_text<Employee, &Employee::email>},
    {"cellphone_number", set_nullable<Employee, &Employee::cellphone_number>},
    {"country", set_text<Employee, &Employee::country>},
    {"latest_status", set_status<Employee>},
    {"metadata", set_metadata<Employee>},
    {"created_at", set_time<Employee, &Employee::created_at>},
    {"notified_at", set_time<Employee, &Employee::notified_at>},
    {"claimed_at", set_time<Employee, &Employee::claimed_at>},
    {"verified_at", set_time<Employee, &Employee::verified_at>},
    {"invitation_code", set_nullable<Employee, &Employee::invitation_code>}};
constexpr AdminField<Payout> kPayoutFields[] = {
    {"description", set_description},
    {"latest_status", set_status<Payout>},
    {"metadata", set_metadata<Payout>},
    {"start_at", set_time<Payout, &Payout::start_at>},
    {"end_at", set_time<Payout, &Payout::end_at>},
    {"created_at", set_time<Payout, &Payout::created_at>},
    {"notified_at", set_time<Payout, &Payout::notified_at>},
    {"accepted_at", set_time<Payout, &Payout::accepted_at>},
    {"canceled_at", set_time<Payout, &Payout::canceled_at>}};
constexpr AdminField<Payrun> kPayrunFields[] = {{"created_at", set_time<Payrun, &Payrun::created_at>},
                                                {"latest_status", set_status<Payrun>},
                                                {"metadata", set_metadata<Payrun>},
                                                {"open", set_open},
                                                {"paid_at", set_time<Payrun, &Payrun::paid_at>}};
constexpr AdminField<Invoice> kInvoiceFields[] = {
    {"created_at", set_time<Invoice, &Invoice::created_at>},
    {"issued_at", set_time<Invoice, &Invoice::issued_at>},
    {"paid_at", set_time<Invoice, &Invoice::paid_at>},
    {"due_date", set_due_date},
    {"customer_reference", set_nullable<Invoice, &Invoice::customer_reference>}};
constexpr AdminField<Webhook> kWebhookFields[] = {{"url", set_text<Webhook, &Webhook::url>},
                                                  {"events", set_events},
                                                  {"secret_key", set_text<Webhook, &Webhook::secret_key>},
                                                  {"metadata", set_metadata<Webhook>}};

constexpr AdminMove kEmployeeMoves[] = {{"notify", notify_employee}, {"claim", claim_employee}, {"verify", verify_employee}};
constexpr AdminMove kPayoutMoves[] = {{"notify", notify_payout}, {"accept", accept_payout}, {"cancel", cancel_payout}};
constexpr AdminMove kPayrunMoves[] = {
    {"close", [](AccountScope& a, Serial s) -> std::optional<ApiResponse> {
       close_payrun(a, s);
       return std::nullopt;
     }},
    {"pay", pay_payrun}};
constexpr AdminMove kInvoiceMoves[] = {
    {"issue", [](AccountScope& a, Serial s) { return issue_invoice(a, s, kNoDate); }}, {"pay", pay_invoice}};

void remove_webhook(Account& a, Serial s) { a.webhooks.erase(s); }

// PATCH: every field as given (the id renames), all or nothing.
template <class T>
ApiResponse patch(State& s, Account& account, const AdminSpec<T>& spec, Serial serial, const ApiRequest& r) {
  rapidjson::Document doc;
  if (auto refused = parse_body(r, doc)) return *refused;
  Table<T>& table = account.*spec.table;
  T next = table.at(serial);
  std::optional<std::string> new_id;
  FieldErrors errs;
  for (const auto& m : doc.GetObject()) {
    std::string name(m.name.GetString(), m.name.GetStringLength());
    if (name == "id") {
      if (!m.value.IsString() || m.value.GetStringLength() == 0) errs.add("id", "Invalid value.");
      else if (Serial holder = table.serial_of(text_of(m.value)); holder != kNoSerial && holder != serial)
        errs.add("id", "An object with this id exists.");
      else new_id = text_of(m.value);
      continue;
    }
    auto field = std::find_if(spec.fields.begin(), spec.fields.end(), [&](const auto& f) { return name == f.name; });
    if (field == spec.fields.end()) errs.add(name, "Not editable through the admin endpoint.");
    else if (!field->set(next, m.value, s.accounts)) errs.add(name, "Invalid value.");
  }
  if (!errs.empty()) return json_response(400, errs.to_json());
  table.at(serial) = std::move(next);
  if (new_id && *new_id != table.at(serial).id) table.rename(serial, *new_id);
  RenderContext ctx{account, s.accounts.strings(), s.origin};
  return json_response(200, object_json(spec.append, table.at(serial), ctx));
}

template <class T>
ApiResponse serve(State& s, const ApiRequest& r, const std::string& iid, const AdminSpec<T>& spec,
                  const std::string& id, const std::string& move) {
  Account& account = s.accounts.at(iid);
  Table<T>& table = account.*spec.table;
  RenderContext ctx{account, s.accounts.strings(), s.origin};
  if (id.empty()) return r.method == "GET" ? json_response(200, table_json(table, spec.append, ctx)) : not_allowed(r.method, "GET");
  Serial serial = table.serial_of(id);
  if (serial == kNoSerial) return not_found();
  if (!move.empty()) {
    auto m = std::find_if(spec.moves.begin(), spec.moves.end(), [&](const AdminMove& x) { return move == x.name; });
    if (m == spec.moves.end()) return not_found();
    if (r.method != "POST") return not_allowed(r.method, "POST");
    AccountScope scope{s, iid, account};
    if (auto refused = m->run(scope, serial)) return *refused;
    return json_response(200, object_json(spec.append, table.at(serial), ctx));
  }
  if (r.method == "GET") return json_response(200, object_json(spec.append, table.at(serial), ctx));
  if (r.method == "PATCH") return patch(s, account, spec, serial, r);
  if (r.method != "DELETE") return not_allowed(r.method, "GET, PATCH, DELETE");
  spec.remove(account, serial);
  return empty_response(204);
}

const AdminSpec<Employee> kEmployees{&Account::employees, append_employee, kEmployeeFields, remove_employee, kEmployeeMoves};
const AdminSpec<Payout> kPayouts{&Account::payouts, append_payout, kPayoutFields, remove_payout, kPayoutMoves};
const AdminSpec<Payrun> kPayruns{&Account::payruns, append_payrun, kPayrunFields, remove_payrun, kPayrunMoves};
const AdminSpec<Invoice> kInvoices{&Account::invoices, append_invoice, kInvoiceFields, remove_invoice, kInvoiceMoves};
const AdminSpec<Webhook> kWebhooks{&Account::webhooks, append_webhook, kWebhookFields, remove_webhook, {}};

std::optional<ApiResponse> dispatch(State& s, const ApiRequest& r, const std::string& iid, const std::string& resource,
                                    const std::string& id, const std::string& move) {
  if (resource == "employees") return serve(s, r, iid, kEmployees, id, move);
  if (resource == "payouts") return serve(s, r, iid, kPayouts, id, move);
  if (resource == "payruns") return serve(s, r, iid, kPayruns, id, move);
  if (resource == "invoices") return serve(s, r, iid, kInvoices, id, move);
  if (resource == "webhooks") return serve(s, r, iid, kWebhooks, id, move);
  return std::nullopt;
}

std::vector<std::string> segments_of(std::string_view rest) {
  std::vector<std::string> out;
  while (!rest.empty()) {
    auto slash = rest.find('/');
    out.emplace_back(rest.substr(0, slash));
    if (slash == std::string_view::npos) break;
    rest.remove_prefix(slash + 1);
  }
  return out;
}

}  // namespace

ApiResponse admin_account(State& s, const ApiRequest& r, std::string_view rest) {
  auto seg = segments_of(rest);
  if (seg.size() < 2 || seg.size() > 4) return not_found();
  for (const auto& part : seg) {
    if (part.empty()) return not_found();
  }
  if (!s.store.find(seg[0])) return json_response(404, detail_json("Integration not found."));
  auto answered = dispatch(s, r, seg[0], seg[1], seg.size() > 2 ? seg[2] : "", seg.size() > 3 ? seg[3] : "");
  return answered ? std::move(*answered) : not_found();
}

std::optional<std::string> admin_all_json(State& s, const std::string& integration_id, const std::string& resource) {
  if (!s.store.find(integration_id)) return std::nullopt;
  ApiRequest get;
  get.method = "GET";
  auto answered = dispatch(s, get, integration_id, resource, "", "");
  if (!answered) return std::nullopt;
  return std::move(answered->body);
}

}  // namespace gigasync::sandbox
