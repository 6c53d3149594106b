// /v2/invoices/: list (billing_type, status, ordering; no timestamp filters), retrieve, issue
// (POST .../issue/ with an optional due_date). Every invoice the sandbox makes is a payrun's
// (billing_type "payrun"), made with the payrun; status: proforma (not issued), invoice (issued,
// not paid), paid.
// Choices where the documents are silent:
//  - billing_type or status not one of the documented values: 400 "Select a valid choice. X is
//    not one of the available choices." (django-filter's ChoiceFilter). An unknown ordering field
//    is ignored (DRF's OrderingFilter). Ordering puts nulls last ascending and first descending
//    (PostgreSQL's default); ties keep creation order.
//  - due_date: "YYYY-MM-DD", today up to today + 365 (the sandbox clock's UTC day); default today + 14.
//  - issue answers 200 with the invoice; an issued invoice: 409 {"detail": "Invoice already issued."}.
#include <algorithm>

#include "sandbox/account_api.h"
#include "sandbox/account_fields.h"
#include "sandbox/account_list.h"

namespace gigasync::sandbox {
namespace {

constexpr const char* kListAllow = "GET, HEAD, OPTIONS";
constexpr const char* kDetailAllow = "GET, HEAD, OPTIONS";
constexpr const char* kIssueAllow = "POST, OPTIONS";

std::string status_of(const Invoice& i) {
  if (i.paid_at != kNever) return "paid";
  return i.issued_at != kNever ? "invoice" : "proforma";
}

bool choice(AccountCall& c, const char* name, std::initializer_list<const char*> allowed, std::optional<std::string>& out,
            FieldErrors& errs) {
  auto v = query_value(c.query, name);
  if (!v || v->empty()) return true;
  for (const char* a : allowed) {
    if (*v == a) {
      out = *v;
      return true;
    }
  }
  errs.add(name, "Select a valid choice. " + *v + " is not one of the available choices.");
  return false;
}

// The sort key of an invoice for `field`: a time or a day, kNever / kNoDate as null.
std::int64_t sort_key(const Invoice& i, const std::string& field) {
  if (field == "created_at") return i.created_at;
  if (field == "paid_at") return i.paid_at;
  return i.due_date == kNoDate ? kNever : i.due_date;
}

void order(const Table<Invoice>& table, std::vector<Serial>& serials, const std::string& ordering) {
  bool descending = ordering.starts_with('-');
  std::string field = descending ? ordering.substr(1) : ordering;
  if (field != "created_at" && field != "paid_at" && field != "due_date") return;
  std::stable_sort(serials.begin(), serials.end(), [&](Serial a, Serial b) {
    std::int64_t ka = sort_key(table.at(a), field), kb = sort_key(table.at(b), field);
    bool na = ka == kNever, nb = kb == kNever;
    if (na != nb) return descending ? na : nb;  // nulls last ascending, first descending
    return descending ? kb < ka : ka < kb;
  });
}

ApiResponse list(AccountCall& c) {
  FieldErrors errs;
  std::optional<std::string> billing_type, status;
  choice(c, "billing_type", {"prepayment", "payrun", "subscription", "credit"}, billing_type, errs);
  choice(c, "status", {"proforma", "invoice", "paid"}, status, errs);
  if (!errs.empty()) return json_response(400, errs.to_json());
  std::vector<Serial> serials;
  c.account.invoices.for_each([&](Serial s, const Invoice& i) {
    if (billing_type && *billing_type != "payrun") return;
    if (status && *status != status_of(i)) return;
    serials.push_back(s);
  });
  if (auto ordering = query_value(c.query, "ordering")) {
    auto comma = ordering->find(',');  // the first field orders; DRF's ties by the next are not needed here
    order(c.account.invoices, serials, ordering->substr(0, comma));
  }
  return list_serials(c.account.invoices, serials, append_invoice, c.ctx(), c.query, c.link_base("invoices"),
                      c.s.max_page_size);
}

ApiResponse issue(AccountCall& c, Serial s) {
  rapidjson::Document doc;
  if (auto refused = parse_body(c.r, doc)) return *refused;
  std::int32_t due = kNoDate;
  auto it = doc.FindMember("due_date");
  if (it != doc.MemberEnd() && !it->value.IsNull()) {
    std::optional<std::int32_t> day;
    if (it->value.IsString()) day = parse_date(std::string_view(it->value.GetString(), it->value.GetStringLength()));
    if (!day) return field_error("due_date", "Date has wrong format. Use one of these formats instead: YYYY-MM-DD.");
    std::int32_t today = day_of(c.s.clock.now());
    if (*day < today) return field_error("due_date", "Due date can not be in the past.");
    if (*day > today + 365) return field_error("due_date", "Due date can not be more than 365 days in the future.");
    due = *day;
  }
  auto scope = c.scope();
  if (auto refused = issue_invoice(scope, s, due)) return *refused;
  return written(200, object_json(append_invoice, c.account.invoices.at(s), c.ctx()));
}

}  // namespace

ApiResponse invoices_route(AccountCall& c, const std::string& id, const std::string& action) {
  const std::string& m = c.r.method;
  if (id.empty()) {
    if (c.reading()) return list(c);
    if (m == "OPTIONS") return options_response("Invoice List", kListAllow);
    return not_allowed(m, kListAllow);
  }
  if (!action.empty()) {
    if (action != "issue") return not_found();
    if (m == "OPTIONS") return options_response("Invoice Issue", kIssueAllow);
    if (m != "POST") return not_allowed(m, kIssueAllow);
  } else {
    if (m == "OPTIONS") return options_response("Invoice Instance", kDetailAllow);
    if (!c.reading()) return not_allowed(m, kDetailAllow);
  }
  Serial s = c.account.invoices.serial_of(id);
  if (s == kNoSerial) return not_found();
  if (!action.empty()) return issue(c, s);
  return json_response(200, object_json(append_invoice, c.account.invoices.at(s), c.ctx()));
}

}  // namespace gigasync::sandbox
