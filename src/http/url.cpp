// URLs read by libcurl's URL API (curl_url): the one parser for both the origin check and the
// request, so the two can never read a URL differently.
#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <memory>

#include "gigasync/http.h"

namespace gigasync::http {
namespace {

struct UrlHandleFree {
  void operator()(CURLU* u) const { curl_url_cleanup(u); }
};
using UrlHandle = std::unique_ptr<CURLU, UrlHandleFree>;

// One part of a parsed URL; nullopt when the URL has none (or libcurl refuses to say).
std::optional<std::string> part(CURLU* u, CURLUPart which, unsigned int flags = 0) {
  char* value = nullptr;
  if (curl_url_get(u, which, &value, flags) != CURLUE_OK || value == nullptr) return std::nullopt;
  std::string out(value);
  curl_free(value);
  return out;
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// What a person sees of a URL in a message: control characters would let a hostile link forge lines.
std::string printable(std::string_view text) {
  std::string out;
  for (unsigned char c : text.substr(0, 200)) out += (c < 0x20 || c == 0x7f) ? '?' : static_cast<char>(c);
  if (text.size() > 200) out += "...";
  return out;
}

}  // namespace

std::string Url::origin() const { return scheme + "://" + host + ":" + std::to_string(port); }

Result<Url> parse_url(std::string_view text) {
  auto bad = [&](const std::string& why) {
    return make_error(ExitCode::config, "invalid URL '" + printable(text) + "': " + why);
  };
  UrlHandle u(curl_url());
  if (!u) return bad("libcurl could not allocate a URL handle");
  const std::string input(text);
  if (input.find('\0') != std::string::npos) return bad("it holds a NUL byte");
  if (CURLUcode rc = curl_url_set(u.get(), CURLUPART_URL, input.c_str(), 0); rc != CURLUE_OK) {
    if (rc == CURLUE_BAD_SCHEME && input.find("://") == std::string::npos) return bad("no scheme (not an absolute URL)");
    return bad(curl_url_strerror(rc));
  }
  // Two spellings libcurl forgives and gigasync refuses, looked for only to refuse them (the host
  // and port are always libcurl's reading): no host ("https:///x", which libcurl reads as host "x")
  // and an empty port ("https://host:/").
  if (auto sep = input.find("://"); sep != std::string::npos) {
    auto authority = input.substr(sep + 3, input.find_first_of("/?#", sep + 3) - (sep + 3));
    if (authority.empty()) return bad("no host");
    if (authority.back() == ':') return bad("bad port");
  }
  Url url;
  url.scheme = lower(part(u.get(), CURLUPART_SCHEME).value_or(""));
  if (url.scheme != "http" && url.scheme != "https") return bad("scheme must be http or https");
  if (part(u.get(), CURLUPART_USER) || part(u.get(), CURLUPART_PASSWORD) || part(u.get(), CURLUPART_OPTIONS))
    return bad("credentials in URLs are not allowed");
  auto host = part(u.get(), CURLUPART_HOST);
  if (!host || host->empty()) return bad("no host");
  url.host = lower(*host);
  if (auto zone = part(u.get(), CURLUPART_ZONEID); zone && url.host.ends_with(']'))
    url.host.insert(url.host.size() - 1, "%25" + lower(*zone));
  auto port = part(u.get(), CURLUPART_PORT, CURLU_DEFAULT_PORT);
  if (!port) return bad("no port");
  auto [end, ec] = std::from_chars(port->data(), port->data() + port->size(), url.port);
  if (ec != std::errc() || end != port->data() + port->size() || url.port <= 0 || url.port > 65535)
    return bad("bad port");
  url.path_and_query = part(u.get(), CURLUPART_PATH).value_or("/");
  if (url.path_and_query.empty()) url.path_and_query = "/";
  if (auto query = part(u.get(), CURLUPART_QUERY)) url.path_and_query += "?" + *query;
  curl_url_set(u.get(), CURLUPART_FRAGMENT, nullptr, 0);  // never sent; not part of what is requested
  auto whole = part(u.get(), CURLUPART_URL);
  if (!whole) return bad("libcurl could not write it back");
  url.text = std::move(*whole);
  return url;
}

}  // namespace gigasync::http
