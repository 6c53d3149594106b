#pragma once
// What happens to the account's objects, in one place for the API and the admin endpoints:
// creations, the state moves that stamp timestamps, and the events they send to webhooks.
//
// latest_status follows the latest move made:
//   employees  created -> notified -> claimed -> verified
//   payouts    created -> notified -> accepted | canceled
//   payruns    open -> closed -> paid
// Moves and what they stamp (each move once: made again it is refused 409 {"detail": ...}):
//   employee notify   notified_at                                      Employee.notified
//   employee claim    claimed_at; invitation_code becomes null         Employee.claimed
//   employee verify   verified_at                                      Employee.verified
//   payout notify     notified_at (409 when canceled)                  Payout.notified
//   payout accept     accepted_at (409 when canceled)                  Payout.accepted
//   payout cancel     canceled_at (409 when accepted)                  (no event: none documented)
//   payrun close      open = false; each payout not yet notified nor canceled: notified_at
//                     (Payout.notified); its invoice issued (issued_at, due_date today + 14)
//                     unless it was. A closed payrun: nothing happens (no 409: a retried close)
//   payrun pay        closes it first if open; paid_at; its invoice paid_at   Payrun.paid
//   invoice issue     issued_at and due_date; its payrun closed if open (open = pro-forma)
//   invoice pay       pays its payrun (the same as payrun pay)
// The moves do not check order otherwise (an employee can be verified before being claimed):
// the sandbox lets tests make any history the real service could show.
// Callers hold the state lock.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sandbox/account.h"
#include "sandbox/account_json.h"
#include "sandbox/api.h"

namespace gigasync::sandbox {

// The nine integration-scoped events, and every event a webhook may subscribe to (the nine, plus
// Invoice.created and Invoice.paid from the documents' Events list and the user-scoped
// Registration.verified, which the sandbox accepts but never sends).
const std::vector<std::string>& integration_events();
const std::vector<std::string>& subscribable_events();

// One integration's account, with the clock and the webhooks.
struct AccountScope {
  State& s;
  const std::string& integration_id;
  Account& account;
  RenderContext ctx() const { return {account, s.accounts.strings(), s.origin}; }
};

// Queues `body` (an object of this integration) for every webhook of the integration subscribed
// to `event`.
void emit(AccountScope& a, const char* event, const std::string& object_id, const std::string& body);

// Creations: stamp created_at, store, send the *.created event. The caller has validated the
// object and its id is free. Returns the serial.
Serial add_employee(AccountScope& a, Employee e);
// The payout joins the open payrun of its currency (one is created, with its invoice, when
// there is none: Payrun.created, then Payout.created).
Serial add_payout(AccountScope& a, Payout p);

// The moves above. nullopt = done; otherwise the 409 to answer. REQUIRES: a live serial.
std::optional<ApiResponse> notify_employee(AccountScope& a, Serial e);
std::optional<ApiResponse> claim_employee(AccountScope& a, Serial e);
std::optional<ApiResponse> verify_employee(AccountScope& a, Serial e);
std::optional<ApiResponse> notify_payout(AccountScope& a, Serial p);
std::optional<ApiResponse> accept_payout(AccountScope& a, Serial p);
std::optional<ApiResponse> cancel_payout(AccountScope& a, Serial p);
void close_payrun(AccountScope& a, Serial p);
std::optional<ApiResponse> pay_payrun(AccountScope& a, Serial p);
// `due_date`: days since the epoch; kNoDate = today + 14.
std::optional<ApiResponse> issue_invoice(AccountScope& a, Serial i, std::int32_t due_date);
std::optional<ApiResponse> pay_invoice(AccountScope& a, Serial i);

// A fresh uuid4 that no object of `table` has.
template <class T>
std::string unused_id(const Table<T>& table, Generator& gen) {
  std::string id = gen.uuid4();
  while (table.find(id)) id = gen.uuid4();
  return id;
}

// Random text: `n` characters of [A-Z0-9] (invitation codes) or [a-z0-9] (secret keys).
std::string random_code(Generator& gen, std::size_t n, bool upper);
// A random 12-digit OCR number (a payrun's bank reference and its invoice's number).
std::string random_ocr_number(Generator& gen);

}  // namespace gigasync::sandbox
