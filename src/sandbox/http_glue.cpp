// Between httplib and the endpoints: requests in, responses out, the token check.
#include <algorithm>
#include <cctype>
#include <sstream>
#include <vector>

#include "sandbox/json_text.h"
#include "sandbox/server_impl.h"

namespace gigasync::sandbox {
namespace {

std::vector<std::string> words_of(const std::string& s) {
  std::istringstream in(s);
  std::vector<std::string> out;
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

bool equals_ignoring_case(std::string_view a, std::string_view b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
    return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
  });
}

// Compares without an early exit, so timing does not reveal how much of the token matched.
bool same_secret(std::string_view given, std::string_view token) {
  if (token.empty() || given.size() != token.size()) return false;
  unsigned diff = 0;
  for (std::size_t i = 0; i < token.size(); ++i) diff |= static_cast<unsigned char>(given[i] ^ token[i]);
  return diff == 0;
}

ApiResponse unauthorized(const char* message) {
  ApiResponse r = json_response(401, detail_json(message));
  r.headers.emplace_back("WWW-Authenticate", "Token");
  return r;
}

}  // namespace

std::string origin_for(const std::string& host, int port) {
  std::string h = host;
  if (h.empty() || h == "0.0.0.0") h = "127.0.0.1";
  if (h == "::") h = "::1";
  if (h.find(':') != std::string::npos) h = "[" + h + "]";
  return "http://" + h + ":" + std::to_string(port);
}

ApiRequest to_api_request(const httplib::Request& req) {
  ApiRequest r;
  r.method = req.method;
  r.path = req.path;
  auto q = req.target.find('?');
  if (q != std::string::npos) r.query = req.target.substr(q + 1);
  r.body = req.body;
  r.content_type = req.get_header_value("Content-Type");
  if (req.has_header("Integration-ID")) r.integration_id = req.get_header_value("Integration-ID");
  return r;
}

std::optional<ApiResponse> check_token(const httplib::Request& req, const std::string& token) {
  auto words = words_of(req.get_header_value("Authorization"));
  if (words.empty() || !equals_ignoring_case(words[0], "Token")) {
    return unauthorized("Authentication credentials were not provided.");
  }
  if (words.size() == 1) return unauthorized("Invalid token header. No credentials provided.");
  if (words.size() > 2) return unauthorized("Invalid token header. Token string should not contain spaces.");
  if (!same_secret(words[1], token)) return unauthorized("Invalid token.");
  return std::nullopt;
}

void write_response(const ApiResponse& a, httplib::Response& res) {
  res.status = a.status;
  for (const auto& [name, value] : a.headers) res.set_header(name, value);
  if (!a.content_type.empty()) res.set_content(a.body, a.content_type);
}

}  // namespace gigasync::sandbox
