#pragma once
// Reads of the account's read-only mirrors for `gigasync verify` (sync/verify_account.cpp) and for
// the demo's payout report (the report views): typed answers, the SQL stays in src/store/.
#include <optional>
#include <string>
#include <vector>

#include "gigasync/error.h"
#include "gigasync/record.h"
#include "gigasync/resource.h"
#include "gigasync/store.h"
#include "gigasync/layer.h"
GIGASYNC_LAYER(store);

namespace gigasync::store {

// The integrations `r` is verified under: those the mirror has (the base's ids) and any other that
// still has rows of `r`, sorted. REQUIRES: r.per_integration.
Result<std::vector<std::string>> verify_scopes(Store& store, const Resource& r);
// The ids of `r`'s rows under `integration_id`, sorted.
Result<std::vector<std::string>> mirrored_ids(Store& store, const Resource& r, const std::string& integration_id);
// One object of `r` as mirrored, with the fields the documents do not describe (Record::extra,
// kept with its base row); nullopt when the mirror has no such row.
Result<std::optional<Record>> mirrored_object(Store& store, const Resource& r, const std::string& integration_id,
                                              const std::string& id);

// The payouts per integration and currency (report_account_summary, summed over the states).
struct PayoutTotals {
  std::string integration_id, integration_name, currency;
  long long payouts = 0;
  std::string amount, cost;  // exact decimal text ("1314.20")
  // By state (created, notified, accepted, canceled): count and amount, in that order.
  struct ByState {
    std::string state;
    long long payouts = 0;
    std::string amount;
  };
  std::vector<ByState> states;
};
// Invoices not paid yet (report_invoices), oldest due date first.
struct OpenInvoice {
  std::string integration_id, integration_name, invoice_id, state, currency, amount_due, due_date;
  long long days_overdue = 0;
};
struct PayoutReport {
  std::vector<PayoutTotals> totals;  // by integration name, then currency
  std::vector<OpenInvoice> open_invoices;
  long long open_invoices_total = 0;  // all of them (open_invoices holds at most `invoice_limit`)
};
// From the report views, in one read transaction.
Result<PayoutReport> payout_report(Store& store, int invoice_limit);

}  // namespace gigasync::store
