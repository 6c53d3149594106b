// The account mirrors' incremental windows and the full re-list's schedule (src/sync/account.h):
// window_start (the newest time seen of a field, else of any field, less kWindowOverlap; nothing
// seen: nullopt, a full list) and full_list_due.
#include <catch2/catch.hpp>

#include <map>
#include <optional>
#include <string>

#include "gigasync/timestamp.h"
#include "sync/account.h"

namespace {

using gigasync::full_list_due;
using gigasync::kWindowOverlap;
using gigasync::UnixMicros;
using gigasync::window_start;

UnixMicros at(const char* iso) {
  auto t = gigasync::parse_iso8601(iso);
  REQUIRE(t);
  return *t;
}

constexpr UnixMicros kSecond = 1'000'000;

}  // namespace

TEST_CASE("account window: the overlap is subtracted from the newest time of the field", "[account]") {
  // Long enough for a late commit and for either reading of a bound, and not a day's worth.
  STATIC_REQUIRE(kWindowOverlap >= 60 * kSecond);
  STATIC_REQUIRE(kWindowOverlap <= 24 * 3600 * kSecond);
  const UnixMicros created = at("2026-12-04T10:32:38.118753Z");
  const UnixMicros accepted = at("2026-12-04T11:00:00.000001Z");
  const std::map<std::string, UnixMicros> newest{{"created_at", created}, {"accepted_at", accepted}};
  auto c = window_start(newest, "created_at");
  REQUIRE(c);
  CHECK(*c == created - kWindowOverlap);
  auto a = window_start(newest, "accepted_at");
  REQUIRE(a);
  CHECK(*a == accepted - kWindowOverlap);
  // Each field its own window: the older field's is not widened or narrowed by the newer one.
  CHECK(*c < *a);
}

TEST_CASE("account window: an object stamped exactly at the newest time seen is inside the window", "[account]") {
  const UnixMicros t = at("2026-12-04T10:32:38.118753Z");
  auto start = window_start({{"paid_at", t}}, "paid_at");
  REQUIRE(start);
  // Strictly before the newest time: an API that excludes the bound (`>`) and one that includes it
  // (`>=`) both return the object stamped at t, and the one stamped a microsecond earlier.
  CHECK(*start < t);
  CHECK(*start < t - 1);
  // The bound as sent ({field}_after=...) reads back as the same microsecond: formatting does not
  // round it up past an object stamped at the start itself.
  const std::string bound = gigasync::format_iso8601_micros(*start);
  auto back = gigasync::parse_iso8601(bound);
  REQUIRE(back);
  CHECK(*back == *start);
  // Two objects stamped at the very same microsecond as the newest are both still inside.
  const std::map<std::string, UnixMicros> same{{"created_at", t}, {"notified_at", t}};
  CHECK(*window_start(same, "created_at") == *window_start(same, "notified_at"));
  CHECK(*window_start(same, "created_at") + kWindowOverlap == t);
}

TEST_CASE("account window: a field never seen starts at the newest time of any field", "[account]") {
  // No payout was ever canceled: the canceled_at window starts where the newest of everything seen
  // is (a cancel after the last read stamps a later time than anything that read saw).
  const UnixMicros created = at("2026-12-01T08:00:00Z");
  const UnixMicros notified = at("2026-12-03T09:15:00.5Z");
  const UnixMicros accepted = at("2026-12-02T12:00:00Z");
  const std::map<std::string, UnixMicros> newest{
      {"created_at", created}, {"notified_at", notified}, {"accepted_at", accepted}};
  auto s = window_start(newest, "canceled_at");
  REQUIRE(s);
  CHECK(*s == notified - kWindowOverlap);  // the newest of the three, not the first or the last key
  // Whatever the order the fields are named in.
  const std::map<std::string, UnixMicros> other{{"a", accepted}, {"z", created}, {"m", notified}};
  CHECK(*window_start(other, "canceled_at") == notified - kWindowOverlap);
  // One field seen: that is the newest.
  CHECK(*window_start({{"created_at", created}}, "verified_at") == created - kWindowOverlap);
  // A field that is known but older than others keeps its own (older) start.
  CHECK(*window_start(newest, "created_at") == created - kWindowOverlap);
}

TEST_CASE("account window: nothing seen means a full list", "[account]") {
  CHECK_FALSE(window_start({}, "created_at").has_value());
  CHECK_FALSE(window_start({}, "paid_at").has_value());
}

TEST_CASE("account window: times at and before the epoch are times like any other", "[account]") {
  // A time of 0 (1970-01-01) is a time seen, not "nothing seen".
  auto s = window_start({{"created_at", 0}}, "created_at");
  REQUIRE(s);
  CHECK(*s == -kWindowOverlap);
  auto t = window_start({{"created_at", 0}}, "paid_at");
  REQUIRE(t);
  CHECK(*t == -kWindowOverlap);
}

TEST_CASE("account full list: due when never listed, late, or listed in the future", "[account]") {
  const UnixMicros now = at("2026-12-04T12:00:00Z");
  const long long every = 86400;
  SECTION("never listed") {
    CHECK(full_list_due(std::nullopt, now, every));
    CHECK(full_list_due(std::nullopt, 0, every));
  }
  SECTION("exactly every_s ago: due; one microsecond less: not yet") {
    CHECK(full_list_due(now - every * kSecond, now, every));
    CHECK_FALSE(full_list_due(now - every * kSecond + 1, now, every));
    CHECK(full_list_due(now - every * kSecond - 1, now, every));
  }
  SECTION("just listed: not due") {
    CHECK_FALSE(full_list_due(now, now, every));
    CHECK_FALSE(full_list_due(now - 1, now, every));
    CHECK_FALSE(full_list_due(now - 3600 * kSecond, now, every));
  }
  SECTION("the clock stepped back since the last full list: due") {
    CHECK(full_list_due(now + 1, now, every));
    CHECK(full_list_due(now + 3600 * kSecond, now, every));
    CHECK(full_list_due(now + 10LL * 365 * 86400 * kSecond, now, every));
  }
  SECTION("every_s counts seconds, not microseconds or minutes") {
    CHECK_FALSE(full_list_due(now - 59 * kSecond, now, 60));
    CHECK(full_list_due(now - 60 * kSecond, now, 60));
    CHECK_FALSE(full_list_due(now - 60 * kSecond, now, 61));
  }
  SECTION("every_s = 0: always due") {
    CHECK(full_list_due(now, now, 0));
    CHECK(full_list_due(now - 1, now, 0));
  }
  SECTION("a large every_s does not overflow into 'due'") {
    const long long decade = 10LL * 365 * 86400;
    CHECK_FALSE(full_list_due(now - 1, now, decade));
    CHECK(full_list_due(now - decade * kSecond, now, decade));
  }
}
