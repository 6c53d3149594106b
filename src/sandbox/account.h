#pragma once
// The account's other objects (employees, payouts, payruns, invoices, webhooks), kept per
// integration. Stored compactly so that a million payouts fit in a few hundred megabytes:
// times as microseconds, money as cents, a payout's description and every latest_status as a
// handle into one pool of strings, references as serials (see id_table.h).
// Not thread-safe: the caller holds the state lock.
#include <array>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "sandbox/clock.h"
#include "sandbox/id_table.h"
#include "sandbox/money.h"

namespace gigasync::sandbox {

// Fields the documents do not describe (--extra-field), as (name, JSON text), served last.
using Extras = std::vector<std::pair<std::string, std::string>>;

// Interned strings, for text many objects share. Handles never change; nothing is removed.
class StringPool {
 public:
  StringPool();
  std::uint32_t intern(std::string_view s);
  const std::string& text(std::uint32_t handle) const { return strings_[handle]; }
  std::optional<std::uint32_t> find(std::string_view s) const;

 private:
  std::deque<std::string> strings_;  // a deque: the index's views stay valid as it grows
  std::unordered_map<std::string_view, std::uint32_t> index_;
};

// latest_status values (documented in include/gigasync/sandbox.h), interned at these handles.
enum LatestStatus : std::uint32_t {
  kStatusCreated,   // employees, payouts: registered
  kStatusNotified,  // employees: invited; payouts: shown to the employee
  kStatusClaimed,   // employees: consumed the magic link
  kStatusVerified,  // employees: identity and permits checked
  kStatusAccepted,  // payouts: accepted by the employee
  kStatusCanceled,  // payouts
  kStatusOpen,      // payruns: open (pro-forma)
  kStatusClosed,    // payruns: finalized, invoice issued
  kStatusPaid,      // payruns: paid
  kStatusCount
};

using Currency = std::array<char, 3>;
std::string_view currency_text(const Currency& c);

struct Employee {
  std::string id;
  std::string name;
  std::string email;
  std::string country;
  std::optional<std::string> cellphone_number;
  std::string metadata = "{}";
  std::optional<std::string> invitation_code;  // 8 characters until claimed
  std::uint32_t latest_status = kStatusCreated;
  UnixMicros created_at = kNever, notified_at = kNever, claimed_at = kNever, verified_at = kNever;
  std::uint32_t payouts = 0;  // live payouts registered to this employee
  Extras extra;
};

struct Payout {
  std::string id;
  Cents amount = 0, invoiced_amount = 0, cost = 0;
  Currency currency{};
  bool full_salary_specification = true;
  std::uint32_t description = 0;  // StringPool handle
  std::uint32_t latest_status = kStatusCreated;
  Serial employee = kNoSerial;
  Serial payrun = kNoSerial;
  std::string metadata = "{}";
  UnixMicros start_at = kNever, end_at = kNever, created_at = kNever, notified_at = kNever, accepted_at = kNever,
             canceled_at = kNever;
  Extras extra;
};

struct Payrun {
  std::string id;
  Currency currency{};
  bool open = true;
  std::uint32_t latest_status = kStatusOpen;
  Serial invoice = kNoSerial;
  std::string ocr_number;  // also the invoice's invoice_number, and the key of app and pdf
  std::string metadata = "{}";
  Cents price = 0;  // the sum of its live payouts' cost
  std::uint32_t payouts = 0;
  UnixMicros created_at = kNever, paid_at = kNever;
  Extras extra;
};

struct Invoice {
  std::string id;
  Currency currency{};
  Serial payrun = kNoSerial;  // billing_type "payrun": total is the payrun's price
  std::string invoice_number;
  std::optional<std::string> customer_reference;
  std::int32_t due_date = kNoDate;
  UnixMicros created_at = kNever, issued_at = kNever, paid_at = kNever;
  Extras extra;
};

struct Webhook {
  std::string id;
  std::string url;
  std::vector<std::string> events;
  std::string secret_key;
  std::string metadata = "{}";
  Extras extra;
};

// One integration's objects.
struct Account {
  Table<Employee> employees;
  Table<Payout> payouts;
  Table<Payrun> payruns;
  Table<Invoice> invoices;
  Table<Webhook> webhooks;
};

struct AccountCounts {
  std::size_t employees = 0, payouts = 0, payruns = 0, invoices = 0, webhooks = 0;
};

// Every integration's Account, by integration id, and the shared string pool.
class AccountStore {
 public:
  Account* find(const std::string& integration_id);
  const Account* find(const std::string& integration_id) const;
  // The account, made empty on first use.
  Account& at(const std::string& integration_id);
  // The integration got a new id: its objects follow it.
  void rename(const std::string& old_id, const std::string& new_id);
  // The integration is gone: so are its objects.
  void erase(const std::string& integration_id);
  AccountCounts counts() const;

  StringPool& strings() { return strings_; }
  const StringPool& strings() const { return strings_; }

 private:
  std::unordered_map<std::string, std::unique_ptr<Account>> accounts_;
  StringPool strings_;
};

// Data moves that keep the references and sums right. Each REQUIRES live serials.
// Counts a new payout (its payrun and employee set) in its payrun's price and count and its
// employee's count.
void attach_payout(Account& a, Serial payout);
// Deletes a payout: its payrun's price and count and its employee's count follow.
void remove_payout(Account& a, Serial payout);
// Deletes a payrun with its payouts and its invoice.
void remove_payrun(Account& a, Serial payrun);
// Deletes an employee with the payouts registered to it.
void remove_employee(Account& a, Serial employee);
// Deletes an invoice; its payrun then has no invoice.
void remove_invoice(Account& a, Serial invoice);

}  // namespace gigasync::sandbox
