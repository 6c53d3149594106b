// URL parsing, origins, Retry-After and backoff.
#include <httplib.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <string>
#include <thread>

#include "gigasync/http.h"

using gigasync::ExitCode;
using gigasync::http::parse_url;
using gigasync::http::Url;
using std::chrono::milliseconds;

TEST_CASE("parse_url fills the default port from the scheme", "[http]") {
  auto https = parse_url("https://api.gigapay.se/v2/");
  REQUIRE(https.ok());
  CHECK(https->scheme == "https");
  CHECK(https->host == "api.gigapay.se");
  CHECK(https->port == 443);
  CHECK(https->path_and_query == "/v2/");
  auto http = parse_url("http://localhost/v2/integrations/?page=2&page_size=10");
  REQUIRE(http.ok());
  CHECK(http->port == 80);
  CHECK(http->path_and_query == "/v2/integrations/?page=2&page_size=10");
}

TEST_CASE("parse_url reads an explicit port", "[http]") {
  auto u = parse_url("http://127.0.0.1:8080/v2/");
  REQUIRE(u.ok());
  CHECK(u->host == "127.0.0.1");
  CHECK(u->port == 8080);
  CHECK(u->path_and_query == "/v2/");
}

TEST_CASE("parse_url gives a URL without a path the path /", "[http]") {
  auto u = parse_url("https://example.com:8443");
  REQUIRE(u.ok());
  CHECK(u->port == 8443);
  CHECK(u->path_and_query == "/");
}

TEST_CASE("parse_url lower-cases the scheme and host but not the path", "[http]") {
  auto u = parse_url("HTTPS://API.Example.COM/V2/Path");
  REQUIRE(u.ok());
  CHECK(u->scheme == "https");
  CHECK(u->host == "api.example.com");
  CHECK(u->path_and_query == "/V2/Path");
}

TEST_CASE("parse_url reads IPv6 literals with and without a port", "[http]") {
  auto with_port = parse_url("http://[::1]:8080/v2/");
  REQUIRE(with_port.ok());
  CHECK(with_port->host == "[::1]");
  CHECK(with_port->port == 8080);
  CHECK(with_port->path_and_query == "/v2/");
  auto without = parse_url("https://[2001:DB8::1]/x");
  REQUIRE(without.ok());
  CHECK(without->host == "[2001:db8::1]");
  CHECK(without->port == 443);
  CHECK_FALSE(parse_url("http://[::1/v2/").ok());
  CHECK_FALSE(parse_url("http://[::1]x/v2/").ok());
}

TEST_CASE("parse_url refuses credentials in the URL", "[http]") {
  auto u = parse_url("https://user:secret@api.gigapay.se/v2/");
  REQUIRE_FALSE(u.ok());
  CHECK(u.error().code == ExitCode::config);
  CHECK_THAT(u.error().message, Catch::Contains("credentials"));
  CHECK_FALSE(parse_url("https://user@api.gigapay.se/").ok());
}

TEST_CASE("parse_url refuses schemes other than http and https", "[http]") {
  for (const char* s : {"ftp://example.com/", "file:///etc/passwd", "gopher://x/", "api.gigapay.se/v2/", "//host/",
                        "httpx://host/"}) {
    INFO(s);
    auto u = parse_url(s);
    REQUIRE_FALSE(u.ok());
    CHECK(u.error().code == ExitCode::config);
    CHECK_THAT(u.error().message, Catch::Contains(s));
  }
}

TEST_CASE("parse_url refuses a missing host and bad ports", "[http]") {
  for (const char* s : {"http://", "http:///path", "http://:80/", "http://host:/", "http://host:0/",
                        "http://host:65536/", "http://host:-1/", "http://host:80x/", "http://host:http/"}) {
    INFO(s);
    CHECK_FALSE(parse_url(s).ok());
  }
  auto max = parse_url("http://host:65535/");
  REQUIRE(max.ok());
  CHECK(max->port == 65535);
}

TEST_CASE("same_origin compares scheme, host and port, never the path", "[http]") {
  auto base = parse_url("https://api.gigapay.se/v2/").value();
  CHECK(base.same_origin(parse_url("https://api.gigapay.se/v2/integrations/?page=3").value()));
  CHECK(base.same_origin(parse_url("https://API.GIGAPAY.SE:443/other").value()));
  CHECK_FALSE(base.same_origin(parse_url("http://api.gigapay.se/v2/").value()));
  CHECK_FALSE(base.same_origin(parse_url("https://api.gigapay.se:8443/v2/").value()));
  CHECK_FALSE(base.same_origin(parse_url("https://evil.example/v2/").value()));
  CHECK_FALSE(base.same_origin(parse_url("https://api.gigapay.se.evil.example/v2/").value()));
}

TEST_CASE("origin() spells scheme, host and port", "[http]") {
  CHECK(parse_url("https://api.gigapay.se/v2/").value().origin() == "https://api.gigapay.se:443");
  CHECK(parse_url("http://[::1]:9/").value().origin() == "http://[::1]:9");
}

TEST_CASE("parse_retry_after reads delta-seconds", "[http]") {
  using gigasync::http::parse_retry_after;
  CHECK(parse_retry_after("0") == milliseconds(0));
  CHECK(parse_retry_after("7") == milliseconds(7000));
  CHECK(parse_retry_after(" 120 ") == milliseconds(120000));
}

TEST_CASE("parse_retry_after ignores what is absent or not delta-seconds", "[http]") {
  using gigasync::http::parse_retry_after;
  CHECK_FALSE(parse_retry_after("").has_value());
  CHECK_FALSE(parse_retry_after("   ").has_value());
  CHECK_FALSE(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT").has_value());
  CHECK_FALSE(parse_retry_after("-5").has_value());
  CHECK_FALSE(parse_retry_after("5s").has_value());
  CHECK_FALSE(parse_retry_after("soon").has_value());
}

TEST_CASE("parse_retry_after caps a huge wait at one hour", "[http]") {
  using gigasync::http::parse_retry_after;
  CHECK(parse_retry_after("86400") == milliseconds(3600 * 1000));
  CHECK(parse_retry_after("99999999999999999999") == milliseconds(3600 * 1000));
}

TEST_CASE("parse_retry_after ignores nan", "[http]") {
  // from_chars(double) accepts "nan"; NaN passes the `seconds < 0` check and std::min, and casting it
  // to an integer is undefined behaviour (on x86 a wait of -9223372036854775808 ms). No wait at all
  // is the only answer that can not be such a wait; from_chars also takes these other spellings.
  using gigasync::http::parse_retry_after;
  for (const char* nan : {"nan", "NaN", "-nan", "nan(1)"}) {
    INFO(nan);
    CHECK_FALSE(parse_retry_after(nan).has_value());
  }
}

TEST_CASE("parse_retry_after accepts only digits, as delta-seconds are", "[http]") {
  // RFC 9110: delta-seconds = 1*DIGIT. "inf" (read as one hour) and "1e3" (read as 1000 s) are not.
  using gigasync::http::parse_retry_after;
  CHECK_FALSE(parse_retry_after("inf").has_value());
  CHECK_FALSE(parse_retry_after("1e3").has_value());
}

TEST_CASE("backoff_delay stays within the exponential ceiling and above half of it", "[http]") {
  using gigasync::http::backoff_delay;
  const milliseconds base(100), cap(1000000);
  for (int attempt = 0; attempt < 6; ++attempt) {
    const long long ceiling = 100LL << attempt;
    for (int i = 0; i < 200; ++i) {
      auto d = backoff_delay(attempt, base, cap);
      INFO("attempt " << attempt << ": " << d.count() << " ms");
      REQUIRE(d.count() <= ceiling);
      REQUIRE(d.count() >= ceiling / 2);
    }
  }
}

TEST_CASE("backoff_delay grows with the attempt number", "[http]") {
  using gigasync::http::backoff_delay;
  const milliseconds base(500), cap(60000);
  milliseconds max_first(0), min_third(milliseconds::max());
  for (int i = 0; i < 200; ++i) {
    max_first = std::max(max_first, backoff_delay(0, base, cap));
    min_third = std::min(min_third, backoff_delay(3, base, cap));
  }
  CHECK(max_first <= base);
  CHECK(min_third >= milliseconds(2000));
  CHECK(min_third > max_first);
}

TEST_CASE("backoff_delay never exceeds the cap, even after many attempts", "[http]") {
  using gigasync::http::backoff_delay;
  const milliseconds base(500), cap(30000);
  for (int attempt : {6, 7, 10, 20, 30, 63, 1000}) {
    auto d = backoff_delay(attempt, base, cap);
    INFO("attempt " << attempt << ": " << d.count() << " ms");
    CHECK(d <= cap);
    CHECK(d >= cap / 2);
  }
}

TEST_CASE("backoff_delay varies (jitter) rather than returning one fixed value", "[http]") {
  using gigasync::http::backoff_delay;
  auto first = backoff_delay(4, milliseconds(500), milliseconds(30000));
  bool varied = false;
  for (int i = 0; i < 50 && !varied; ++i) varied = backoff_delay(4, milliseconds(500), milliseconds(30000)) != first;
  CHECK(varied);
}

TEST_CASE("Response::header finds a header whatever its case", "[http]") {
  gigasync::http::Response r;
  r.headers = {{"content-type", "text/html"}, {"Retry-After", "3"}};
  CHECK(r.header("Content-Type") == "text/html");
  CHECK(r.header("RETRY-AFTER") == "3");
  CHECK(r.header("Location").empty());
}

// ---------------------------------------------------------------------------------------------
// The libcurl transport stops reading a body at TransportOptions::max_body_bytes (issue 9)

namespace {

// A loopback server whose /endless streams up to 256 MiB of whitespace (chunked, no length) and
// whose /declared announces a Content-Length of 64 MiB; counts what it managed to send.
struct BigBodyServer {
  BigBodyServer() {
    server.Get("/endless", [this](const httplib::Request&, httplib::Response& res) {
      res.set_chunked_content_provider("application/json", [this](size_t, httplib::DataSink& sink) {
        static const std::string chunk(64 * 1024, ' ');
        if (sent >= 256LL * 1024 * 1024 || !sink.write(chunk.data(), chunk.size())) return false;
        sent += static_cast<long long>(chunk.size());
        return true;
      });
    });
    server.Get("/declared", [](const httplib::Request&, httplib::Response& res) {
      res.set_content_provider(64 * 1024 * 1024, "application/json",
                               [](size_t offset, size_t length, httplib::DataSink& sink) {
                                 std::string chunk(std::min<size_t>(length, 64 * 1024), ' ');
                                 (void)offset;
                                 return sink.write(chunk.data(), chunk.size());
                               });
    });
    port = server.bind_to_any_port("127.0.0.1");
    thread = std::thread([this] { server.listen_after_bind(); });
    while (!server.is_running()) std::this_thread::sleep_for(milliseconds(5));
  }
  ~BigBodyServer() {
    server.stop();
    thread.join();
  }
  std::string url(const std::string& path) const { return "http://127.0.0.1:" + std::to_string(port) + path; }

  httplib::Server server;
  int port = 0;
  std::thread thread;
  std::atomic<long long> sent{0};
};

}  // namespace

TEST_CASE("the curl transport stops reading a body as soon as it passes max_body_bytes", "[http][bounds]") {
  BigBodyServer srv;
  gigasync::http::TransportOptions o;
  o.timeout = std::chrono::seconds(20);
  o.max_body_bytes = 1024 * 1024;
  auto t = gigasync::http::make_curl_transport(o);
  gigasync::http::Request r;
  r.url = srv.url("/endless");
  auto out = t->perform(r);
  REQUIRE_FALSE(out.ok());
  CHECK(out.failure.kind == gigasync::http::FailureKind::too_large);
  CHECK_THAT(out.failure.message, Catch::Contains("api.max_body_bytes"));
  std::this_thread::sleep_for(milliseconds(200));
  // Socket buffers hold a few MiB at most: the server was cut off far before its 256 MiB.
  CHECK(srv.sent.load() < 64LL * 1024 * 1024);

  r.url = srv.url("/declared");
  auto declared = t->perform(r);
  REQUIRE_FALSE(declared.ok());
  CHECK(declared.failure.kind == gigasync::http::FailureKind::too_large);
}

TEST_CASE("a body under max_body_bytes is read whole", "[http][bounds]") {
  httplib::Server server;
  server.Get("/small", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(std::string(5000, 'x'), "text/plain");
  });
  int port = server.bind_to_any_port("127.0.0.1");
  std::thread th([&] { server.listen_after_bind(); });
  while (!server.is_running()) std::this_thread::sleep_for(milliseconds(5));
  gigasync::http::TransportOptions o;
  o.max_body_bytes = 5000;
  auto t = gigasync::http::make_curl_transport(o);
  gigasync::http::Request r;
  r.url = "http://127.0.0.1:" + std::to_string(port) + "/small";
  auto out = t->perform(r);
  server.stop();
  th.join();
  REQUIRE(out.ok());
  CHECK(out.response->body.size() == 5000);
}
