// ApiClient over a scripted Transport and a Clock that records sleeps instead of sleeping.
#include <catch2/catch.hpp>
#include <chrono>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "gigasync/api_client.h"
#include "gigasync/cancel.h"

using gigasync::ApiClient;
using gigasync::ApiSettings;
using gigasync::ExitCode;
using gigasync::Secret;
namespace http = gigasync::http;
using std::chrono::milliseconds;

namespace {

const std::string kToken = "tok-7f3c1e9a-SECRET-d4b2";
const std::string kBase = "https://api.gigapay.test/v2/";

// The queued answers and the requests the transports got, shared by every transport the factory makes.
struct Script {
  std::deque<http::Outcome> answers;
  std::vector<http::Request> requests;
  int transports_made = 0;
};

class FakeTransport final : public http::Transport {
 public:
  explicit FakeTransport(std::shared_ptr<Script> s) : s_(std::move(s)) {}
  http::Outcome perform(const http::Request& request) override {
    s_->requests.push_back(request);
    if (s_->answers.empty()) {
      http::Outcome o;
      o.failure = {http::FailureKind::other, "fake transport: no answer scripted"};
      return o;
    }
    http::Outcome o = s_->answers.front();
    s_->answers.pop_front();
    return o;
  }

 private:
  std::shared_ptr<Script> s_;
};

class FakeClock final : public http::Clock {
 public:
  void sleep_for(milliseconds d) override { sleeps.push_back(d); }
  std::vector<milliseconds> sleeps;
};

http::Outcome reply(long status, std::string body = "", http::Headers headers = {}) {
  http::Outcome o;
  o.response = http::Response{status, std::move(headers), std::move(body)};
  return o;
}

http::Outcome failure(http::FailureKind kind, std::string message) {
  http::Outcome o;
  o.failure = {kind, std::move(message)};
  return o;
}

std::string header_of(const http::Request& r, const std::string& name) {
  for (const auto& [n, v] : r.headers)
    if (n == name) return v;
  return "";
}

bool has_header(const http::Request& r, const std::string& name) {
  for (const auto& [n, v] : r.headers)
    if (n == name) return true;
  return false;
}

const std::string kObject =
    R"({"id": "abc", "name": "Acme", "type": 3, "logo": null, "metadata": {}, "email": "a@b.example",)"
    R"( "recipient": "Acme", "address_line_1": "S 1", "address_line_2": null, "zip_code": "11122", "city": "Sthlm"})";

const std::string kPage = R"({"count": 1, "next": null, "previous": null, "results": [)" + kObject + "]}";

const std::string kHtml502 = "<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>";

// One client with its script and clock; the stop flag is cleared for the test and afterwards.
struct Harness {
  explicit Harness(std::string integration_id = "", int max_retries = 3) {
    gigasync::stop_flag().store(false);
    ApiSettings s;
    s.base_url = kBase;
    s.integration_id = std::move(integration_id);
    s.max_retries = max_retries;
    s.page_size = 50;
    s.backoff_base = milliseconds(100);
    s.backoff_cap = milliseconds(1000);
    auto sc = script;
    client = std::make_unique<ApiClient>(
        s, Secret{kToken},
        [sc]() -> std::unique_ptr<http::Transport> {
          sc->transports_made++;
          return std::make_unique<FakeTransport>(sc);
        },
        clock);
  }
  ~Harness() { gigasync::stop_flag().store(false); }
  Harness(const Harness&) = delete;
  Harness& operator=(const Harness&) = delete;

  void queue(http::Outcome o) { script->answers.push_back(std::move(o)); }
  const std::vector<http::Request>& requests() const { return script->requests; }

  std::shared_ptr<Script> script = std::make_shared<Script>();
  FakeClock clock;
  std::unique_ptr<ApiClient> client;
};

}  // namespace

TEST_CASE("every request carries the token as 'Authorization: Token <t>' and the Integration-ID", "[api]") {
  Harness h("integration-42");
  h.queue(reply(200, kPage));
  auto page = h.client->get_page(h.client->first_page_url(), "page 1");
  REQUIRE(page.ok());
  REQUIRE(h.requests().size() == 1);
  const auto& r = h.requests()[0];
  CHECK(r.method == "GET");
  CHECK(r.url == kBase + "integrations/?page=1&page_size=50");
  CHECK(header_of(r, "Authorization") == "Token " + kToken);
  CHECK(header_of(r, "Integration-ID") == "integration-42");
  CHECK(header_of(r, "Accept") == "application/json");
}

TEST_CASE("no Integration-ID header is sent when none is configured", "[api]") {
  Harness h("");
  h.queue(reply(200, kPage));
  REQUIRE(h.client->get_page(h.client->first_page_url(), "page 1").ok());
  REQUIRE(h.requests().size() == 1);
  CHECK_FALSE(has_header(h.requests()[0], "Integration-ID"));
  CHECK(header_of(h.requests()[0], "Authorization") == "Token " + kToken);
}

TEST_CASE("a write carries its Idempotency-Key and a JSON body", "[api]") {
  Harness h;
  h.queue(reply(200, kObject));
  auto r = h.client->send("PATCH", h.client->item_url("abc"), R"({"name":"Acme"})", "key-1");
  REQUIRE(r.ok());
  CHECK(r->status == 200);
  CHECK(r->body == kObject);
  REQUIRE(h.requests().size() == 1);
  CHECK(h.requests()[0].method == "PATCH");
  CHECK(h.requests()[0].url == kBase + "integrations/abc/");
  CHECK(h.requests()[0].body == R"({"name":"Acme"})");
  CHECK(header_of(h.requests()[0], "Idempotency-Key") == "key-1");
  CHECK(header_of(h.requests()[0], "Content-Type") == "application/json");
}

TEST_CASE("a request without a key sends no Idempotency-Key header", "[api]") {
  Harness h;
  h.queue(reply(204));
  REQUIRE(h.client->send("DELETE", h.client->item_url("abc")).ok());
  REQUIRE(h.requests().size() == 1);
  CHECK_FALSE(has_header(h.requests()[0], "Idempotency-Key"));
}

TEST_CASE("every retry of a write sends the same Idempotency-Key and the same body", "[api]") {
  Harness h;
  h.queue(reply(503, kHtml502, {{"Content-Type", "text/html"}}));
  h.queue(failure(http::FailureKind::timeout, "Operation timed out after 30000 milliseconds"));
  h.queue(failure(http::FailureKind::connection, "Connection reset by peer"));
  h.queue(reply(201, kObject));
  auto r = h.client->send("POST", h.client->collection_url(), R"({"id":"abc","name":"Acme"})", "key-77");
  REQUIRE(r.ok());
  CHECK(r->status == 201);
  REQUIRE(h.requests().size() == 4);
  for (const auto& req : h.requests()) {
    CHECK(req.method == "POST");
    CHECK(req.url == kBase + "integrations/");
    CHECK(req.body == R"({"id":"abc","name":"Acme"})");
    CHECK(header_of(req, "Idempotency-Key") == "key-77");
    CHECK(header_of(req, "Authorization") == "Token " + kToken);
  }
  CHECK(h.clock.sleeps.size() == 3);
  CHECK(h.client->stats().requests.load() == 4);
  CHECK(h.client->stats().retries.load() == 3);
}

TEST_CASE("a 429 is retried after exactly the Retry-After the server asked for", "[api]") {
  Harness h;
  h.queue(reply(429, R"({"detail": "Request was throttled. Expected available in 7 seconds."})", {{"Retry-After", "7"}}));
  h.queue(reply(200, kObject));
  auto r = h.client->send("GET", h.client->item_url("abc"));
  REQUIRE(r.ok());
  CHECK(r->status == 200);
  CHECK(h.requests().size() == 2);
  REQUIRE(h.clock.sleeps.size() == 1);
  CHECK(h.clock.sleeps[0] == milliseconds(7000));
}

TEST_CASE("a 429 with a Retry-After of nan waits a sane, non-negative time", "[api]") {
  Harness h;
  h.queue(reply(429, "", {{"Retry-After", "nan"}}));
  h.queue(reply(200, kObject));
  REQUIRE(h.client->send("GET", h.client->item_url("abc")).ok());
  REQUIRE(h.clock.sleeps.size() == 1);
  CHECK(h.clock.sleeps[0] >= milliseconds(0));
  CHECK(h.clock.sleeps[0] <= milliseconds(3600 * 1000));
}

TEST_CASE("a 429 without Retry-After is retried after a backoff within the configured bounds", "[api]") {
  Harness h;
  h.queue(reply(429));
  h.queue(reply(429));
  h.queue(reply(200, kObject));
  REQUIRE(h.client->send("GET", h.client->item_url("abc")).ok());
  REQUIRE(h.clock.sleeps.size() == 2);
  CHECK(h.clock.sleeps[0] >= milliseconds(50));
  CHECK(h.clock.sleeps[0] <= milliseconds(100));
  CHECK(h.clock.sleeps[1] >= milliseconds(100));
  CHECK(h.clock.sleeps[1] <= milliseconds(200));
}

TEST_CASE("502 and 503 HTML pages are retried", "[api]") {
  Harness h;
  h.queue(reply(502, kHtml502, {{"Content-Type", "text/html"}}));
  h.queue(reply(503, "<html>down</html>", {{"Content-Type", "text/html; charset=utf-8"}}));
  h.queue(reply(200, kPage));
  auto page = h.client->get_page(h.client->first_page_url(), "page 1");
  REQUIRE(page.ok());
  CHECK(page->results.size() == 1);
  CHECK(h.requests().size() == 3);
}

TEST_CASE("after max_retries retries of a failing server the answer is ExitCode::unavailable", "[api]") {
  Harness h("", 3);
  for (int i = 0; i < 10; ++i) h.queue(reply(503, kHtml502, {{"Content-Type", "text/html"}}));
  auto r = h.client->send("GET", h.client->item_url("abc"));
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == ExitCode::unavailable);
  CHECK(h.requests().size() == 4);  // the first try and 3 retries
  CHECK(h.clock.sleeps.size() == 3);
  CHECK_THAT(r.error().message, Catch::Contains("503"));
  CHECK_THAT(r.error().message, Catch::Contains("4 attempts"));
}

TEST_CASE("timeouts and lost connections are retried and then reported as unavailable", "[api]") {
  Harness h("", 2);
  h.queue(failure(http::FailureKind::timeout, "Operation timed out"));
  h.queue(failure(http::FailureKind::connection, "Failed to connect to api.gigapay.test port 443"));
  h.queue(failure(http::FailureKind::connection, "Connection refused"));
  auto r = h.client->send("GET", h.client->item_url("abc"));
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == ExitCode::unavailable);
  CHECK(h.requests().size() == 3);
  CHECK_THAT(r.error().message, Catch::Contains("Connection refused"));
}

TEST_CASE("max_retries 0 means a single try", "[api]") {
  Harness h("", 0);
  h.queue(reply(503));
  h.queue(reply(200, kObject));
  auto r = h.client->send("GET", h.client->item_url("abc"));
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == ExitCode::unavailable);
  CHECK(h.requests().size() == 1);
  CHECK(h.clock.sleeps.empty());
}

TEST_CASE("401 is ExitCode::auth at once, without a retry", "[api]") {
  Harness h;
  h.queue(reply(401, R"({"detail": "Invalid token."})"));
  h.queue(reply(200, kObject));
  auto r = h.client->send("GET", h.client->item_url("abc"));
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == ExitCode::auth);
  CHECK(h.requests().size() == 1);
  CHECK(h.clock.sleeps.empty());
  CHECK_THAT(r.error().message, Catch::Contains("401") && Catch::Contains("Invalid token."));
}

TEST_CASE("403 (address not on the allow-list) is ExitCode::auth at once, without a retry", "[api]") {
  Harness h;
  h.queue(reply(403, R"({"detail": "You do not have permission to perform this action."})"));
  h.queue(reply(200, kPage));
  auto r = h.client->get_page(h.client->first_page_url(), "page 1");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == ExitCode::auth);
  CHECK(h.requests().size() == 1);
  CHECK_THAT(r.error().message, Catch::Contains("403"));
}

TEST_CASE("a redirect is reported as a config error naming base_url and is never followed", "[api]") {
  for (long status : {301L, 302L, 307L, 308L}) {
    INFO("HTTP " << status);
    Harness h;
    h.queue(reply(status, "", {{"Location", "https://api.gigapay.test/v2/integrations/abc"}}));
    h.queue(reply(200, kObject));
    auto r = h.client->send("GET", h.client->item_url("abc"));
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == ExitCode::config);
    CHECK_THAT(r.error().message, Catch::Contains("base_url"));
    CHECK_THAT(r.error().message, Catch::Contains("redirect"));
    CHECK_THAT(r.error().message, Catch::Contains("https://api.gigapay.test/v2/integrations/abc"));
    CHECK(h.requests().size() == 1);
    CHECK(h.clock.sleeps.empty());
  }
}

TEST_CASE("a URL on another host, port or scheme is refused as a data error before anything is sent", "[api]") {
  for (const char* url : {"https://evil.example/v2/integrations/?page=2", "https://api.gigapay.test:8443/v2/integrations/",
                          "http://api.gigapay.test/v2/integrations/", "https://api.gigapay.test.evil.example/v2/"}) {
    INFO(url);
    Harness h;
    h.queue(reply(200, kPage));
    auto r = h.client->get_page(url, "page 2");
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == ExitCode::data);
    CHECK_THAT(r.error().message, Catch::Contains("configured API origin"));
    CHECK(h.requests().empty());
    CHECK(h.script->transports_made == 0);
  }
}

TEST_CASE("check_origin accepts the configured origin spelled in another case", "[api]") {
  Harness h;
  CHECK(h.client->check_origin("HTTPS://API.GIGAPAY.TEST/v2/integrations/?page=9", "next").ok());
  CHECK(h.client->check_origin("https://api.gigapay.test:443/v2/", "next").ok());
  auto bad = h.client->check_origin("not a url", "next link of page 3");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().code == ExitCode::data);
  CHECK_THAT(bad.error().message, Catch::StartsWith("next link of page 3"));
}

TEST_CASE("a truncated 200 page is retried and then succeeds", "[api]") {
  Harness h;
  h.queue(reply(200, kPage.substr(0, kPage.size() / 2)));
  h.queue(reply(200, kPage));
  auto page = h.client->get_page(h.client->first_page_url(), "page 1");
  REQUIRE(page.ok());
  CHECK(page->results.size() == 1);
  CHECK(h.requests().size() == 2);
  CHECK(h.clock.sleeps.size() == 1);
}

TEST_CASE("a page that stays truncated is ExitCode::data naming the page once the retries run out", "[api]") {
  Harness h("", 2);
  for (int i = 0; i < 5; ++i) h.queue(reply(200, kPage.substr(0, 40)));
  auto page = h.client->get_page(h.client->first_page_url(), "page 3");
  REQUIRE_FALSE(page.ok());
  CHECK(page.error().code == ExitCode::data);
  CHECK_THAT(page.error().message, Catch::Contains("page 3"));
  CHECK_THAT(page.error().message, Catch::Contains("not JSON"));
  CHECK(h.requests().size() == 3);
}

TEST_CASE("a 200 page that is valid JSON of the wrong shape is a data error naming the field", "[api]") {
  Harness h("", 1);
  std::string wrong = R"({"count": 1, "next": null, "previous": null, "results": {}})";
  h.queue(reply(200, wrong));
  h.queue(reply(200, wrong));
  auto page = h.client->get_page(h.client->first_page_url(), "page 4");
  REQUIRE_FALSE(page.ok());
  CHECK(page.error().code == ExitCode::data);
  CHECK_THAT(page.error().message, Catch::Contains("page 4") && Catch::Contains("'results'"));
}

TEST_CASE("a 404 for a later page means the list shrank, but for page 1 it is a data error", "[api]") {
  Harness h;
  h.queue(reply(404, R"({"detail": "Invalid page."})"));
  auto later = h.client->get_page(kBase + "integrations/?page=5&page_size=50", "page 5");
  REQUIRE(later.ok());
  CHECK(later->gone);
  h.queue(reply(404, R"({"detail": "Not found."})"));
  auto first = h.client->get_page(h.client->first_page_url(), "page 1");
  REQUIRE_FALSE(first.ok());
  CHECK(first.error().code == ExitCode::data);
}

TEST_CASE("a 400 answer is returned to the caller, not retried", "[api]") {
  Harness h;
  h.queue(reply(400, R"({"email": ["Enter a valid email address."]})"));
  auto r = h.client->send("PATCH", h.client->item_url("abc"), R"({"email":"x"})", "k");
  REQUIRE(r.ok());
  CHECK(r->status == 400);
  CHECK(h.requests().size() == 1);
}

TEST_CASE("an Idempotent-Replayed answer is marked as replayed", "[api]") {
  Harness h;
  h.queue(reply(201, kObject, {{"Idempotent-Replayed", "true"}}));
  auto r = h.client->send("POST", h.client->collection_url(), "{}", "k");
  REQUIRE(r.ok());
  CHECK(r->replayed);
}

TEST_CASE("get_integration answers nullopt for 404", "[api]") {
  Harness h;
  h.queue(reply(404, R"({"detail": "Not found."})"));
  auto r = h.client->get_integration("abc");
  REQUIRE(r.ok());
  CHECK_FALSE(r.value().has_value());
  REQUIRE(h.requests().size() == 1);
  CHECK(h.requests()[0].url == kBase + "integrations/abc/");
}

TEST_CASE("get_integration answers the object for 200", "[api]") {
  Harness h;
  h.queue(reply(200, kObject));
  auto r = h.client->get_integration("abc");
  REQUIRE(r.ok());
  REQUIRE(r.value().has_value());
  CHECK(r.value()->id == "abc");
  CHECK(r.value()->get("name") == "Acme");
}

TEST_CASE("get_integration refuses an answer about another integration", "[api]") {
  Harness h;
  h.queue(reply(200, kObject));
  auto r = h.client->get_integration("xyz");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == ExitCode::data);
  CHECK_THAT(r.error().message, Catch::Contains("xyz") && Catch::Contains("abc"));
}

TEST_CASE("get_integration percent-encodes an id that is not URL-safe", "[api]") {
  Harness h;
  h.queue(reply(404, R"({"detail": "Not found."})"));
  REQUIRE(h.client->get_integration("a b/c?").ok());
  REQUIRE(h.requests().size() == 1);
  CHECK(h.requests()[0].url == kBase + "integrations/a%20b%2Fc%3F/");
}

TEST_CASE("a stop request ends the retries as unavailable", "[api]") {
  Harness h;
  gigasync::stop_flag().store(true);
  h.queue(reply(200, kObject));
  auto r = h.client->send("GET", h.client->item_url("abc"));
  gigasync::stop_flag().store(false);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == ExitCode::unavailable);
  CHECK(h.requests().empty());
}

TEST_CASE("the token never appears in an Error message, whatever went wrong", "[api]") {
  std::vector<std::string> messages;
  auto collect = [&](const auto& result) {
    REQUIRE_FALSE(result.ok());
    messages.push_back(result.error().message);
  };
  {
    Harness h;
    h.queue(reply(401, R"({"detail": "Invalid token."})"));
    collect(h.client->send("GET", h.client->item_url("abc")));
  }
  {
    Harness h;
    h.queue(reply(403, R"({"detail": "Forbidden."})"));
    collect(h.client->send("GET", h.client->item_url("abc")));
  }
  {
    Harness h;
    h.queue(reply(301, "", {{"Location", "https://api.gigapay.test/v2/"}}));
    collect(h.client->send("GET", h.client->item_url("abc")));
  }
  {
    Harness h("", 1);
    h.queue(reply(503, kHtml502));
    h.queue(failure(http::FailureKind::timeout, "timed out"));
    collect(h.client->send("GET", h.client->item_url("abc")));
  }
  {
    Harness h("", 0);
    h.queue(reply(200, "{\"count\": 1, \"results\": ["));
    collect(h.client->get_page(h.client->first_page_url(), "page 1"));
  }
  {
    Harness h;
    collect(h.client->get_page("https://evil.example/v2/", "page 2"));
  }
  {
    Harness h;
    h.queue(reply(200, kObject));
    collect(h.client->get_integration("other"));
  }
  REQUIRE(messages.size() == 7);
  for (const auto& m : messages) {
    INFO(m);
    CHECK_THAT(m, !Catch::Contains(kToken));
    CHECK_THAT(m, !Catch::Contains("SECRET"));
  }
}

TEST_CASE("the token is kept out of an Error message even when a proxy echoes it back", "[api]") {
  // A misconfigured gateway that echoes the request headers in its error page.
  Harness h("", 0);
  h.queue(reply(401, "<html>Unauthorized. You sent: Authorization: Token " + kToken + "</html>"));
  auto r = h.client->send("GET", h.client->item_url("abc"));
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == ExitCode::auth);
  CHECK_THAT(r.error().message, !Catch::Contains(kToken));
}

// ---------------------------------------------------------------------------------------------
// Bounded input: the response body cap (issue 9)

TEST_CASE("a body the transport stopped reading at the cap is a data error naming the page, not retried", "[api][bounds]") {
  Harness h("", 3);
  h.queue(failure(http::FailureKind::too_large, "the response body is larger than 8388608 bytes (api.max_body_bytes)"));
  auto page = h.client->get_page(h.client->first_page_url(), "page 3");
  REQUIRE_FALSE(page.ok());
  CHECK(page.error().code == ExitCode::data);
  CHECK_THAT(page.error().message, Catch::StartsWith("page 3: GET /v2/integrations/") &&
                                       Catch::Contains("api.max_body_bytes"));
  CHECK(h.requests().size() == 1);
  CHECK(h.clock.sleeps.empty());
}

TEST_CASE("a whole body over max_body_bytes from any transport is refused the same way", "[api][bounds]") {
  Harness h("", 3);
  ApiSettings s;
  s.base_url = kBase;
  s.max_body_bytes = 1024;
  auto sc = h.script;
  ApiClient small(s, Secret{kToken}, [sc] { return std::make_unique<FakeTransport>(sc); }, h.clock);
  h.queue(reply(200, std::string(2000, ' ') + kObject));
  auto got = small.get_integration("abc");
  REQUIRE_FALSE(got.ok());
  CHECK(got.error().code == ExitCode::data);
  CHECK_THAT(got.error().message, Catch::StartsWith("GET integration abc") && Catch::Contains("1024 bytes"));
  CHECK(h.requests().size() == 1);
  h.queue(reply(200, kObject));
  CHECK(small.get_integration("abc").ok());
}
