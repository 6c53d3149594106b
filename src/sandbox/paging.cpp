#include "sandbox/paging.h"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace gigasync::sandbox {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::optional<long long> parse_int(std::string_view s) {
  long long v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

}  // namespace

std::string url_decode(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && hex_value(s[i + 1]) >= 0 && hex_value(s[i + 2]) >= 0) {
      out += static_cast<char>(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2]));
      i += 2;
    } else {
      out += s[i] == '+' ? ' ' : s[i];
    }
  }
  return out;
}

std::string url_encode(std::string_view s) {
  static const char* digits = "0123456789ABCDEF";
  std::string out;
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += c;
    } else {
      out += '%';
      out += digits[u >> 4];
      out += digits[u & 15];
    }
  }
  return out;
}

std::vector<QueryParam> parse_query(std::string_view raw) {
  std::vector<QueryParam> out;
  while (!raw.empty()) {
    auto amp = raw.find('&');
    auto part = raw.substr(0, amp);
    raw = amp == std::string_view::npos ? std::string_view{} : raw.substr(amp + 1);
    if (part.empty()) continue;
    auto eq = part.find('=');
    if (eq == std::string_view::npos) {
      out.push_back({std::string(part), ""});
    } else {
      out.push_back({std::string(part.substr(0, eq)), std::string(part.substr(eq + 1))});
    }
  }
  return out;
}

std::optional<std::string> query_value(const std::vector<QueryParam>& q, std::string_view key) {
  for (const auto& p : q) {
    if (url_decode(p.key) == key) return url_decode(p.value);
  }
  return std::nullopt;
}

int page_size(const std::vector<QueryParam>& q, int max_size) {
  int fallback = std::min(25, max_size);
  auto raw = query_value(q, "page_size");
  if (!raw) return fallback;
  auto v = parse_int(*raw);
  if (!v || *v < 1) return fallback;
  return static_cast<int>(std::min<long long>(*v, max_size));
}

std::optional<std::size_t> page_number(const std::vector<QueryParam>& q, std::size_t page_count) {
  auto raw = query_value(q, "page");
  if (!raw || raw->empty()) return 1;
  if (*raw == "last") return page_count;
  auto v = parse_int(*raw);
  if (!v || *v < 1) return std::nullopt;
  return static_cast<std::size_t>(*v);
}

std::string page_link(const std::string& base, std::vector<QueryParam> q, std::size_t page) {
  std::erase_if(q, [](const QueryParam& p) { return url_decode(p.key) == "page"; });
  if (page > 1) q.push_back({"page", std::to_string(page)});
  std::stable_sort(q.begin(), q.end(), [](const QueryParam& a, const QueryParam& b) { return a.key < b.key; });
  std::string out = base;
  for (std::size_t i = 0; i < q.size(); ++i) {
    out += i ? '&' : '?';
    out += q[i].key + "=" + q[i].value;
  }
  return out;
}

}  // namespace gigasync::sandbox
