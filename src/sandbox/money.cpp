#include "sandbox/money.h"

#include "sandbox/json_text.h"

namespace gigasync::sandbox {
namespace {

constexpr int kMaxDigits = 12;
constexpr int kDecimalPlaces = 2;

// a * num / den rounded half up, for a >= 0 (money is positive by the time it is priced).
Cents mul_div_half_up(Cents a, Cents num, Cents den) { return (a * num * 2 + den) / (den * 2); }

}  // namespace

std::string format_money(Cents c) {
  std::string out;
  append_money(out, c);
  return out;
}

void append_money(std::string& out, Cents c) {
  if (c < 0) {
    out += '-';
    c = -c;
  }
  out += std::to_string(c / 100);
  out += '.';
  out += static_cast<char>('0' + (c % 100) / 10);
  out += static_cast<char>('0' + c % 10);
}

MoneyRead read_money_text(std::string_view text) {
  MoneyRead out;
  std::size_t i = 0;
  bool negative = false;
  while (i < text.size() && (text[i] == ' ' || text[i] == '\t')) ++i;
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  if (i < text.size() && (text[i] == '-' || text[i] == '+')) negative = text[i++] == '-';
  int whole_digits = 0, fraction_digits = 0;
  Cents whole = 0, fraction = 0;
  bool seen_dot = false, any = false;
  for (; i < text.size(); ++i) {
    char c = text[i];
    if (c == '.' && !seen_dot) {
      seen_dot = true;
      continue;
    }
    if (c < '0' || c > '9') {
      out.error = "A valid number is required.";
      return out;
    }
    any = true;
    if (seen_dot) {
      ++fraction_digits;
      if (fraction_digits <= kDecimalPlaces) fraction = fraction * 10 + (c - '0');
    } else {
      if (whole_digits > 0 || c != '0') ++whole_digits;
      if (whole_digits <= kMaxDigits) whole = whole * 10 + (c - '0');  // past 12: refused below
    }
  }
  if (!any) {
    out.error = "A valid number is required.";
    return out;
  }
  // DRF's validate_precision, in its order (trailing zeros count: Decimal keeps them).
  if (whole_digits + fraction_digits > kMaxDigits) {
    out.error = "Ensure that there are no more than 12 digits in total.";
    return out;
  }
  if (fraction_digits > kDecimalPlaces) {
    out.error = "Ensure that there are no more than 2 decimal places.";
    return out;
  }
  if (whole_digits > kMaxDigits - kDecimalPlaces) {
    out.error = "Ensure that there are no more than 10 digits before the decimal point.";
    return out;
  }
  for (int d = fraction_digits; d < kDecimalPlaces; ++d) fraction *= 10;
  Cents cents = whole * 100 + fraction;
  out.value = negative ? -cents : cents;
  return out;
}

MoneyRead read_money(const rapidjson::Value& v) {
  if (v.IsString()) return read_money_text(std::string_view(v.GetString(), v.GetStringLength()));
  if (v.IsNumber()) return read_money_text(python_str(v));
  return MoneyRead{std::nullopt, "A valid number is required."};
}

Pricing price_payout(PriceBasis basis, Cents value) {
  Pricing p;
  switch (basis) {
    case PriceBasis::amount:
      p.amount = value;
      p.invoiced_amount = mul_div_half_up(value, 13142, 10000);
      p.full_salary_specification = false;
      break;
    case PriceBasis::invoiced_amount:
      p.invoiced_amount = value;
      p.amount = mul_div_half_up(value, 10000, 13142);
      break;
    case PriceBasis::cost:
      p.invoiced_amount = mul_div_half_up(value, 100, 102);
      p.amount = mul_div_half_up(p.invoiced_amount, 10000, 13142);
      break;
  }
  p.cost = basis == PriceBasis::cost ? value : p.invoiced_amount + mul_div_half_up(p.invoiced_amount, 2, 100);
  return p;
}

}  // namespace gigasync::sandbox
