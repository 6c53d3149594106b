#pragma once
// When the daemon runs which cycle: full cycles every interval ± jitter, push-only cycles
// push_delay after a local edit, and exponential backoff after failures (from interval_s up to
// max_backoff_s). Pure logic on a
// steady clock, so it is unit-tested without sleeping.
#include <chrono>
#include <optional>
#include <random>

#include "gigasync/config.h"
#include "gigasync/layer.h"
GIGASYNC_PRIVATE(daemon);

namespace gigasync::daemon {

using Clock = std::chrono::steady_clock;
using Millis = std::chrono::milliseconds;

// A delay in [interval_s - jitter_s, interval_s + jitter_s], and never below one second.
Millis jittered_interval(const SyncConfig& cfg, std::mt19937_64& rng);

// The ceiling of the backoff: max_backoff_s, never below interval_s.
Millis backoff_ceiling(const SyncConfig& cfg);

// After `failures` (>= 1) failed cycles in a row, before jitter: interval_s, 2 × interval_s,
// 4 × interval_s, ... capped at backoff_ceiling().
Millis backoff_base(int failures, const SyncConfig& cfg);

// backoff_base() moved by a random amount of up to the same share of it as jitter_s is of
// interval_s (± 10 % with the defaults), never above the ceiling nor below one second.
Millis backoff_delay(int failures, const SyncConfig& cfg, std::mt19937_64& rng);

enum class CycleKind { none, full, push };
enum class Outcome { ok, failed, skipped };  // skipped: the lock stayed taken by another process

class Schedule {
 public:
  // The first full cycle is due at once.
  Schedule(const SyncConfig& cfg, Clock::time_point now, unsigned long long seed);

  // A new configuration (SIGHUP): a pending full cycle is moved no later than the new interval.
  void set_config(const SyncConfig& cfg, Clock::time_point now);
  // A local edit was noticed: a push is due push_delay_s from now (an earlier one stays).
  void edit_seen(Clock::time_point now);
  // SIGUSR1: a full cycle is due now, backoff or not.
  void sync_now(Clock::time_point now);

  // What to run now; `full` wins over `push` (a full cycle pushes too). During a backoff nothing
  // is due before the backoff ends, pushes of local edits included: while the API is down they
  // are tried no more often than full cycles.
  CycleKind due(Clock::time_point now) const;
  // Records the end of a cycle of `kind` and plans the next one.
  void done(CycleKind kind, Outcome outcome, Clock::time_point now);

  Clock::time_point next_full() const { return next_full_; }
  std::optional<Clock::time_point> next_push() const { return push_due_; }
  int failures() const { return failures_; }

 private:
  SyncConfig cfg_;
  std::mt19937_64 rng_;
  Clock::time_point next_full_;
  std::optional<Clock::time_point> push_due_;
  Clock::time_point backoff_until_;
  int failures_ = 0;
};

}  // namespace gigasync::daemon
