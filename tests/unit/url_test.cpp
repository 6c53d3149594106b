// URLs are read once, by libcurl's URL API: the origin check and the request it sends must agree
// on the host for every tricky spelling (userinfo, backslashes, percent-encoding, case, default
// ports, IPv6, a trailing dot).
#include <curl/curl.h>

#include <catch2/catch.hpp>
#include <memory>
#include <string>
#include <vector>

#include "gigasync/api_client.h"
#include "gigasync/http.h"

using gigasync::ApiClient;
using gigasync::ApiSettings;
using gigasync::ExitCode;
using gigasync::Secret;
namespace http = gigasync::http;

namespace {

// Records every request and answers 200 {}.
struct Recorder {
  std::vector<http::Request> requests;
};

class RecordingTransport final : public http::Transport {
 public:
  explicit RecordingTransport(std::shared_ptr<Recorder> r) : r_(std::move(r)) {}
  http::Outcome perform(const http::Request& request) override {
    r_->requests.push_back(request);
    http::Outcome o;
    o.response = http::Response{200, {}, "{}"};
    return o;
  }

 private:
  std::shared_ptr<Recorder> r_;
};

class NoSleep final : public http::Clock {
 public:
  void sleep_for(std::chrono::milliseconds) override {}
};

struct Client {
  explicit Client(const std::string& base) {
    ApiSettings s;
    s.base_url = base;
    s.max_retries = 0;
    client = std::make_unique<ApiClient>(s, Secret{"tok-url-test"}, [r = recorder] {
      return std::make_unique<RecordingTransport>(r);
    }, clock);
  }
  std::shared_ptr<Recorder> recorder = std::make_shared<Recorder>();
  NoSleep clock;
  std::unique_ptr<ApiClient> client;
};

// What libcurl itself (not gigasync's code) makes of a URL the transport was handed: the host it
// would connect to, lower case, and the port.
struct CurlView {
  std::string scheme, host, port;
};
CurlView curl_view(const std::string& url) {
  CurlView v;
  CURLU* u = curl_url();
  REQUIRE(curl_url_set(u, CURLUPART_URL, url.c_str(), 0) == CURLUE_OK);
  char* p = nullptr;
  if (curl_url_get(u, CURLUPART_SCHEME, &p, 0) == CURLUE_OK) { v.scheme = p; curl_free(p); }
  if (curl_url_get(u, CURLUPART_HOST, &p, 0) == CURLUE_OK) { v.host = p; curl_free(p); }
  if (curl_url_get(u, CURLUPART_PORT, &p, CURLU_DEFAULT_PORT) == CURLUE_OK) { v.port = p; curl_free(p); }
  char* user = nullptr;
  CHECK(curl_url_get(u, CURLUPART_USER, &user, 0) != CURLUE_OK);  // never any userinfo
  curl_free(user);
  curl_url_cleanup(u);
  for (auto& c : v.host) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return v;
}

}  // namespace

TEST_CASE("tricky URLs: the origin check and the request sent agree on the host", "[http][url]") {
  struct Case {
    const char* url;
    bool accepted;
  };
  const std::vector<Case> cases = {
      {"https://api.gigapay.se/v2/integrations/?page=2", true},
      {"https://api.gigapay.se@evil.com/v2/integrations/", false},     // userinfo: the host is evil.com
      {"https://evil.com@api.gigapay.se/v2/integrations/", false},     // userinfo, even to the right host
      {"https://evil.com\\@api.gigapay.se/v2/integrations/", false},   // a backslash before '@'
      {"https://api.gigapay.se\\.evil.com/v2/integrations/", false},   // a backslash in the host
      {"https://evil.com\\api.gigapay.se/v2/", false},                 // browsers read '\' as '/'
      {"https://api%2Egigapay%2Ese/v2/integrations/", true},           // percent-encoded dots: the same host
      {"https://evil%2Ecom/v2/integrations/", false},                  // percent-encoded elsewhere
      {"https://api.gigapay.se%2Eevil.com/v2/", false},
      {"https://API.GIGAPAY.SE/v2/integrations/", true},               // host names are case-insensitive
      {"HTTPS://Api.Gigapay.Se:443/v2/integrations/", true},           // explicit default port
      {"https://api.gigapay.se:0443/v2/integrations/", true},          // leading zero: still 443
      {"https://api.gigapay.se:8443/v2/integrations/", false},
      {"http://api.gigapay.se/v2/integrations/", false},               // another scheme
      {"http://api.gigapay.se:443/v2/integrations/", false},
      {"https://api.gigapay.se./v2/integrations/", false},             // a trailing dot is another origin
      {"https:///api.gigapay.se/v2/integrations/", false},             // no host (libcurl would skip the slash)
      {"https://api.gigapay.se:/v2/integrations/", false},             // an empty port
      {"https://api.gigapay.se/v2/integrations/#https://evil.com/", true},
      {"https://api.gigapay.se.evil.com/v2/", false},
      {"https://api.gigapay.se:443@evil.com/", false},
      {"https://api.gigapay.se\r\nHost: evil.com/", false},             // control characters
      {"//evil.com/v2/", false},                                       // relative: not followed
      {"/v2/integrations/?page=2", false},
  };
  for (const auto& c : cases) {
    INFO(c.url);
    Client h("https://api.gigapay.se/v2/");
    auto reply = h.client->send("GET", c.url);
    if (!c.accepted) {
      REQUIRE_FALSE(reply.ok());
      CHECK(reply.error().code == ExitCode::data);
      CHECK(h.recorder->requests.empty());
      continue;
    }
    REQUIRE(reply.ok());
    REQUIRE(h.recorder->requests.size() == 1);
    const std::string& sent = h.recorder->requests[0].url;
    INFO("sent to " << sent);
    auto seen = curl_view(sent);
    CHECK(seen.scheme == "https");
    CHECK(seen.host == "api.gigapay.se");
    CHECK(seen.port == "443");
    CHECK(sent.find('#') == std::string::npos);  // a fragment is never part of the request
    // Reading the sent URL again gives the same URL: the request is libcurl's own spelling.
    auto again = http::parse_url(sent);
    REQUIRE(again.ok());
    CHECK(again->text == sent);
  }
}

TEST_CASE("IPv6 literals: the check compares the address libcurl connects to", "[http][url]") {
  struct Case {
    const char* url;
    bool accepted;
  };
  const std::vector<Case> cases = {
      {"http://[::1]:8080/v2/integrations/", true},
      {"http://[0:0:0:0:0:0:0:1]:8080/v2/integrations/", true},  // the same address, spelled out
      {"http://[::1]:8081/v2/integrations/", false},
      {"http://[::2]:8080/v2/integrations/", false},
      {"http://[::1%25lo]:8080/v2/integrations/", false},  // a zone id names another interface's route
      {"http://[::1]x:8080/v2/", false},
      {"http://[::1/v2/", false},
  };
  for (const auto& c : cases) {
    INFO(c.url);
    Client h("http://[::1]:8080/v2/");
    auto reply = h.client->send("GET", c.url);
    if (!c.accepted) {
      CHECK_FALSE(reply.ok());
      CHECK(h.recorder->requests.empty());
      continue;
    }
    REQUIRE(reply.ok());
    REQUIRE(h.recorder->requests.size() == 1);
    auto seen = curl_view(h.recorder->requests[0].url);
    CHECK(seen.port == "8080");
    auto a = http::parse_url(h.recorder->requests[0].url);
    REQUIRE(a.ok());
    CHECK(a->host == http::parse_url("http://[::1]:8080/").value().host);
  }
}

TEST_CASE("parse_url reads what libcurl reads", "[http][url]") {
  auto u = http::parse_url("HTTPS://API.Gigapay.SE:0443/V2/Path?Page=2#frag");
  REQUIRE(u.ok());
  CHECK(u->scheme == "https");
  CHECK(u->host == "api.gigapay.se");
  CHECK(u->port == 443);
  CHECK(u->path_and_query == "/V2/Path?Page=2");  // the path keeps its case; the fragment is gone
  CHECK(u->text.find("#frag") == std::string::npos);
  auto decoded = http::parse_url("https://api%2Egigapay%2Ese/v2/");
  REQUIRE(decoded.ok());
  CHECK(decoded->host == "api.gigapay.se");
  auto shorthand = http::parse_url("http://127.1:8080/v2/");
  REQUIRE(shorthand.ok());
  CHECK(shorthand->host == "127.0.0.1");
  auto dotted = http::parse_url("https://api.gigapay.se./v2/");
  REQUIRE(dotted.ok());
  CHECK(dotted->host == "api.gigapay.se.");
}

TEST_CASE("parse_url refuses userinfo, relative URLs and other schemes with one message", "[http][url]") {
  for (const char* s : {"https://api.gigapay.se@evil.com/", "https://:pw@api.gigapay.se/", "https://u:@api.gigapay.se/"}) {
    INFO(s);
    auto u = http::parse_url(s);
    REQUIRE_FALSE(u.ok());
    CHECK_THAT(u.error().message, Catch::Contains("credentials"));
  }
  auto rel = http::parse_url("/v2/integrations/?page=2");
  REQUIRE_FALSE(rel.ok());
  CHECK_THAT(rel.error().message, Catch::Contains("not an absolute URL"));
  auto ftp = http::parse_url("ftp://api.gigapay.se/");
  REQUIRE_FALSE(ftp.ok());
  CHECK_THAT(ftp.error().message, Catch::Contains("http or https"));
  auto ctl = http::parse_url(std::string("https://a.se/\x1b[31mred"));
  REQUIRE_FALSE(ctl.ok());
  CHECK(ctl.error().message.find('\x1b') == std::string::npos);  // a message never carries the control byte
}

TEST_CASE("a base_url libcurl can not read is a config error naming api.base_url, and nothing is sent",
          "[http][url]") {
  Client h("https://user@api.gigapay.se/v2/");
  auto reply = h.client->send("GET", "https://api.gigapay.se/v2/integrations/");
  REQUIRE_FALSE(reply.ok());
  CHECK(reply.error().code == ExitCode::config);
  CHECK_THAT(reply.error().message, Catch::StartsWith("api.base_url"));
  CHECK(h.recorder->requests.empty());
}
