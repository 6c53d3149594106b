#pragma once
// The report views over the account's mirrors (README "Reports"): payouts with their employee,
// integration and payrun; payruns and invoices with their state; money per integration, currency
// and state. Sums of money are exact: decimal text is summed as integers of millionths in SQL (no
// binary floating point on the way) and written back as decimal text.
#include <string>

#include "gigasync/layer.h"
GIGASYNC_PRIVATE(store);

namespace gigasync::schema {

// An SQL expression: the decimal text `x` (e.g. '-1314.20') as an integer of millionths
// (-1314200000); NULL for NULL. Digits past the sixth decimal are dropped.
std::string decimal_micros_sql(const std::string& x);
// An SQL expression: an integer of millionths as decimal text, with two decimals unless more are
// needed ("1314.20", "0.125", "-5.00").
std::string micros_decimal_sql(const std::string& micros);

// CREATE VIEW statements of the report views (schema version 7).
std::string report_views();

}  // namespace gigasync::schema
