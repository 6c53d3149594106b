#pragma once
// Logging: spdlog to stderr, text (no timestamps under journald, which adds its own) or JSON lines.
// Every message passes through a redactor that replaces registered secrets with "[redacted]".
#include <string>

#include "gigasync/layer.h"
GIGASYNC_LAYER(util);


namespace gigasync {

enum class LogFormat { text, json };

// [log]: the level and the line format.
struct LogConfig {
  std::string level = "info";  // trace|debug|info|warn|error|critical|off
  LogFormat format = LogFormat::text;
  bool operator==(const LogConfig&) const = default;
};

// Configures the default logger. Safe to call again (SIGHUP reload).
void setup_logging(const LogConfig& cfg);

// Registers a secret that must never appear in a log line (the token).
void register_secret(const std::string& secret);

// `text` with every registered secret replaced.
std::string redact(std::string text);

}  // namespace gigasync
