// Whether a host is this machine: the base URL's plain-http check and the metrics listen address.
// No libcurl here, so the config parser's fuzz target links it alone.
#include <arpa/inet.h>
#include <netinet/in.h>

#include <string>

#include "gigasync/http.h"

namespace gigasync::http {

bool is_loopback_host(std::string_view text) {
  std::string host(text);
  for (char& c : host) c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  if (host == "localhost" || host == "localhost.") return true;
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  if (auto zone = host.find('%'); zone != std::string::npos) host.erase(zone);
  in_addr v4{};
  if (::inet_pton(AF_INET, host.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6{};
  if (::inet_pton(AF_INET6, host.c_str(), &v6) != 1) return false;
  return IN6_IS_ADDR_LOOPBACK(&v6) || (IN6_IS_ADDR_V4MAPPED(&v6) && v6.s6_addr[12] == 127);
}

}  // namespace gigasync::http
