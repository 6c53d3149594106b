// libFuzzer target: parse_config on any bytes (a TOML config file).
// Invariants: an error is ExitCode::config, names the file, and stays on one line.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "gigasync/config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  auto cfg = gigasync::parse_config(text, "fuzz.toml");
  if (cfg) return 0;
  const auto& e = cfg.error();
  if (e.code != gigasync::ExitCode::config) std::abort();
  if (e.message.rfind("fuzz.toml", 0) != 0) std::abort();
  if (e.message.find('\n') != std::string::npos) std::abort();
  return 0;
}
