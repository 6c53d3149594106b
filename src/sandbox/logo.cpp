#include "sandbox/logo.h"

#include <array>
#include <cstdio>

#include "sandbox/paging.h"

namespace gigasync::sandbox {
namespace {

int base64_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

std::string_view strip_data_uri(std::string_view text) {
  if (text.substr(0, 5) != "data:") return text;
  auto comma = text.find(',');
  if (comma == std::string_view::npos) return {};
  auto head = text.substr(0, comma);
  return head.size() >= 7 && head.substr(head.size() - 7) == ";base64" ? text.substr(comma + 1)
                                                                         : std::string_view{};
}

// Decodes one 4-character group; `last` allows '=' padding. False when invalid.
bool decode_group(std::string_view g, bool last, std::string& out) {
  std::array<int, 4> v{};
  int pad = 0;
  for (std::size_t i = 0; i < 4; ++i) {
    if (g[i] == '=' && last && i >= 2) {
      ++pad;
      continue;
    }
    if (pad > 0) return false;
    v[i] = base64_value(g[i]);
    if (v[i] < 0) return false;
  }
  unsigned n = (unsigned(v[0]) << 18) | (unsigned(v[1]) << 12) | (unsigned(v[2]) << 6) | unsigned(v[3]);
  out += static_cast<char>((n >> 16) & 0xFF);
  if (pad < 2) out += static_cast<char>((n >> 8) & 0xFF);
  if (pad < 1) out += static_cast<char>(n & 0xFF);
  return true;
}

}  // namespace

std::optional<std::string> decode_base64(std::string_view text) {
  text = strip_data_uri(text);
  if (text.empty() || text.size() % 4 != 0) return std::nullopt;
  std::string out;
  out.reserve(text.size() / 4 * 3);
  for (std::size_t i = 0; i < text.size(); i += 4) {
    if (!decode_group(text.substr(i, 4), i + 4 == text.size(), out)) return std::nullopt;
  }
  return out;
}

std::uint32_t fnv1a32(std::string_view data) {
  std::uint32_t h = 2166136261u;
  for (char c : data) {
    h ^= static_cast<unsigned char>(c);
    h *= 16777619u;
  }
  return h;
}

std::string logo_url(std::string_view origin, std::string_view id, std::string_view image) {
  std::array<char, 9> hex{};
  std::snprintf(hex.data(), hex.size(), "%08x", static_cast<unsigned>(fnv1a32(image)));
  return std::string(origin) + "/media/logos/" + url_encode(id) + "-" + hex.data() + ".png";
}

}  // namespace gigasync::sandbox
