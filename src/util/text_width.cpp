#include "gigasync/text_width.h"

namespace gigasync {
namespace {

struct Decoded {
  char32_t cp;
  std::size_t len;
};

Decoded decode(std::string_view s, std::size_t i) {
  auto b = static_cast<unsigned char>(s[i]);
  std::size_t len = b < 0x80 ? 1 : (b >> 5) == 6 ? 2 : (b >> 4) == 14 ? 3 : (b >> 3) == 30 ? 4 : 1;
  if (i + len > s.size()) return {b, 1};
  char32_t cp = len == 1 ? b : len == 2 ? (b & 0x1f) : len == 3 ? (b & 0x0f) : (b & 0x07);
  for (std::size_t k = 1; k < len; ++k) {
    auto c = static_cast<unsigned char>(s[i + k]);
    if ((c >> 6) != 2) return {b, 1};
    cp = (cp << 6) | (c & 0x3f);
  }
  return {cp, len};
}

int columns_of(char32_t c) {
  if ((c >= 0x0300 && c <= 0x036f) || (c >= 0x200b && c <= 0x200f) || c == 0xfe0f) return 0;
  bool wide = (c >= 0x1100 && c <= 0x115f) || (c >= 0x2e80 && c <= 0xa4cf) || (c >= 0xac00 && c <= 0xd7a3) ||
              (c >= 0xf900 && c <= 0xfaff) || (c >= 0xfe30 && c <= 0xfe4f) || (c >= 0xff00 && c <= 0xff60) ||
              (c >= 0xffe0 && c <= 0xffe6) || (c >= 0x1f300 && c <= 0x1faff) || (c >= 0x20000 && c <= 0x3fffd);
  return wide ? 2 : 1;
}

}  // namespace

std::size_t display_width(std::string_view s) {
  std::size_t width = 0;
  for (std::size_t i = 0; i < s.size();) {
    auto d = decode(s, i);
    width += static_cast<std::size_t>(columns_of(d.cp));
    i += d.len;
  }
  return width;
}

std::string fit(std::string_view s, std::size_t columns) {
  std::size_t width = display_width(s);
  std::string out;
  if (width <= columns) {
    out = s;
  } else {
    std::size_t budget = columns >= 3 ? columns - 3 : 0, used = 0;
    for (std::size_t i = 0; i < s.size();) {
      auto d = decode(s, i);
      auto w = static_cast<std::size_t>(columns_of(d.cp));
      if (used + w > budget) break;
      out.append(s.substr(i, d.len));
      used += w;
      i += d.len;
    }
    out += std::string(columns - used >= 3 ? 3 : columns - used, '.');
    width = used + (columns - used >= 3 ? 3 : columns - used);
  }
  if (width < columns) out.append(columns - width, ' ');
  return out;
}

}  // namespace gigasync
