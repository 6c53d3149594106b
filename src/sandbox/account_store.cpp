#include "sandbox/account.h"

namespace gigasync::sandbox {

StringPool::StringPool() {
  // Interned first, in the order of enum LatestStatus, so that those handles are fixed.
  for (const char* s : {"created", "notified", "claimed", "verified", "accepted", "canceled", "open", "closed", "paid"}) {
    intern(s);
  }
}

std::uint32_t StringPool::intern(std::string_view s) {
  if (auto found = find(s)) return *found;
  auto handle = static_cast<std::uint32_t>(strings_.size());
  strings_.emplace_back(s);
  index_.emplace(strings_.back(), handle);
  return handle;
}

std::optional<std::uint32_t> StringPool::find(std::string_view s) const {
  auto it = index_.find(s);
  if (it == index_.end()) return std::nullopt;
  return it->second;
}

std::string_view currency_text(const Currency& c) { return {c.data(), c.size()}; }

Account* AccountStore::find(const std::string& integration_id) {
  auto it = accounts_.find(integration_id);
  return it == accounts_.end() ? nullptr : it->second.get();
}

const Account* AccountStore::find(const std::string& integration_id) const {
  auto it = accounts_.find(integration_id);
  return it == accounts_.end() ? nullptr : it->second.get();
}

Account& AccountStore::at(const std::string& integration_id) {
  auto& slot = accounts_[integration_id];
  if (!slot) slot = std::make_unique<Account>();
  return *slot;
}

void AccountStore::rename(const std::string& old_id, const std::string& new_id) {
  if (old_id == new_id) return;
  auto it = accounts_.find(old_id);
  if (it == accounts_.end()) return;
  auto account = std::move(it->second);
  accounts_.erase(it);
  accounts_[new_id] = std::move(account);
}

void AccountStore::erase(const std::string& integration_id) { accounts_.erase(integration_id); }

AccountCounts AccountStore::counts() const {
  AccountCounts c;
  for (const auto& [id, a] : accounts_) {
    c.employees += a->employees.size();
    c.payouts += a->payouts.size();
    c.payruns += a->payruns.size();
    c.invoices += a->invoices.size();
    c.webhooks += a->webhooks.size();
  }
  return c;
}

void attach_payout(Account& a, Serial payout) {
  const Payout& p = a.payouts.at(payout);
  Payrun& run = a.payruns.at(p.payrun);
  run.price += p.cost;
  ++run.payouts;
  if (a.employees.alive(p.employee)) ++a.employees.at(p.employee).payouts;
}

void remove_payout(Account& a, Serial payout) {
  const Payout& p = a.payouts.at(payout);
  if (a.payruns.alive(p.payrun)) {
    Payrun& run = a.payruns.at(p.payrun);
    run.price -= p.cost;
    --run.payouts;
  }
  if (a.employees.alive(p.employee)) --a.employees.at(p.employee).payouts;
  a.payouts.erase(payout);
}

void remove_payrun(Account& a, Serial payrun) {
  std::vector<Serial> doomed;
  a.payouts.for_each([&](Serial s, const Payout& p) {
    if (p.payrun == payrun) doomed.push_back(s);
  });
  for (Serial s : doomed) remove_payout(a, s);
  Serial invoice = a.payruns.at(payrun).invoice;
  if (a.invoices.alive(invoice)) a.invoices.erase(invoice);
  a.payruns.erase(payrun);
}

void remove_employee(Account& a, Serial employee) {
  std::vector<Serial> doomed;
  a.payouts.for_each([&](Serial s, const Payout& p) {
    if (p.employee == employee) doomed.push_back(s);
  });
  for (Serial s : doomed) remove_payout(a, s);
  a.employees.erase(employee);
}

void remove_invoice(Account& a, Serial invoice) {
  Serial payrun = a.invoices.at(invoice).payrun;
  if (a.payruns.alive(payrun)) a.payruns.at(payrun).invoice = kNoSerial;
  a.invoices.erase(invoice);
}

}  // namespace gigasync::sandbox
