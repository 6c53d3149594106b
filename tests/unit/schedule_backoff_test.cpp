// The daemon's backoff during an outage: from interval_s up to sync.max_backoff_s, with jitter,
// edits included, and back to interval_s after the first good cycle.
#include <catch2/catch.hpp>

#include "daemon/schedule.h"

using namespace gigasync;
using namespace gigasync::daemon;
using namespace std::chrono_literals;

namespace {

SyncConfig outage_config(int interval, int jitter, int ceiling) {
  SyncConfig c;
  c.interval_s = interval;
  c.jitter_s = jitter;
  c.max_backoff_s = ceiling;
  c.push_delay_s = 2;
  return c;
}

}  // namespace

TEST_CASE("backoff starts at interval_s and doubles up to max_backoff_s", "[daemon][backoff]") {
  auto cfg = outage_config(300, 0, 3600);
  CHECK(SyncConfig{}.max_backoff_s == 3600);
  CHECK(backoff_base(1, cfg) == 300s);  // never sooner than a normal interval (not 2 s)
  CHECK(backoff_base(2, cfg) == 600s);
  CHECK(backoff_base(3, cfg) == 1200s);
  CHECK(backoff_base(4, cfg) == 2400s);
  CHECK(backoff_base(5, cfg) == 3600s);
  CHECK(backoff_base(1000000, cfg) == 3600s);
  // A ceiling below the interval is the interval: an outage never makes cycles more frequent.
  CHECK(backoff_base(3, outage_config(300, 0, 60)) == 300s);
  std::mt19937_64 rng(1);
  CHECK(backoff_delay(2, cfg, rng) == 600s);  // jitter_s = 0: exact
}

TEST_CASE("backoff is jittered by the share jitter_s is of interval_s, never above the ceiling", "[daemon][backoff]") {
  auto cfg = outage_config(300, 30, 3600);  // ± 10 %
  std::mt19937_64 rng(7);
  for (int failures : {1, 3, 5, 40}) {
    Millis base = backoff_base(failures, cfg), lo = Millis::max(), hi = Millis::min();
    for (int i = 0; i < 2000; ++i) {
      auto d = backoff_delay(failures, cfg, rng);
      lo = std::min(lo, d);
      hi = std::max(hi, d);
    }
    INFO(failures);
    CHECK(lo >= base - base / 10);
    CHECK(lo < base - base / 20);  // spread out, so many hosts do not come back in step
    CHECK(hi <= std::min(base + base / 10, Millis(3600s)));
  }
  for (int i = 0; i < 200; ++i) CHECK(backoff_delay(1, outage_config(1, 5, 1), rng) >= 1s);
}

TEST_CASE("during an outage edits wait for the backoff; the first good cycle restores interval_s", "[daemon][backoff]") {
  auto t0 = Clock::time_point{} + 1000s;
  Schedule s(outage_config(300, 0, 1000), t0, 1);
  s.done(CycleKind::full, Outcome::failed, t0);
  CHECK(s.next_full() == t0 + 300s);
  s.edit_seen(t0 + 10s);  // would push at t0 + 12 s normally
  CHECK(s.due(t0 + 12s) == CycleKind::none);
  CHECK(s.due(t0 + 299s) == CycleKind::none);
  CHECK(s.due(t0 + 300s) == CycleKind::full);
  s.done(CycleKind::full, Outcome::failed, t0 + 300s);
  CHECK(s.next_full() == t0 + 900s);
  s.done(CycleKind::full, Outcome::failed, t0 + 900s);
  CHECK(s.next_full() == t0 + 1900s);  // 1200 s capped at 1000 s
  // A push cycle that fails counts as a failure too: the next try is no sooner.
  s.edit_seen(t0 + 1900s);
  s.done(CycleKind::push, Outcome::failed, t0 + 1902s);
  CHECK(s.failures() == 4);
  CHECK(s.due(t0 + 2901s) == CycleKind::none);
  CHECK(s.due(t0 + 2902s) == CycleKind::full);
  s.done(CycleKind::full, Outcome::ok, t0 + 2902s);
  CHECK(s.failures() == 0);
  CHECK(s.next_full() == t0 + 3202s);
  s.done(CycleKind::full, Outcome::failed, t0 + 3202s);  // a new outage starts again at interval_s
  CHECK(s.next_full() == t0 + 3502s);
}
