#pragma once
// HMAC-SHA256 (RFC 2104) and a constant-time comparison, for webhook signatures: the sandbox signs
// its deliveries with them and gigasync's webhook listener checks them.
#include <string>
#include <string_view>

#include "gigasync/layer.h"
GIGASYNC_LAYER(util);

namespace gigasync::util {

// HMAC-SHA256 of `message` keyed by `key`, as 64 lower-case hex digits. Any key length (RFC 2104:
// a key longer than the block is hashed first). Uses OpenSSL's libcrypto.
std::string hmac_sha256_hex(std::string_view key, std::string_view message);

// true when a and b hold the same bytes. Strings of different lengths are unequal at once (the
// length is not secret: a hex digest's length is fixed); equal lengths are compared in time that
// does not depend on where they differ (CRYPTO_memcmp).
bool constant_time_equal(std::string_view a, std::string_view b);

}  // namespace gigasync::util
