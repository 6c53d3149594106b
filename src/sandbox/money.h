#pragma once
// Money as whole cents (öre) in a 64-bit integer: read from and written as the API's decimal
// strings ("1314.20"), priced with integer arithmetic only, never a binary floating point.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <rapidjson/document.h>

namespace gigasync::sandbox {

using Cents = std::int64_t;

// "1314.20" (always two decimals; "-" before negative amounts).
std::string format_money(Cents c);
void append_money(std::string& out, Cents c);

// A DecimalField(max_digits=12, decimal_places=2) read the way DRF reads it: a string or a
// number (taken as its Python str()), optional sign, digits, optional '.' and digits. On refusal
// `error` holds DRF's message ("A valid number is required.", "Ensure that there are no more
// than 2 decimal places.", ... 12 digits in total, ... 10 digits before the decimal point).
struct MoneyRead {
  std::optional<Cents> value;
  std::string error;
};
MoneyRead read_money(const rapidjson::Value& v);
MoneyRead read_money_text(std::string_view text);

// The three amounts of a payout from whichever one was given, with the sandbox's own price list
// (the documents give examples, not the rules; these reproduce the Register a Payout example:
// invoiced_amount 1000.00 -> amount 760.92, cost 1020.00):
//   cost            = invoiced_amount + 2 % fee            (fee rounded half up to the cent)
//   amount          = invoiced_amount / 1.3142             (Swedish payroll taxes 31.42 %, half up)
//   invoiced_amount = amount * 1.3142  or  cost / 1.02     (half up)
// full_salary_specification is false when `amount` was the basis, true otherwise (documented).
enum class PriceBasis { amount, invoiced_amount, cost };
struct Pricing {
  Cents amount = 0;
  Cents invoiced_amount = 0;
  Cents cost = 0;
  bool full_salary_specification = true;
};
Pricing price_payout(PriceBasis basis, Cents value);

}  // namespace gigasync::sandbox
