#pragma once
// Seeding the account's objects for tests, the demo and the benchmark: a year of history that
// ends at `now`, deterministic for the generator's seed and `now`.
#include "sandbox/api.h"

namespace gigasync::sandbox {

// Spreads `payouts` payouts evenly over the integrations in the store (in creation order), each
// integration with about one employee per 8 payouts and payruns of 10 to 30 payouts, each payrun
// with its invoice. Every payrun but the latest of each integration is closed, its payouts
// notified and its invoice issued; payruns closed more than a few days before `now` are paid and
// their payouts accepted (about 1 % canceled and 1 % never accepted). The latest payrun of each
// integration is open: its payouts are created only. Employees are notified, most claimed and
// verified. Sends no events. REQUIRES: the accounts are empty.
void seed_accounts(State& s, std::size_t payouts, UnixMicros now);

}  // namespace gigasync::sandbox
