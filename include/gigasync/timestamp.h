#pragma once
// ISO 8601 timestamps as the API writes them, read into microseconds since the Unix epoch (UTC)
// and written back, so that times from different servers and precisions compare as times.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "gigasync/layer.h"
GIGASYNC_LAYER(util);

namespace gigasync {

// Microseconds since 1970-01-01T00:00:00Z.
using UnixMicros = std::int64_t;

// Reads "YYYY-MM-DDTHH:MM[:SS[.fraction]][Z|+HH:MM|-HH:MM|+HHMM]" ('T' or a space between date and
// time; a one-digit hour as some servers write it, e.g. "2019-05-25T9:02:16.8462735Z"; digits past
// the sixth of the fraction dropped; no zone = UTC) and a plain date "YYYY-MM-DD" (midnight UTC).
// std::nullopt for anything else, including impossible dates and times.
std::optional<UnixMicros> parse_iso8601(std::string_view text);

// "2026-12-04T10:32:38.118753Z": UTC, six fraction digits (a form every ISO 8601 reader takes).
std::string format_iso8601_micros(UnixMicros t);

// The current time as ISO 8601 UTC with milliseconds, e.g. 2026-11-28T01:02:03.456Z.
std::string now_iso8601();

// The current time.
UnixMicros now_micros();

}  // namespace gigasync
