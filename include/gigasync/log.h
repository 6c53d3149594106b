#pragma once
// Logging: spdlog to stderr, text (no timestamps under journald, which adds its own) or JSON lines.
// Every message passes through a redactor that replaces registered secrets with "[redacted]".
#include <string>

#include "gigasync/config.h"

namespace gigasync {

// Configures the default logger. Safe to call again (SIGHUP reload).
void setup_logging(const LogConfig& cfg);

// Registers a secret that must never appear in a log line (the token).
void register_secret(const std::string& secret);

// `text` with every registered secret replaced.
std::string redact(std::string text);

}  // namespace gigasync
