// Reads of the account's mirrors for `gigasync verify` and the demo's payout report
// (include/gigasync/mirror_reads.h).
#include "gigasync/mirror_reads.h"

#include <SQLiteCpp/SQLiteCpp.h>

#include "store/db_error.h"
#include "store/internals.h"
#include "store/report_views.h"
#include "store/rows.h"

namespace gigasync::store {

Result<std::vector<std::string>> verify_scopes(Store& store, const Resource& r) {
  try {
    auto& db = StoreInternals::db(store);
    std::vector<std::string> out;
    SQLite::Statement q(db, "SELECT id FROM integration_base UNION SELECT DISTINCT integration_id FROM " +
                                std::string(r.table) + " ORDER BY 1");
    while (q.executeStep()) out.push_back(q.getColumn(0).getString());
    return out;
  } catch (const std::exception& e) {
    return db_error("reading the integrations of " + std::string(r.name), e);
  }
}

Result<std::vector<std::string>> mirrored_ids(Store& store, const Resource& r, const std::string& integration_id) {
  try {
    auto& db = StoreInternals::db(store);
    std::vector<std::string> out;
    SQLite::Statement q(db, "SELECT id FROM " + std::string(r.table) + " WHERE integration_id = ? ORDER BY id");
    q.bind(1, integration_id);
    while (q.executeStep()) out.push_back(q.getColumn(0).getString());
    return out;
  } catch (const std::exception& e) {
    return db_error("reading the ids of " + std::string(r.name) + " of integration " + integration_id, e);
  }
}

Result<std::optional<Record>> mirrored_object(Store& store, const Resource& r, const std::string& integration_id,
                                              const std::string& id) {
  try {
    auto& q = StoreInternals::cached(store, "SELECT " + columns(r, "m.") + ", b.unknown_fields FROM " +
                                                std::string(r.table) + " m LEFT JOIN " + std::string(r.base_table) +
                                                " b ON " + same_key(r, "b", "m") +
                                                " WHERE m.integration_id = ? AND m.id = ?");
    q.bind(1, integration_id);
    q.bind(2, id);
    std::optional<Record> out;
    if (q.executeStep()) {
      out = read_record(q, 0, r);
      out->extra = text(q.getColumn(column_count(r)));
    }
    q.reset();  // no read snapshot stays open between calls
    return out;
  } catch (const std::exception& e) {
    return db_error("reading " + std::string(r.singular) + " " + id + " of integration " + integration_id, e);
  }
}

Result<PayoutReport> payout_report(Store& store, int invoice_limit) {
  try {
    auto& db = StoreInternals::db(store);
    PayoutReport out;
    SQLite::Transaction read(db);  // one state for the whole report; rolled back (nothing written)
    // Totals per integration and currency, summed exactly (millionths as integers) over the
    // view's states.
    SQLite::Statement totals(db, "SELECT integration_id, coalesce(integration_name, ''), coalesce(currency, ''), "
                                 "sum(payouts), " + schema::micros_decimal_sql("sum(" + schema::decimal_micros_sql("amount") + ")") +
                                 ", " + schema::micros_decimal_sql("sum(" + schema::decimal_micros_sql("cost") + ")") +
                                 " FROM report_account_summary GROUP BY 1, 2, 3 ORDER BY 2, 1, 3");
    while (totals.executeStep()) {
      PayoutTotals t;
      t.integration_id = totals.getColumn(0).getString();
      t.integration_name = totals.getColumn(1).getString();
      t.currency = totals.getColumn(2).getString();
      t.payouts = totals.getColumn(3).getInt64();
      t.amount = totals.getColumn(4).isNull() ? "0.00" : totals.getColumn(4).getString();
      t.cost = totals.getColumn(5).isNull() ? "0.00" : totals.getColumn(5).getString();
      out.totals.push_back(std::move(t));
    }
    SQLite::Statement states(db, "SELECT state, payouts, amount FROM report_account_summary WHERE integration_id = ? "
                                 "AND coalesce(currency, '') = ? ORDER BY CASE state WHEN 'created' THEN 1 WHEN "
                                 "'notified' THEN 2 WHEN 'accepted' THEN 3 ELSE 4 END");
    for (auto& t : out.totals) {
      states.reset();
      states.bind(1, t.integration_id);
      states.bind(2, t.currency);
      while (states.executeStep())
        t.states.push_back({states.getColumn(0).getString(), states.getColumn(1).getInt64(),
                            states.getColumn(2).isNull() ? "0.00" : states.getColumn(2).getString()});
    }
    out.open_invoices_total = db.execAndGet("SELECT count(*) FROM report_invoices WHERE state <> 'paid'").getInt64();
    SQLite::Statement open(db, "SELECT integration_id, coalesce(integration_name, ''), invoice_id, state, "
                               "coalesce(currency, ''), coalesce(amount_due, ''), coalesce(due_date, ''), days_overdue "
                               "FROM report_invoices WHERE state <> 'paid' ORDER BY due_date IS NULL, due_date, "
                               "integration_name, invoice_id LIMIT ?");
    open.bind(1, invoice_limit);
    while (open.executeStep()) {
      OpenInvoice v;
      v.integration_id = open.getColumn(0).getString();
      v.integration_name = open.getColumn(1).getString();
      v.invoice_id = open.getColumn(2).getString();
      v.state = open.getColumn(3).getString();
      v.currency = open.getColumn(4).getString();
      v.amount_due = open.getColumn(5).getString();
      v.due_date = open.getColumn(6).getString();
      v.days_overdue = open.getColumn(7).isNull() ? 0 : open.getColumn(7).getInt64();
      out.open_invoices.push_back(std::move(v));
    }
    return out;
  } catch (const std::exception& e) {
    return db_error("reading the payout report", e);
  }
}

}  // namespace gigasync::store
