// The descriptions of everything gigasync mirrors (include/gigasync/resource.h). The fields are
// the documents' (seed + api-notes.md, "The account's other objects"), in the API's order.
#include <array>

#include "gigasync/resource.h"

namespace gigasync {
namespace {

constexpr Kind text = Kind::text, integer = Kind::integer, boolean = Kind::boolean, decimal = Kind::decimal,
               timestamp = Kind::timestamp, date = Kind::date, object = Kind::object, reference = Kind::reference;

// An integration: every field is always sent (a listing without one is refused); name, type and
// the id are never null. The nine fields other than id and type are written with PATCH/PUT/POST.
Field integration_text(std::string_view name, bool required) {
  return Field{name, text, true, true, true, required, false};
}

const std::array kIntegrationFields = {
    Field{"id", text, false, true, false, false, false},
    Field{"name", text, false, true, true, true, false},
    Field{"type", integer, false, true, false, false, false},
    integration_text("logo", false),
    Field{"metadata", object, true, true, true, false, false},
    integration_text("email", true),
    integration_text("recipient", true),
    integration_text("address_line_1", true),
    integration_text("address_line_2", false),
    integration_text("zip_code", true),
    integration_text("city", true),
};

// Read-only objects: any field but the id may be missing (read as null) or null.
constexpr Field id_field() { return Field{"id", reference, false, true, false, false, false}; }
constexpr Field plain(std::string_view name, Kind kind) { return Field{name, kind, true, false, false, false, false}; }
constexpr Field stamped(std::string_view name) { return Field{name, timestamp, true, false, false, false, true}; }

constexpr std::array kEmployeeFields = {
    id_field(),          plain("name", text),          plain("email", text),       plain("cellphone_number", text),
    plain("country", text), plain("latest_status", text), plain("metadata", object), stamped("created_at"),
    stamped("notified_at"), stamped("claimed_at"),      stamped("verified_at"),     plain("invitation_code", text),
};

constexpr std::array kPayoutFields = {
    id_field(),
    plain("amount", decimal),
    plain("invoiced_amount", decimal),
    plain("cost", decimal),
    plain("currency", text),
    plain("description", text),
    plain("full_salary_specification", boolean),
    plain("employee", reference),
    plain("invoice", reference),
    plain("payrun", reference),
    plain("latest_status", text),
    plain("metadata", object),
    plain("start_at", timestamp),
    plain("end_at", timestamp),
    stamped("created_at"),
    stamped("notified_at"),
    stamped("accepted_at"),
    stamped("canceled_at"),
};

constexpr std::array kPayrunFields = {
    plain("app", text),     stamped("created_at"),   plain("currency", text), id_field(),
    plain("invoice", reference), plain("latest_status", text), plain("metadata", object), plain("ocr_number", text),
    plain("open", boolean), stamped("paid_at"),      plain("pdf", text),      plain("price", decimal),
};

// Invoices' list has no timestamp filters: their times are not `event` (not filterable).
constexpr std::array kInvoiceFields = {
    id_field(),
    plain("created_at", timestamp),
    plain("issued_at", timestamp),
    plain("paid_at", timestamp),
    plain("due_date", date),
    plain("currency", text),
    plain("total", decimal),
    plain("amount_due", decimal),
    plain("amount_paid", decimal),
    plain("invoice_number", text),
    plain("customer_reference", text),
    plain("billing_type", text),
    plain("pdf_url", text),
};

// What can still change (api-notes.md): payouts neither accepted nor canceled, unpaid payruns
// (the open one among them), unpaid invoices (proforma or issued).
constexpr std::array<std::string_view, 1> kPayoutsUnsettled = {"accepted_at_null=true&canceled_at_null=true"};
constexpr std::array<std::string_view, 1> kPayrunsUnsettled = {"paid_at_null=true"};
constexpr std::array<std::string_view, 2> kInvoicesUnsettled = {"status=proforma", "status=invoice"};

const Resource kIntegrations{"integrations", "integration", "integrations/", "integrations", "integration_base",
                             "integration_changes", false, true, kIntegrationFields, {}, "", ""};
const Resource kEmployees{"employees", "employee", "employees/", "employees", "employee_base", "account_changes",
                          true, false, kEmployeeFields, {}, "", ""};
const Resource kPayouts{"payouts", "payout", "payouts/", "payouts", "payout_base", "account_changes", true, false,
                        kPayoutFields, kPayoutsUnsettled, "accepted_at IS NULL AND canceled_at IS NULL", ""};
const Resource kPayruns{"payruns", "payrun", "payruns/", "payruns", "payrun_base", "account_changes", true, false,
                        kPayrunFields, kPayrunsUnsettled, "paid_at IS NULL", ""};
const Resource kInvoices{"invoices", "invoice", "invoices/", "invoices", "invoice_base", "account_changes", true,
                         false, kInvoiceFields, kInvoicesUnsettled, "paid_at IS NULL", "ordering=-created_at"};

constexpr std::array kWebhookFields = {
    id_field(), plain("url", text), plain("events", Kind::list), plain("secret_key", text), plain("metadata", object),
};
const Resource kWebhooks{"webhooks", "webhook", "webhooks/", "", "", "", true, false, kWebhookFields, {}, "", ""};

const std::array<const Resource*, 5> kAll = {&kIntegrations, &kEmployees, &kPayouts, &kPayruns, &kInvoices};

}  // namespace

std::string_view sql_type(Kind k) { return k == Kind::integer || k == Kind::boolean ? "INTEGER" : "TEXT"; }

std::string_view describe(Kind k) {
  switch (k) {
    case Kind::text: return "a string";
    case Kind::integer: return "an integer";
    case Kind::boolean: return "a boolean";
    case Kind::decimal: return "a decimal string";
    case Kind::timestamp: return "an ISO 8601 timestamp string";
    case Kind::date: return "an ISO 8601 date string";
    case Kind::object: return "an object";
    case Kind::reference: return "an id (a string or an integer)";
    case Kind::list: return "a list";
  }
  return "a value";
}

std::size_t Resource::index_of(std::string_view f) const {
  for (std::size_t i = 0; i < fields.size(); ++i)
    if (fields[i].name == f) return i;
  return npos;
}

const Field* Resource::field(std::string_view f) const {
  std::size_t i = index_of(f);
  return i == npos ? nullptr : &fields[i];
}

const Resource& integrations_resource() { return kIntegrations; }
const Resource& employees_resource() { return kEmployees; }
const Resource& payouts_resource() { return kPayouts; }
const Resource& payruns_resource() { return kPayruns; }
const Resource& invoices_resource() { return kInvoices; }
const Resource& webhooks_resource() { return kWebhooks; }

std::span<const Resource* const> all_resources() { return kAll; }
std::span<const Resource* const> account_resources() { return std::span<const Resource* const>(kAll).subspan(1); }

const Resource* resource_named(std::string_view name) {
  for (const Resource* r : kAll)
    if (r->name == name) return r;
  return nullptr;
}

}  // namespace gigasync
