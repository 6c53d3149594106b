// HMAC-SHA256 against the RFC 4231 test vectors, and the constant-time comparison.
#include <catch2/catch.hpp>

#include <string>

#include "gigasync/hmac.h"

using gigasync::util::constant_time_equal;
using gigasync::util::hmac_sha256_hex;

namespace {

std::string bytes(std::size_t n, unsigned char value) { return std::string(n, static_cast<char>(value)); }

}  // namespace

TEST_CASE("HMAC-SHA256 matches the RFC 4231 test vectors", "[hmac][sandbox]") {
  // Test case 1
  CHECK(hmac_sha256_hex(bytes(20, 0x0b), "Hi There") ==
        "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  // Test case 2: a key shorter than the output
  CHECK(hmac_sha256_hex("Jefe", "what do ya want for nothing?") ==
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  // Test case 3: 50 bytes of 0xdd
  CHECK(hmac_sha256_hex(bytes(20, 0xaa), bytes(50, 0xdd)) ==
        "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe");
  // Test case 4: key 0x01..0x19
  std::string key4;
  for (int i = 1; i <= 25; ++i) key4 += static_cast<char>(i);
  CHECK(hmac_sha256_hex(key4, bytes(50, 0xcd)) ==
        "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b");
  // Test case 5: the RFC gives the first 128 bits only
  CHECK(hmac_sha256_hex(bytes(20, 0x0c), "Test With Truncation").substr(0, 32) == "a3b6167473100ee06e0c796c2955552b");
  // Test case 6: a key longer than the block size is hashed first
  CHECK(hmac_sha256_hex(bytes(131, 0xaa), "Test Using Larger Than Block-Size Key - Hash Key First") ==
        "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
  // Test case 7: key and data longer than the block size
  CHECK(hmac_sha256_hex(bytes(131, 0xaa),
                        "This is a test using a larger than block-size key and a larger than block-size data. "
                        "The key needs to be hashed before being used by the HMAC algorithm.") ==
        "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2");
}

TEST_CASE("HMAC-SHA256 takes an empty key and an empty message", "[hmac][sandbox]") {
  // Python: hmac.new(b"", b"", "sha256").hexdigest()
  CHECK(hmac_sha256_hex("", "") == "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
  CHECK(hmac_sha256_hex("k", "").size() == 64);
}

TEST_CASE("A Gigapay signature is the HMAC of t, a dot and the raw body", "[hmac][sandbox]") {
  const std::string body = R"({"id":"1847","name":"Albin Lindskog"})";
  std::string v1 = hmac_sha256_hex("c1329a085d65f7757838df5920fdcc9a", "1583327301." + body);
  CHECK(v1.size() == 64);
  CHECK(v1 == hmac_sha256_hex("c1329a085d65f7757838df5920fdcc9a", "1583327301." + body));
  CHECK(v1 != hmac_sha256_hex("c1329a085d65f7757838df5920fdcc9b", "1583327301." + body));
  CHECK(v1 != hmac_sha256_hex("c1329a085d65f7757838df5920fdcc9a", "1583327302." + body));
}

TEST_CASE("constant_time_equal compares bytes, and lengths first", "[hmac][sandbox]") {
  CHECK(constant_time_equal("", ""));
  CHECK(constant_time_equal("abc", "abc"));
  CHECK_FALSE(constant_time_equal("abc", "abd"));
  CHECK_FALSE(constant_time_equal("abc", "abcd"));
  CHECK_FALSE(constant_time_equal("abcd", "abc"));
  CHECK_FALSE(constant_time_equal("", "a"));
  CHECK(constant_time_equal(std::string("a\0b", 3), std::string("a\0b", 3)));
  CHECK_FALSE(constant_time_equal(std::string("a\0b", 3), std::string("a\0c", 3)));
}
