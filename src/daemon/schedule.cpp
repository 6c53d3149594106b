#include "daemon/schedule.h"

#include <algorithm>

namespace gigasync::daemon {
namespace {

Millis seconds(double s) { return Millis(static_cast<long long>(s * 1000.0)); }

}  // namespace

Millis jittered_interval(const SyncConfig& cfg, std::mt19937_64& rng) {
  long long interval = cfg.interval_s * 1000LL, jitter = std::max(cfg.jitter_s, 0) * 1000LL;
  std::uniform_int_distribution<long long> pick(interval - jitter, interval + jitter);
  return Millis(std::max(pick(rng), 1000LL));
}

Millis backoff_ceiling(const SyncConfig& cfg) {
  return Millis(std::max({cfg.max_backoff_s, cfg.interval_s, 1}) * 1000LL);
}

Millis backoff_base(int failures, const SyncConfig& cfg) {
  long long interval = std::max(cfg.interval_s, 1) * 1000LL;
  long long ceiling = backoff_ceiling(cfg).count();
  long long delay = interval;
  for (int i = 1; i < failures && delay < ceiling; ++i) delay *= 2;  // ends within ~40 doublings
  return Millis(std::min(delay, ceiling));
}

Millis backoff_delay(int failures, const SyncConfig& cfg, std::mt19937_64& rng) {
  long long base = backoff_base(failures, cfg).count();
  long long ceiling = backoff_ceiling(cfg).count();
  double share = static_cast<double>(std::max(cfg.jitter_s, 0)) / static_cast<double>(std::max(cfg.interval_s, 1));
  auto jitter = static_cast<long long>(static_cast<double>(base) * std::min(share, 1.0));
  std::uniform_int_distribution<long long> pick(base - jitter, std::min(base + jitter, ceiling));
  return Millis(std::max(pick(rng), 1000LL));
}

Schedule::Schedule(const SyncConfig& cfg, Clock::time_point now, unsigned long long seed)
    : cfg_(cfg), rng_(seed), next_full_(now), backoff_until_(now) {}

void Schedule::set_config(const SyncConfig& cfg, Clock::time_point now) {
  cfg_ = cfg;
  next_full_ = std::min(next_full_, now + jittered_interval(cfg_, rng_));
}

void Schedule::edit_seen(Clock::time_point now) {
  auto due_at = now + seconds(cfg_.push_delay_s);
  if (!push_due_ || due_at < *push_due_) push_due_ = due_at;
}

void Schedule::sync_now(Clock::time_point now) {
  next_full_ = now;
  backoff_until_ = now;
}

CycleKind Schedule::due(Clock::time_point now) const {
  if (now < backoff_until_) return CycleKind::none;
  if (now >= next_full_) return CycleKind::full;
  if (push_due_ && now >= *push_due_) return CycleKind::push;
  return CycleKind::none;
}

void Schedule::done(CycleKind kind, Outcome outcome, Clock::time_point now) {
  push_due_.reset();  // a push cycle, or a full cycle (which pushes too), handled the edits seen so far
  if (outcome == Outcome::failed) {
    ++failures_;
    backoff_until_ = now + backoff_delay(failures_, cfg_, rng_);
    next_full_ = backoff_until_;
    return;
  }
  if (outcome == Outcome::ok) failures_ = 0;
  if (kind == CycleKind::full || outcome == Outcome::skipped) next_full_ = now + jittered_interval(cfg_, rng_);
}

}  // namespace gigasync::daemon
