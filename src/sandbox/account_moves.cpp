#include "sandbox/account_moves.h"

#include "sandbox/json_text.h"
#include "sandbox/webhook_delivery.h"

namespace gigasync::sandbox {
namespace {

constexpr std::int32_t kDefaultDueDays = 14;  // the documents' "14-day fallback"

ApiResponse conflict(const char* detail) { return json_response(409, detail_json(detail)); }

void emit_payout(AccountScope& a, const char* event, Serial p) {
  const Payout& payout = a.account.payouts.at(p);
  emit(a, event, payout.id, object_json(append_payout, payout, a.ctx()));
}

// Issues the invoice when it was not: issued_at now, due_date as given (kNoDate: today + 14).
void issue(Invoice& invoice, UnixMicros now, std::int32_t due_date) {
  if (invoice.issued_at != kNever) return;
  invoice.issued_at = now;
  invoice.due_date = due_date != kNoDate ? due_date : day_of(now) + kDefaultDueDays;
}

Serial open_payrun(AccountScope& a, const Currency& currency) {
  Serial found = kNoSerial;
  a.account.payruns.for_each([&](Serial s, const Payrun& p) {
    if (p.open && p.currency == currency) found = s;
  });
  if (found != kNoSerial) return found;
  UnixMicros now = a.s.clock.stamp();
  Payrun run;
  run.id = unused_id(a.account.payruns, a.s.gen);
  run.currency = currency;
  run.ocr_number = random_ocr_number(a.s.gen);
  run.created_at = now;
  for (const auto& name : a.s.extra_fields) run.extra.emplace_back(name, "\"\"");
  Serial s = a.account.payruns.insert(std::move(run));
  Invoice invoice;
  invoice.id = unused_id(a.account.invoices, a.s.gen);
  invoice.currency = currency;
  invoice.payrun = s;
  invoice.invoice_number = a.account.payruns.at(s).ocr_number;
  invoice.created_at = now;
  for (const auto& name : a.s.extra_fields) invoice.extra.emplace_back(name, "\"\"");
  a.account.payruns.at(s).invoice = a.account.invoices.insert(std::move(invoice));
  const Payrun& stored = a.account.payruns.at(s);
  emit(a, "Payrun.created", stored.id, object_json(append_payrun, stored, a.ctx()));
  return s;
}

}  // namespace

const std::vector<std::string>& integration_events() {
  static const std::vector<std::string> v = {"Employee.created", "Employee.notified", "Employee.claimed",
                                             "Employee.verified", "Payout.created",   "Payout.notified",
                                             "Payout.accepted",  "Payrun.created",   "Payrun.paid"};
  return v;
}

const std::vector<std::string>& subscribable_events() {
  static const std::vector<std::string> v = [] {
    std::vector<std::string> all = integration_events();
    for (const char* e : {"Invoice.created", "Invoice.paid", "Registration.verified"}) all.emplace_back(e);
    return all;
  }();
  return v;
}

void emit(AccountScope& a, const char* event, const std::string& object_id, const std::string& body) {
  if (!a.s.webhooks) return;
  a.account.webhooks.for_each([&](Serial, const Webhook& w) {
    for (const auto& e : w.events) {
      if (e != event) continue;
      a.s.webhooks->enqueue(Delivery{w.id, a.integration_id, event, object_id, w.url, w.secret_key, body});
      break;
    }
  });
}

std::string random_code(Generator& gen, std::size_t n, bool upper) {
  static const char* kUpper = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  static const char* kLower = "abcdefghijklmnopqrstuvwxyz0123456789";
  std::string out;
  out.reserve(n);
  for (std::size_t i = 0; i < n; ++i) out += (upper ? kUpper : kLower)[gen.pick(36)];
  return out;
}

std::string random_ocr_number(Generator& gen) {
  std::string out = std::to_string(1 + gen.pick(9));
  for (int i = 0; i < 11; ++i) out += static_cast<char>('0' + gen.pick(10));
  return out;
}

Serial add_employee(AccountScope& a, Employee e) {
  e.created_at = a.s.clock.stamp();
  e.latest_status = kStatusCreated;
  e.invitation_code = random_code(a.s.gen, 8, true);
  Serial s = a.account.employees.insert(std::move(e));
  const Employee& stored = a.account.employees.at(s);
  emit(a, "Employee.created", stored.id, object_json(append_employee, stored, a.ctx()));
  return s;
}

Serial add_payout(AccountScope& a, Payout p) {
  p.payrun = open_payrun(a, p.currency);
  p.created_at = a.s.clock.stamp();
  p.latest_status = kStatusCreated;
  Serial s = a.account.payouts.insert(std::move(p));
  attach_payout(a.account, s);
  emit_payout(a, "Payout.created", s);
  return s;
}

std::optional<ApiResponse> notify_employee(AccountScope& a, Serial s) {
  Employee& e = a.account.employees.at(s);
  if (e.notified_at != kNever) return conflict("Employee already notified.");
  e.notified_at = a.s.clock.stamp();
  e.latest_status = kStatusNotified;
  emit(a, "Employee.notified", e.id, object_json(append_employee, e, a.ctx()));
  return std::nullopt;
}

std::optional<ApiResponse> claim_employee(AccountScope& a, Serial s) {
  Employee& e = a.account.employees.at(s);
  if (e.claimed_at != kNever) return conflict("Employee already claimed.");
  e.claimed_at = a.s.clock.stamp();
  e.invitation_code.reset();
  e.latest_status = kStatusClaimed;
  emit(a, "Employee.claimed", e.id, object_json(append_employee, e, a.ctx()));
  return std::nullopt;
}

std::optional<ApiResponse> verify_employee(AccountScope& a, Serial s) {
  Employee& e = a.account.employees.at(s);
  if (e.verified_at != kNever) return conflict("Employee already verified.");
  e.verified_at = a.s.clock.stamp();
  e.latest_status = kStatusVerified;
  emit(a, "Employee.verified", e.id, object_json(append_employee, e, a.ctx()));
  return std::nullopt;
}

std::optional<ApiResponse> notify_payout(AccountScope& a, Serial s) {
  Payout& p = a.account.payouts.at(s);
  if (p.canceled_at != kNever) return conflict("Payout is canceled.");
  if (p.notified_at != kNever) return conflict("Payout already notified.");
  p.notified_at = a.s.clock.stamp();
  if (p.accepted_at == kNever) p.latest_status = kStatusNotified;
  emit_payout(a, "Payout.notified", s);
  return std::nullopt;
}

std::optional<ApiResponse> accept_payout(AccountScope& a, Serial s) {
  Payout& p = a.account.payouts.at(s);
  if (p.canceled_at != kNever) return conflict("Payout is canceled.");
  if (p.accepted_at != kNever) return conflict("Payout already accepted.");
  p.accepted_at = a.s.clock.stamp();
  p.latest_status = kStatusAccepted;
  emit_payout(a, "Payout.accepted", s);
  return std::nullopt;
}

std::optional<ApiResponse> cancel_payout(AccountScope& a, Serial s) {
  Payout& p = a.account.payouts.at(s);
  if (p.accepted_at != kNever) return conflict("An accepted payout can not be canceled.");
  if (p.canceled_at != kNever) return conflict("Payout already canceled.");
  p.canceled_at = a.s.clock.stamp();
  p.latest_status = kStatusCanceled;
  return std::nullopt;
}

void close_payrun(AccountScope& a, Serial s) {
  Payrun& run = a.account.payruns.at(s);
  if (!run.open) return;
  run.open = false;
  if (run.latest_status == kStatusOpen) run.latest_status = kStatusClosed;
  std::vector<Serial> notified;
  a.account.payouts.for_each([&](Serial p, const Payout& payout) {
    if (payout.payrun == s && payout.notified_at == kNever && payout.canceled_at == kNever) notified.push_back(p);
  });
  for (Serial p : notified) {
    Payout& payout = a.account.payouts.at(p);
    payout.notified_at = a.s.clock.stamp();
    if (payout.latest_status == kStatusCreated) payout.latest_status = kStatusNotified;
    emit_payout(a, "Payout.notified", p);
  }
  Serial invoice = a.account.payruns.at(s).invoice;
  if (a.account.invoices.alive(invoice)) issue(a.account.invoices.at(invoice), a.s.clock.stamp(), kNoDate);
}

std::optional<ApiResponse> pay_payrun(AccountScope& a, Serial s) {
  if (a.account.payruns.at(s).paid_at != kNever) return conflict("Payrun is already paid.");
  close_payrun(a, s);
  Payrun& run = a.account.payruns.at(s);
  run.paid_at = a.s.clock.stamp();
  run.latest_status = kStatusPaid;
  if (a.account.invoices.alive(run.invoice)) {
    Invoice& invoice = a.account.invoices.at(run.invoice);
    issue(invoice, run.paid_at, kNoDate);
    if (invoice.paid_at == kNever) invoice.paid_at = run.paid_at;
  }
  emit(a, "Payrun.paid", run.id, object_json(append_payrun, run, a.ctx()));
  return std::nullopt;
}

std::optional<ApiResponse> issue_invoice(AccountScope& a, Serial i, std::int32_t due_date) {
  Invoice& invoice = a.account.invoices.at(i);
  if (invoice.issued_at != kNever) return conflict("Invoice already issued.");
  issue(invoice, a.s.clock.stamp(), due_date);
  Serial run = invoice.payrun;
  if (a.account.payruns.alive(run)) close_payrun(a, run);
  return std::nullopt;
}

std::optional<ApiResponse> pay_invoice(AccountScope& a, Serial i) {
  Invoice& invoice = a.account.invoices.at(i);
  if (invoice.paid_at != kNever) return conflict("Invoice already paid.");
  Serial run = invoice.payrun;
  if (a.account.payruns.alive(run) && a.account.payruns.at(run).paid_at == kNever) return pay_payrun(a, run);
  UnixMicros now = a.s.clock.stamp();
  issue(invoice, now, kNoDate);
  invoice.paid_at = now;
  return std::nullopt;
}

}  // namespace gigasync::sandbox
