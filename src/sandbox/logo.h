#pragma once
// Logos are written as base64 image data and read back as a URL to the stored image.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace gigasync::sandbox {

// Decodes standard base64 (padding required), optionally after a "data:<type>;base64," prefix.
// Returns nullopt when the text is empty or not valid base64.
std::optional<std::string> decode_base64(std::string_view text);

// 32-bit FNV-1a.
std::uint32_t fnv1a32(std::string_view data);

// "<origin>/media/logos/<id>-<8 hex of fnv1a32(image)>.png"
std::string logo_url(std::string_view origin, std::string_view id, std::string_view image);

}  // namespace gigasync::sandbox
