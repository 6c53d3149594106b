#include "sandbox/account_json.h"

#include "sandbox/json_text.h"

namespace gigasync::sandbox {
namespace {

// Writes `"name":` with the comma before every field but the first.
class ObjectWriter {
 public:
  explicit ObjectWriter(std::string& out) : out_(out) { out_ += '{'; }
  std::string& key(const char* name) {
    if (!first_) out_ += ',';
    first_ = false;
    out_ += '"';
    out_ += name;
    out_ += "\":";
    return out_;
  }
  void text(const char* name, std::string_view value) { key(name) += quote(value); }
  void optional_text(const char* name, const std::optional<std::string>& value) {
    key(name) += value ? quote(*value) : std::string("null");
  }
  void raw(const char* name, std::string_view json) { key(name) += json; }
  void time(const char* name, UnixMicros t) { append_time(key(name), t); }
  void money(const char* name, Cents c) {
    std::string& out = key(name);
    out += '"';
    append_money(out, c);
    out += '"';
  }
  void boolean(const char* name, bool b) { key(name) += b ? "true" : "false"; }
  void finish(const Extras& extra) {
    for (const auto& [name, value] : extra) {
      out_ += ',';
      out_ += quote(name);
      out_ += ':';
      out_ += value;
    }
    out_ += '}';
  }

 private:
  std::string& out_;
  bool first_ = true;
};

template <class T>
void reference(ObjectWriter& w, const char* name, const Table<T>& table, Serial s) {
  if (table.alive(s)) w.text(name, table.at(s).id);
  else w.raw(name, "null");
}

}  // namespace

void append_employee(std::string& out, const Employee& e, const RenderContext& ctx) {
  ObjectWriter w(out);
  w.text("id", e.id);
  w.text("name", e.name);
  w.text("email", e.email);
  w.optional_text("cellphone_number", e.cellphone_number);
  w.text("country", e.country);
  w.text("latest_status", ctx.strings.text(e.latest_status));
  w.raw("metadata", e.metadata);
  w.time("created_at", e.created_at);
  w.time("notified_at", e.notified_at);
  w.time("claimed_at", e.claimed_at);
  w.time("verified_at", e.verified_at);
  w.optional_text("invitation_code", e.invitation_code);
  w.finish(e.extra);
}

// `invoice` is the deprecated name of `payrun` and carries the same id (api-notes.md).
void append_payout(std::string& out, const Payout& p, const RenderContext& ctx) {
  ObjectWriter w(out);
  w.text("id", p.id);
  w.money("amount", p.amount);
  w.money("invoiced_amount", p.invoiced_amount);
  w.money("cost", p.cost);
  w.text("currency", currency_text(p.currency));
  w.text("description", ctx.strings.text(p.description));
  w.boolean("full_salary_specification", p.full_salary_specification);
  reference(w, "employee", ctx.account.employees, p.employee);
  reference(w, "invoice", ctx.account.payruns, p.payrun);
  reference(w, "payrun", ctx.account.payruns, p.payrun);
  w.text("latest_status", ctx.strings.text(p.latest_status));
  w.raw("metadata", p.metadata);
  w.time("start_at", p.start_at);
  w.time("end_at", p.end_at);
  w.time("created_at", p.created_at);
  w.time("notified_at", p.notified_at);
  w.time("accepted_at", p.accepted_at);
  w.time("canceled_at", p.canceled_at);
  w.finish(p.extra);
}

// app and pdf are keyed by the OCR number, which a rename does not change (as in the
// documents' rename example, whose app link keeps the old number).
void append_payrun(std::string& out, const Payrun& p, const RenderContext& ctx) {
  ObjectWriter w(out);
  w.text("app", std::string(ctx.origin) + "/app/payruns/" + p.ocr_number + "/");
  w.time("created_at", p.created_at);
  w.text("currency", currency_text(p.currency));
  w.text("id", p.id);
  reference(w, "invoice", ctx.account.invoices, p.invoice);
  w.text("latest_status", ctx.strings.text(p.latest_status));
  w.raw("metadata", p.metadata);
  w.text("ocr_number", p.ocr_number);
  w.boolean("open", p.open);
  w.time("paid_at", p.paid_at);
  w.text("pdf", std::string(ctx.origin) + "/invoice/" + p.ocr_number + "/?language=en");
  w.money("price", p.price);
  w.finish(p.extra);
}

void append_invoice(std::string& out, const Invoice& i, const RenderContext& ctx) {
  Cents total = ctx.account.payruns.alive(i.payrun) ? ctx.account.payruns.at(i.payrun).price : 0;
  bool paid = i.paid_at != kNever;
  ObjectWriter w(out);
  w.text("id", i.id);
  w.time("created_at", i.created_at);
  w.time("issued_at", i.issued_at);
  w.time("paid_at", i.paid_at);
  append_date(w.key("due_date"), i.due_date);
  w.text("currency", currency_text(i.currency));
  w.money("total", total);
  w.money("amount_due", paid ? 0 : total);
  w.money("amount_paid", paid ? total : 0);
  w.text("invoice_number", i.invoice_number);
  w.optional_text("customer_reference", i.customer_reference);
  w.text("billing_type", "payrun");
  w.raw("pdf_url", "null");  // "currently returns null - feature not yet implemented"
  w.finish(i.extra);
}

void append_webhook(std::string& out, const Webhook& h, const RenderContext&) {
  ObjectWriter w(out);
  w.text("id", h.id);
  w.text("url", h.url);
  std::string& events = w.key("events");
  events += '[';
  for (std::size_t i = 0; i < h.events.size(); ++i) {
    if (i) events += ',';
    events += quote(h.events[i]);
  }
  events += ']';
  w.text("secret_key", h.secret_key);
  w.raw("metadata", h.metadata);
  w.finish(h.extra);
}

}  // namespace gigasync::sandbox
