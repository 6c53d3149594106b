#pragma once
// Terminal columns of UTF-8 text, for tables that stay aligned with names like "Åre Fjäll & Co".
#include <cstddef>
#include <string>
#include <string_view>

#include "gigasync/layer.h"
GIGASYNC_LAYER(util);

namespace gigasync {

// Columns `s` takes on a terminal: one per code point, two for East Asian wide and emoji ones,
// none for combining marks. Invalid bytes count one column each.
std::size_t display_width(std::string_view s);

// `s` cut to at most `columns` (ending in "..." when cut, never inside a character) and padded
// with spaces to exactly `columns`.
std::string fit(std::string_view s, std::size_t columns);

}  // namespace gigasync
