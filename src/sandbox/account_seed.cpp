#include "sandbox/account_seed.h"

#include <algorithm>
#include <array>

#include "sandbox/account_moves.h"
#include "sandbox/seed.h"

namespace gigasync::sandbox {
namespace {

constexpr UnixMicros kSecond = 1'000'000;
constexpr UnixMicros kMinute = 60 * kSecond;
constexpr UnixMicros kHour = 60 * kMinute;
constexpr UnixMicros kDay = 24 * kHour;
constexpr UnixMicros kYear = 365 * kDay;

const std::array<const char*, 15> kDescriptions = {
    "Lön genom Gigapay",     "Instagram samarbete", "Städning kontor",   "Lagerarbete",
    "Eventpersonal",         "Flyttjobb",           "Fotografering",     "Översättning",
    "Korrekturläsning",      "Barnpassning",        "Trädgårdsarbete",   "Kundtjänst helg",
    "Inventering",           "Servering bröllop",   "Montering av möbler"};

// A uniformly random time in [0, span) (span < 2^52).
UnixMicros random_span(Generator& g, UnixMicros span) {
  if (span <= 0) return 0;
  auto hi = static_cast<UnixMicros>(g.pick(1u << 20));
  auto lo = static_cast<UnixMicros>(g.pick(1u << 30));
  return ((hi << 30) | lo) % span;
}

std::string numeric_id(Generator& g, std::size_t digits) {
  std::string out = std::to_string(1 + g.pick(9));
  while (out.size() < digits) out += static_cast<char>('0' + g.pick(10));
  return out;
}

template <class T>
std::string fresh_id(const Table<T>& t, Generator& g, std::size_t numeric_digits) {
  std::string id = numeric_digits ? numeric_id(g, numeric_digits) : g.uuid4();
  while (t.find(id)) id = numeric_digits ? numeric_id(g, numeric_digits) : g.uuid4();
  return id;
}

Currency currency_for(Generator& g) {
  std::size_t roll = g.pick(10);
  const char* code = roll < 8 ? "SEK" : roll == 8 ? "EUR" : "NOK";
  return {code[0], code[1], code[2]};
}

Employee make_employee(Generator& g, const Table<Employee>& t, UnixMicros created, UnixMicros now) {
  Employee e;
  e.id = g.chance(40) ? fresh_id(t, g, 4 + g.pick(3)) : fresh_id(t, g, 0);
  std::string first = g.pick_from(seed_first_names()), last = g.pick_from(seed_last_names());
  e.name = first + " " + last;
  e.email = ascii_fold(first) + "." + ascii_fold(last) + std::to_string(g.pick(100)) + "@" + g.pick_from(seed_mail_providers());
  e.country = g.chance(90) ? "SWE" : g.chance(50) ? "NOR" : "FIN";
  if (g.chance(80)) e.cellphone_number = "+4670" + numeric_id(g, 7);
  if (g.chance(30)) e.metadata = "{\"emp\":" + std::to_string(g.pick(10000)) + "}";
  e.created_at = created;
  e.notified_at = created + 1 + random_span(g, kMinute);
  e.latest_status = kStatusNotified;
  UnixMicros claimed = e.notified_at + kMinute + random_span(g, 2 * kDay);
  if (g.chance(92) && claimed < now) {
    e.claimed_at = claimed;
    e.latest_status = kStatusClaimed;
    UnixMicros verified = claimed + 10 * kSecond + random_span(g, kHour);
    if (g.chance(95) && verified < now) {
      e.verified_at = verified;
      e.latest_status = kStatusVerified;
    }
  } else {
    e.invitation_code = random_code(g, 8, true);
  }
  return e;
}

Payout make_payout(Generator& g, const Table<Payout>& t, const Currency& currency, StringPool& strings) {
  Payout p;
  p.id = fresh_id(t, g, 0);
  std::size_t basis = g.pick(10);
  Cents value = 10000 + static_cast<Cents>(g.pick(2490000));
  Pricing price = price_payout(basis < 7 ? PriceBasis::invoiced_amount : basis < 9 ? PriceBasis::amount : PriceBasis::cost, value);
  p.amount = price.amount;
  p.invoiced_amount = price.invoiced_amount;
  p.cost = price.cost;
  p.full_salary_specification = price.full_salary_specification;
  p.currency = currency;
  p.description = strings.intern(kDescriptions[g.pick(kDescriptions.size())]);
  if (g.chance(50)) p.metadata = "{\"job\":" + std::to_string(g.pick(100000)) + "}";
  return p;
}

// One integration's history.
class IntegrationSeeder {
 public:
  IntegrationSeeder(State& s, Account& a, std::size_t payouts, UnixMicros now)
      : s_(s), a_(a), g_(s.gen), n_(payouts), now_(now), t0_(now - kYear) {}

  void run() {
    if (n_ == 0) return;
    currency_ = currency_for(g_);
    seed_employees();
    std::vector<std::size_t> sizes;
    for (std::size_t left = n_; left > 0;) {
      std::size_t size = std::min(left, 10 + g_.pick(21));
      sizes.push_back(size);
      left -= size;
    }
    a_.payouts.reserve(n_);
    a_.payruns.reserve(sizes.size());
    a_.invoices.reserve(sizes.size());
    // Payrun j works in the last part of the j-th of equal periods from 5 % into the year to an
    // hour before now (so the open one is recent): its payouts come within its window; it closes
    // after the window, before the next one opens (the latest stays open).
    const UnixMicros first = t0_ + kYear / 20;
    const UnixMicros period = std::max<UnixMicros>(16, (now_ - kHour - first) / static_cast<UnixMicros>(sizes.size()));
    const UnixMicros window = std::min(period / 2, 2 * kDay);
    for (std::size_t j = 0; j < sizes.size(); ++j) {
      UnixMicros end = first + static_cast<UnixMicros>(j + 1) * period;
      UnixMicros opened = end - window - 1 - random_span(g_, period / 4);
      seed_payrun(opened, window, period / 4, sizes[j], j + 1 == sizes.size());
    }
  }

 private:
  void seed_employees() {
    std::size_t count = std::max<std::size_t>(1, n_ / 8);
    a_.employees.reserve(count);
    UnixMicros step = (kYear * 9 / 10) / static_cast<UnixMicros>(count);
    for (std::size_t i = 0; i < count; ++i) {
      UnixMicros created = t0_ + static_cast<UnixMicros>(i) * step + random_span(g_, std::max<UnixMicros>(1, step / 2));
      employee_times_.push_back(created);
      a_.employees.insert(make_employee(g_, a_.employees, created, now_));
    }
  }

  Serial employee_before(UnixMicros t) {
    auto known = static_cast<std::size_t>(std::lower_bound(employee_times_.begin(), employee_times_.end(), t) -
                                          employee_times_.begin());
    return static_cast<Serial>(g_.pick(std::max<std::size_t>(1, known)));
  }

  // A payrun opened at `opened` with `size` payouts created within `window`; unless `open`, it is
  // closed up to `slack` after the window and paid 1 to 5 days later when that is before now.
  void seed_payrun(UnixMicros opened, UnixMicros window, UnixMicros slack, std::size_t size, bool open) {
    Payrun run;
    run.id = fresh_id(a_.payruns, g_, 7);
    run.currency = currency_;
    run.ocr_number = random_ocr_number(g_);
    run.created_at = opened;
    UnixMicros closed = kNever, paid = kNever;
    if (!open) {
      closed = opened + window + 1 + random_span(g_, std::max<UnixMicros>(1, std::min(slack, kDay)));
      paid = closed + kDay + random_span(g_, 4 * kDay);
      if (paid >= now_) paid = kNever;
      run.open = false;
      run.latest_status = paid == kNever ? kStatusClosed : kStatusPaid;
      run.paid_at = paid;
    }
    Serial rs = a_.payruns.insert(std::move(run));
    Invoice inv;
    inv.id = fresh_id(a_.invoices, g_, 0);
    inv.currency = currency_;
    inv.payrun = rs;
    inv.invoice_number = a_.payruns.at(rs).ocr_number;
    inv.created_at = opened;
    if (g_.chance(20)) inv.customer_reference = "PO-" + std::to_string(2025 + g_.pick(2)) + "-" + numeric_id(g_, 3);
    if (closed != kNever) {
      inv.issued_at = closed;
      inv.due_date = day_of(closed) + 14;
      inv.paid_at = paid;
    }
    a_.payruns.at(rs).invoice = a_.invoices.insert(std::move(inv));
    UnixMicros step = std::max<UnixMicros>(2, window / static_cast<UnixMicros>(size));
    for (std::size_t k = 0; k < size; ++k) {
      UnixMicros created = opened + 1 + static_cast<UnixMicros>(k) * step + random_span(g_, step / 2);
      seed_payout(created, rs, closed, paid);
    }
  }

  void seed_payout(UnixMicros created, Serial run, UnixMicros closed, UnixMicros paid) {
    Payout p = make_payout(g_, a_.payouts, currency_, s_.accounts.strings());
    p.created_at = created;
    p.employee = employee_before(created);
    p.payrun = run;
    if (g_.chance(30)) {
      p.start_at = created - kDay - random_span(g_, 9 * kDay);
      p.end_at = p.start_at + 8 * kHour;
    }
    if (closed != kNever) {
      p.notified_at = closed;
      p.latest_status = kStatusNotified;
      std::size_t fate = g_.pick(100);
      UnixMicros later = (paid != kNever ? paid : closed) + 10 * kMinute + random_span(g_, 3 * kDay);
      if (fate == 0 && later < now_) {
        p.canceled_at = later;
        p.latest_status = kStatusCanceled;
      } else if (fate > 1 && paid != kNever && later < now_) {
        p.accepted_at = later;
        p.latest_status = kStatusAccepted;
      }
    }
    Serial s = a_.payouts.insert(std::move(p));
    attach_payout(a_, s);
  }

  State& s_;
  Account& a_;
  Generator& g_;
  std::size_t n_;
  UnixMicros now_, t0_;
  Currency currency_{};
  std::vector<UnixMicros> employee_times_;
};

}  // namespace

void seed_accounts(State& s, std::size_t payouts, UnixMicros now) {
  std::vector<std::string> ids;
  for (const Record& r : s.store.all()) ids.push_back(r.id);
  if (ids.empty()) return;
  for (std::size_t i = 0; i < ids.size(); ++i) {
    std::size_t share = payouts / ids.size() + (i < payouts % ids.size() ? 1 : 0);
    IntegrationSeeder(s, s.accounts.at(ids[i]), share, now).run();
  }
  if (s.extra_fields.empty()) return;
  for (const auto& id : ids) {
    Account& a = s.accounts.at(id);
    auto add = [&](auto& table) {
      for (Serial k = 0; k < table.serial_count(); ++k) {
        if (!table.alive(k)) continue;
        for (const auto& name : s.extra_fields) table.at(k).extra.emplace_back(name, "\"\"");
      }
    };
    add(a.employees);
    add(a.payouts);
    add(a.payruns);
    add(a.invoices);
  }
}

}  // namespace gigasync::sandbox
