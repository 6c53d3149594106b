#include "store/report_views.h"

namespace gigasync::schema {

std::string decimal_micros_sql(const std::string& x) {
  const std::string dot = "instr(" + x + " || '.', '.')";
  return "(CASE WHEN " + x + " IS NULL THEN NULL ELSE (CASE WHEN substr(" + x + ", 1, 1) = '-' THEN -1 ELSE 1 END) * "
         "(CAST(ltrim(substr(" + x + ", 1, " + dot + " - 1), '+-') AS INTEGER) * 1000000 + CAST(substr(substr(" + x +
         ", " + dot + " + 1) || '000000', 1, 6) AS INTEGER)) END)";
}

std::string micros_decimal_sql(const std::string& m) {
  const std::string sign = "CASE WHEN " + m + " < 0 THEN '-' ELSE '' END";
  return "(CASE WHEN " + m + " IS NULL THEN NULL WHEN abs(" + m + ") % 10000 = 0 THEN printf('%s%d.%02d', " + sign +
         ", abs(" + m + ") / 1000000, (abs(" + m + ") % 1000000) / 10000) ELSE rtrim(printf('%s%d.%06d', " + sign +
         ", abs(" + m + ") / 1000000, abs(" + m + ") % 1000000), '0') END)";
}

namespace {

// The exact sum of a decimal column over a group, as decimal text ("0.00" for none).
std::string sum_of(const std::string& x) {
  return micros_decimal_sql("coalesce(sum(" + decimal_micros_sql(x) + "), 0)");
}

constexpr const char* kPayoutState =
    "CASE WHEN p.canceled_at IS NOT NULL THEN 'canceled' WHEN p.accepted_at IS NOT NULL THEN 'accepted' "
    "WHEN p.notified_at IS NOT NULL THEN 'notified' ELSE 'created' END";

}  // namespace

std::string report_views() {
  const std::string payrun_of = "coalesce(p.payrun, p.invoice)";  // `invoice` is the deprecated name of the payrun
  std::string out;
  out += "CREATE VIEW report_payouts AS SELECT p.integration_id, i.name AS integration_name, p.id AS payout_id, "
         "p.employee AS employee_id, e.name AS employee_name, e.email AS employee_email, " + payrun_of +
         " AS payrun_id, p.currency, p.amount, p.invoiced_amount, p.cost, p.description, " + std::string(kPayoutState) +
         " AS state, p.latest_status, p.created_at, p.notified_at, p.accepted_at, p.canceled_at, r.paid_at AS "
         "payrun_paid_at FROM payouts p LEFT JOIN integrations i ON i.id = p.integration_id LEFT JOIN employees e ON "
         "e.integration_id = p.integration_id AND e.id = p.employee LEFT JOIN payruns r ON r.integration_id = "
         "p.integration_id AND r.id = " + payrun_of + ";\n";
  out += "CREATE VIEW report_payruns AS SELECT r.integration_id, i.name AS integration_name, r.id AS payrun_id, "
         "r.currency, r.price, CASE WHEN r.paid_at IS NOT NULL THEN 'paid' WHEN r.open = 1 THEN 'open' ELSE "
         "'closed, unpaid' END AS state, r.created_at, r.paid_at, r.invoice AS invoice_id, v.amount_due AS "
         "invoice_amount_due, v.due_date AS invoice_due_date, (SELECT count(*) FROM payouts p WHERE p.integration_id = "
         "r.integration_id AND " + payrun_of + " = r.id) AS payouts, (SELECT " + sum_of("p.amount") +
         " FROM payouts p WHERE p.integration_id = r.integration_id AND " + payrun_of + " = r.id AND p.canceled_at IS "
         "NULL) AS payouts_amount, (SELECT " + sum_of("p.cost") + " FROM payouts p WHERE p.integration_id = "
         "r.integration_id AND " + payrun_of + " = r.id AND p.canceled_at IS NULL) AS payouts_cost FROM payruns r LEFT "
         "JOIN integrations i ON i.id = r.integration_id LEFT JOIN invoices v ON v.integration_id = r.integration_id "
         "AND v.id = r.invoice;\n";
  out += "CREATE VIEW report_invoices AS SELECT v.integration_id, i.name AS integration_name, v.id AS invoice_id, "
         "v.invoice_number, v.billing_type, v.currency, v.total, v.amount_due, v.amount_paid, CASE WHEN v.paid_at IS "
         "NOT NULL THEN 'paid' WHEN v.issued_at IS NOT NULL THEN 'issued' ELSE 'proforma' END AS state, v.due_date, "
         "CASE WHEN v.paid_at IS NULL AND v.due_date IS NOT NULL AND v.due_date < date('now') THEN "
         "CAST(julianday('now') - julianday(v.due_date) AS INTEGER) ELSE 0 END AS days_overdue, v.created_at, "
         "v.issued_at, v.paid_at, v.customer_reference FROM invoices v LEFT JOIN integrations i ON i.id = "
         "v.integration_id;\n";
  out += "CREATE VIEW report_account_summary AS SELECT p.integration_id, i.name AS integration_name, p.currency, " +
         std::string(kPayoutState) + " AS state, count(*) AS payouts, " + sum_of("p.amount") + " AS amount, " +
         sum_of("p.cost") + " AS cost FROM payouts p LEFT JOIN integrations i ON i.id = p.integration_id GROUP BY "
         "p.integration_id, p.currency, 4;\n";
  return out;
}

}  // namespace gigasync::schema
