// libFuzzer target: json::parse_integration, canonical_object and describe_error_body on any bytes
// (an answer to GET/PATCH/PUT/POST, metadata text, an error body).
// Invariant: canonical_object is idempotent.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "gigasync/json.h"

namespace json = gigasync::json;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)json::parse_integration(text, "GET integration x");
  (void)json::describe_error_body(text);
  if (auto c = json::canonical_object(text)) {
    auto twice = json::canonical_object(c.value());
    if (!twice || twice.value() != c.value()) std::abort();
  }
  return 0;
}
