// libFuzzer target: json::parse_page on any bytes (a list page as the API might send it).
// Invariant: every object of a page that parses writes back (object_body, plus the fields the
// documents do not describe, as a PUT sends them) to JSON that parses into the same object.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "gigasync/json.h"

namespace json = gigasync::json;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto page = json::parse_page(text, "page 1");
  if (!page) return 0;
  const std::vector<std::string_view>& fields = gigasync::integration_fields();
  for (const auto& o : page->results) {
    auto again = json::parse_integration(json::with_unknown_fields(json::object_body(o, fields), o.extra),
                                         "round trip");
    if (!again || !(again.value() == o)) std::abort();
  }
  return 0;
}
