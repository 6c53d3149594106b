// libFuzzer target: the outbox payload reader (json::apply_payload) and the payload edits
// (payload_fields, payload_with, payload_without) on any bytes.
// Invariant: a field removed by payload_without is no longer listed by payload_fields.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "gigasync/json.h"

namespace json = gigasync::json;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  gigasync::Integration obj;
  obj.id = "fuzz";
  (void)json::apply_payload(text, obj);
  (void)json::payload_fields(text);
  auto without = json::payload_without(text, "city");
  auto fields = json::payload_fields(without);
  if (std::find(fields.begin(), fields.end(), "city") != fields.end()) std::abort();
  (void)json::payload_with(text, "metadata", std::string(text));
  (void)json::payload_with(text, "email", std::string(text));
  (void)json::canonical_row(obj);
  return 0;
}
