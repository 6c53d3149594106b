// check_signature (include/gigasync/webhooks.h): `Gigapay-Signature: t=<unix seconds>,v1=<hex>`,
// v1 the HMAC-SHA256 of "<t>.<raw body>" keyed by the webhook's secret, within a tolerance.
//
// The expected digests were computed outside gigasync, when this file was written, with
//   printf '%s' "<t>.<body>" | openssl dgst -sha256 -hmac "<secret>"
// and pasted here as constants.
#include <catch2/catch.hpp>

#include <string>

#include "gigasync/webhooks.h"

namespace {

using gigasync::check_signature;
using gigasync::Signature;

// A made-up secret for the vectors only (no webhook's).
const std::string kSecret = "whsec_test";
const std::string kBody = R"({"id":"p1","amount":"1314.20"})";
constexpr long long kT = 1733300000;
// printf '%s' '1733300000.{"id":"p1","amount":"1314.20"}' | openssl dgst -sha256 -hmac whsec_test
const std::string kV1 = "6b7a6cd9d0c674cf7d1863cb2222bc1b575cf635fce1c504a363c8c830b5e069";
// The same with the body's last digit changed (1314.21): a valid signature of another body.
const std::string kV1OtherBody = "75250928fd04d9f7d601e22f5c5f81fc4a87267bdf7ff3bb8006d302ca17d946";
constexpr long long kTol = 300;

std::string header(long long t, const std::string& v1) { return "t=" + std::to_string(t) + ",v1=" + v1; }

Signature check(const std::string& h, const std::string& body = kBody, long long now = kT) {
  return check_signature(h, body, kSecret, now, kTol);
}

std::string upper(std::string s) {
  for (char& c : s)
    if (c >= 'a' && c <= 'f') c = static_cast<char>(c - 'a' + 'A');
  return s;
}

}  // namespace

TEST_CASE("webhook signature: known vectors computed with openssl", "[webhooks]") {
  CHECK(check(header(kT, kV1)) == Signature::valid);
  // Other secrets and bodies, including the empty body and t = 0 (tolerance wide enough).
  // printf '%s' '0.' | openssl dgst -sha256 -hmac k
  CHECK(check_signature("t=0,v1=6b4a4b8b3c40f1e8f53a3d36682e5f99f7ad2ac1df1c93dfe336f329167641e7", "", "k", 0, 0) ==
        Signature::valid);
  // printf '%s' '1700000000.{}' | openssl dgst -sha256 -hmac 'another secret'
  CHECK(check_signature("t=1700000000,v1=3b67c2ca415de5b28770f1738b953abc6b7e779ddd2491dcc028a1f2d0b0fa4e", "{}",
                        "another secret", 1700000000, 300) == Signature::valid);
  // The digest in capitals is the same digest.
  CHECK(check(header(kT, upper(kV1))) == Signature::valid);
  // The order of the parts does not matter.
  CHECK(check("v1=" + kV1 + ",t=" + std::to_string(kT)) == Signature::valid);
}

TEST_CASE("webhook signature: the secret, the body and t are all signed", "[webhooks]") {
  SECTION("the body changed by one byte") {
    std::string body = kBody;
    body[body.size() - 3] = '1';  // "1314.21"
    CHECK(check(header(kT, kV1), body) == Signature::forged);
    // ... and that body's own signature is valid for it, not for the original.
    CHECK(check(header(kT, kV1OtherBody), body) == Signature::valid);
    CHECK(check(header(kT, kV1OtherBody)) == Signature::forged);
  }
  SECTION("one byte appended or removed") {
    CHECK(check(header(kT, kV1), kBody + " ") == Signature::forged);
    CHECK(check(header(kT, kV1), kBody.substr(0, kBody.size() - 1)) == Signature::forged);
  }
  SECTION("another secret") {
    CHECK(check_signature(header(kT, kV1), kBody, "whsec_tesT", kT, kTol) == Signature::forged);
    CHECK(check_signature(header(kT, kV1), kBody, "", kT, kTol) == Signature::forged);
  }
  SECTION("another t (within the tolerance) with the same digest") {
    CHECK(check(header(kT + 1, kV1)) == Signature::forged);
    CHECK(check(header(kT - 1, kV1)) == Signature::forged);
  }
  SECTION("one hex digit of the digest changed, or the digest cut short or lengthened") {
    std::string v = kV1;
    v[10] = v[10] == '0' ? '1' : '0';
    CHECK(check(header(kT, v)) == Signature::forged);
    CHECK(check(header(kT, kV1.substr(0, 63))) == Signature::forged);
    CHECK(check(header(kT, kV1.substr(0, 62))) == Signature::forged);
    CHECK(check(header(kT, kV1 + "00")) == Signature::forged);
  }
}

TEST_CASE("webhook signature: the tolerance, both ways, bounds included", "[webhooks]") {
  // The signature is over t, so each header is made for its own t: only the clock moves.
  const std::string h = header(kT, kV1);
  CHECK(check(h, kBody, kT + kTol) == Signature::valid);          // exactly tolerance_s old
  CHECK(check(h, kBody, kT + kTol + 1) == Signature::stale);      // one second more
  CHECK(check(h, kBody, kT - kTol) == Signature::valid);          // t exactly tolerance_s ahead
  CHECK(check(h, kBody, kT - kTol - 1) == Signature::stale);      // one second further ahead
  CHECK(check(h, kBody, kT + 100000) == Signature::stale);
  CHECK(check(h, kBody, kT - 100000) == Signature::stale);
  // A stale forgery is refused either way.
  CHECK(check(header(kT, std::string(64, '0')), kBody, kT + kTol + 1) != Signature::valid);
  // Tolerance 0: only the very second.
  CHECK(check_signature(h, kBody, kSecret, kT, 0) == Signature::valid);
  CHECK(check_signature(h, kBody, kSecret, kT + 1, 0) == Signature::stale);
  CHECK(check_signature(h, kBody, kSecret, kT - 1, 0) == Signature::stale);
}

TEST_CASE("webhook signature: malformed and missing headers", "[webhooks]") {
  const std::string ts = std::to_string(kT);
  SECTION("empty, or only blanks") {
    CHECK(check("") == Signature::missing);
    CHECK(check("   ") == Signature::missing);
    CHECK(check("\t") == Signature::missing);
  }
  SECTION("no t") {
    CHECK(check("v1=" + kV1) == Signature::malformed);
    CHECK(check("t=,v1=" + kV1) == Signature::malformed);
    CHECK(check("T=" + ts + ",v1=" + kV1) == Signature::malformed);  // keys are case-sensitive
  }
  SECTION("no v1") {
    CHECK(check("t=" + ts) == Signature::malformed);
    CHECK(check("t=" + ts + ",v1=") == Signature::malformed);
    CHECK(check("t=" + ts + ",v0=" + kV1) == Signature::malformed);  // another scheme alone is not v1
    CHECK(check("t=" + ts + ",V1=" + kV1) == Signature::malformed);
  }
  SECTION("t not a whole number of seconds") {
    CHECK(check("t=" + ts + "x,v1=" + kV1) == Signature::malformed);
    CHECK(check("t=" + ts + ".5,v1=" + kV1) == Signature::malformed);
    CHECK(check("t=abc,v1=" + kV1) == Signature::malformed);
    CHECK(check("t=99999999999999999999999,v1=" + kV1) == Signature::malformed);  // out of range
  }
  SECTION("t twice") {
    CHECK(check("t=" + ts + ",t=" + ts + ",v1=" + kV1) == Signature::malformed);
  }
  SECTION("v1 not hex") {
    std::string v = kV1;
    v[0] = 'g';
    CHECK(check(header(kT, v)) == Signature::malformed);
    CHECK(check(header(kT, "0x" + kV1)) == Signature::malformed);
    CHECK(check(header(kT, kV1.substr(0, 32) + " " + kV1.substr(32))) == Signature::malformed);
  }
  SECTION("a part without '='") {
    CHECK(check("t=" + ts + ",v1=" + kV1 + ",junk") == Signature::malformed);
    CHECK(check(ts + "," + kV1) == Signature::malformed);
  }
  SECTION("nothing of it is ever valid, whatever the digest") {
    for (const std::string& h : {std::string("t"), std::string(","), std::string("=,="), std::string("t=,v1=,"),
                                 "v1=" + kV1 + ",v1=" + kV1})
      CHECK(check(h) != Signature::valid);
  }
}

TEST_CASE("webhook signature: several v1 values, other schemes and blanks", "[webhooks]") {
  const std::string ts = std::to_string(kT);
  const std::string wrong = std::string(64, 'a');
  SECTION("one of several v1 values matches (a secret being rolled)") {
    CHECK(check("t=" + ts + ",v1=" + wrong + ",v1=" + kV1) == Signature::valid);
    CHECK(check("t=" + ts + ",v1=" + kV1 + ",v1=" + wrong) == Signature::valid);
    CHECK(check("v1=" + wrong + ",t=" + ts + ",v1=" + kV1) == Signature::valid);
  }
  SECTION("none of several matches") {
    CHECK(check("t=" + ts + ",v1=" + wrong + ",v1=" + std::string(64, 'b')) == Signature::forged);
    CHECK(check("t=" + ts + ",v1=" + wrong + ",v1=" + kV1OtherBody) == Signature::forged);
  }
  SECTION("a non-hex v1 among them spoils the header") {
    CHECK(check("t=" + ts + ",v1=" + kV1 + ",v1=zz") == Signature::malformed);
  }
  SECTION("other schemes beside v1 are ignored") {
    CHECK(check("t=" + ts + ",v0=" + wrong + ",v1=" + kV1) == Signature::valid);
    CHECK(check("t=" + ts + ",v0=" + kV1 + ",v1=" + wrong) == Signature::forged);
  }
  SECTION("blanks around the parts, keys and values") {
    CHECK(check("  t=" + ts + ",v1=" + kV1 + "  ") == Signature::valid);
    CHECK(check("t=" + ts + ", v1=" + kV1) == Signature::valid);
    CHECK(check("t = " + ts + " ,\tv1 = " + kV1) == Signature::valid);
    // ... but not inside the number or the digest.
    CHECK(check("t=17333 00000,v1=" + kV1) == Signature::malformed);
  }
}

TEST_CASE("webhook signature: the verdicts have words for the log", "[webhooks]") {
  for (Signature s : {Signature::valid, Signature::missing, Signature::malformed, Signature::stale, Signature::forged})
    CHECK_FALSE(gigasync::to_string(s).empty());
  CHECK(gigasync::to_string(Signature::valid) != gigasync::to_string(Signature::forged));
}
