// The sandbox's account objects (employees, payouts, payruns, invoices, webhooks), its state moves,
// its clock, its webhook deliveries and their faults, over real HTTP on loopback.
#include <CLI/CLI.hpp>
#include <catch2/catch.hpp>
#include <httplib.h>
#include <rapidjson/document.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cstdlib>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "gigasync/sandbox.h"
#include "gigasync/timestamp.h"
#include "sandbox/id_table.h"
#include "sandbox/money.h"
#include "gigasync/hmac.h"

namespace {

using gigasync::parse_iso8601;
using gigasync::UnixMicros;
using gigasync::sandbox::Faults;
using gigasync::sandbox::Options;
using gigasync::sandbox::Server;
using namespace std::chrono_literals;

const char* const kToken = "account-t0ken";

Options options(int seed = 0) {
  Options o;
  o.port = 0;
  o.seed = seed;
  o.token = kToken;
  o.webhook_retry_ms = 10;
  return o;
}

// A parsed answer.
struct Reply {
  int status = 0;  // 0: no answer
  std::string body;
  httplib::Headers headers;
  rapidjson::Document json;
  std::string header(const char* name) const {
    auto it = headers.find(name);
    return it == headers.end() ? "" : it->second;
  }
};

std::string str(const rapidjson::Value& v) { return v.IsString() ? v.GetString() : std::string("<not a string>"); }

std::string first_error(const rapidjson::Value& d, const char* field) {
  if (!d.IsObject() || !d.HasMember(field) || !d[field].IsArray() || d[field].Empty()) return "<none>";
  return str(d[field][0]);
}

// A started sandbox with two custom integrations, "ia" and "ib".
struct Sandbox {
  explicit Sandbox(Options o = options()) : server(std::move(o)) {
    REQUIRE(server.put_object(R"({"id":"ia","type":3,"name":"Alfa AB"})").ok());
    REQUIRE(server.put_object(R"({"id":"ib","type":3,"name":"Beta AB"})").ok());
    auto started = server.start();
    REQUIRE(started.ok());
    port = *started;
  }

  Reply call(const std::string& method, const std::string& path, const std::string& iid = "",
             const std::string& body = "", httplib::Headers extra = {}) const {
    httplib::Client c("127.0.0.1", port);
    c.set_read_timeout(10, 0);
    httplib::Request req;
    req.method = method;
    req.path = path;
    req.headers = std::move(extra);
    req.headers.emplace("Authorization", std::string("Token ") + kToken);
    if (!iid.empty()) req.headers.emplace("Integration-ID", iid);
    if (!body.empty()) {
      req.body = body;
      req.headers.emplace("Content-Type", "application/json");
    }
    Reply r;
    auto res = c.send(req);
    if (!res) return r;
    r.status = res->status;
    r.body = res->body;
    r.headers = res->headers;
    if (!r.body.empty()) r.json.Parse(r.body.c_str(), r.body.size());
    return r;
  }
  Reply get(const std::string& path, const std::string& iid = "ia") const { return call("GET", path, iid); }
  Reply post(const std::string& path, const std::string& body, const std::string& iid = "ia",
             httplib::Headers extra = {}) const {
    return call("POST", path, iid, body, std::move(extra));
  }
  Reply patch(const std::string& path, const std::string& body, const std::string& iid = "ia") const {
    return call("PATCH", path, iid, body);
  }
  Reply put(const std::string& path, const std::string& body, const std::string& iid = "ia") const {
    return call("PUT", path, iid, body);
  }
  Reply del(const std::string& path, const std::string& iid = "ia") const { return call("DELETE", path, iid); }
  // The admin back door (no Integration-ID).
  Reply admin(const std::string& method, const std::string& path, const std::string& body = "") const {
    return call(method, "/_sandbox/" + path, "", body);
  }
  std::string url(const std::string& path) const { return server.origin() + path; }

  Server server;
  int port = 0;
};

std::string employee_body(const std::string& id, const std::string& name = "Albin Lindskog",
                          const std::string& extra = "") {
  std::string body = R"({"name":")" + name + R"(","email":"albin@gigapay.co","country":"SWE")";
  if (!id.empty()) body += R"(,"id":")" + id + "\"";
  return body + extra + "}";
}

std::string payout_body(const std::string& employee, const std::string& money = R"("invoiced_amount":"1000.00")",
                        const std::string& extra = "") {
  return R"({"currency":"SEK","description":"Instagram samarbete","employee":")" + employee + "\"," + money + extra +
         "}";
}

void make_employee(const Sandbox& sb, const std::string& id, const std::string& iid = "ia") {
  auto r = sb.post("/v2/employees/", employee_body(id), iid);
  REQUIRE(r.status == 201);
}

// Registers a payout and returns it.
Reply make_payout(const Sandbox& sb, const std::string& id, const std::string& employee, const std::string& iid = "ia") {
  auto r = sb.post("/v2/payouts/", payout_body(employee, R"("invoiced_amount":"1000.00")", R"(,"id":")" + id + "\""),
                   iid);
  REQUIRE(r.status == 201);
  return r;
}

std::vector<std::string> ids_of(const rapidjson::Value& list) {
  std::vector<std::string> ids;
  for (const auto& o : list.GetArray()) ids.push_back(str(o["id"]));
  return ids;
}

// The ids a list answers (one page).
std::vector<std::string> listed(const Sandbox& sb, const std::string& path, const std::string& iid = "ia") {
  auto r = sb.get(path, iid);
  REQUIRE(r.status == 200);
  return ids_of(r.json["results"]);
}

// Follows next from `path` and returns every id seen.
std::vector<std::string> page_through(const Sandbox& sb, std::string path, const std::string& iid = "ia") {
  std::vector<std::string> ids;
  for (int guard = 0; guard < 10000 && !path.empty(); ++guard) {
    auto r = sb.get(path, iid);
    REQUIRE(r.status == 200);
    for (const auto& id : ids_of(r.json["results"])) ids.push_back(id);
    path = r.json["next"].IsNull() ? "" : str(r.json["next"]).substr(sb.server.origin().size());
  }
  return ids;
}

UnixMicros time_of(const rapidjson::Value& v) {
  REQUIRE(v.IsString());
  auto t = parse_iso8601(v.GetString());
  REQUIRE(t);
  return *t;
}

bool is_api_time(const rapidjson::Value& v) {
  if (!v.IsString()) return false;
  std::string s = v.GetString();
  return s.size() == 27 && s[10] == 'T' && s[19] == '.' && s.back() == 'Z' && parse_iso8601(s).has_value();
}

std::vector<std::string> names_of(const rapidjson::Value& object) {
  std::vector<std::string> names;
  for (const auto& m : object.GetObject()) names.emplace_back(m.name.GetString());
  return names;
}

// A webhook receiver on loopback: records every POST; answers what `status_for` says (200 by default).
struct Received {
  std::string path, body, signature, content_type;
  std::chrono::steady_clock::time_point at;
};

class Receiver {
 public:
  Receiver() {
    server_.Post(".*", [this](const httplib::Request& req, httplib::Response& res) {
      Received r{req.path, req.body, req.get_header_value("Gigapay-Signature"), req.get_header_value("Content-Type"),
                 std::chrono::steady_clock::now()};
      int status = 200;
      {
        std::lock_guard lock(mu_);
        got_.push_back(r);
        if (status_for) status = status_for(got_.size());
      }
      cv_.notify_all();
      res.status = status;
      res.set_content("{}", "application/json");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(1ms);
  }
  ~Receiver() {
    server_.stop();
    thread_.join();
  }
  Receiver(const Receiver&) = delete;
  Receiver& operator=(const Receiver&) = delete;

  std::string url(const std::string& path = "/hook/") const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  // Waits until `n` requests arrived (or 10 s) and returns what arrived.
  std::vector<Received> wait_for(std::size_t n, std::chrono::milliseconds timeout = 10s) {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, timeout, [&] { return got_.size() >= n; });
    return got_;
  }
  std::vector<Received> got() {
    std::lock_guard lock(mu_);
    return got_;
  }
  // Given the number of the request (1, 2, ...), the status to answer. Set before events fire.
  std::function<int(std::size_t)> status_for;

 private:
  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Received> got_;
};

// t and v1 of a Gigapay-Signature header.
struct Signature {
  std::string t, v1;
};

Signature parse_signature(const std::string& header) {
  Signature s;
  auto comma = header.find(',');
  if (header.rfind("t=", 0) == 0 && comma != std::string::npos && header.compare(comma + 1, 3, "v1=") == 0) {
    s.t = header.substr(2, comma - 2);
    s.v1 = header.substr(comma + 4);
  }
  return s;
}

// Checks a delivery as a receiver would: HMAC-SHA256 of "<t>.<raw body>" under the secret.
bool signature_valid(const Received& r, const std::string& secret) {
  Signature s = parse_signature(r.signature);
  if (s.t.empty() || s.v1.size() != 64) return false;
  return gigasync::util::constant_time_equal(s.v1, gigasync::util::hmac_sha256_hex(secret, s.t + "." + r.body));
}

// Registers a webhook for `events` (a JSON list) with a known secret; returns its id.
std::string make_webhook(const Sandbox& sb, const Receiver& rx, const std::string& events,
                         const std::string& iid = "ia", const std::string& secret = "s3cret-key") {
  auto r = sb.post("/v2/webhooks/",
                   R"({"url":")" + rx.url() + R"(","events":)" + events + R"(,"secret_key":")" + secret + "\"}", iid);
  REQUIRE(r.status == 201);
  return str(r.json["id"]);
}

rapidjson::Document deliveries(const Sandbox& sb) {
  REQUIRE(sb.server.wait_for_webhooks(10s));
  rapidjson::Document d;
  std::string text = sb.server.webhook_deliveries_json();
  d.Parse(text.c_str(), text.size());
  return d;
}

rapidjson::Document parse(const std::string& text) {
  rapidjson::Document d;
  d.Parse(text.c_str(), text.size());
  return d;
}

// GET /_sandbox/integrations/IID/RESOURCE/ without HTTP.
std::string objects(const Server& server, const std::string& iid, const char* resource) {
  auto json = server.account_objects_json(iid, resource);
  REQUIRE(json.ok());
  return json.value();
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Integration-ID, and objects per integration

TEST_CASE("Account endpoints need an Integration-ID that names an integration", "[sandbox]") {
  Sandbox sb;
  for (const char* resource : {"employees", "payouts", "payruns", "invoices", "webhooks"}) {
    std::string path = std::string("/v2/") + resource + "/";
    auto missing = sb.call("GET", path);
    CHECK(missing.status == 400);
    CHECK(str(missing.json["detail"]) == "Integration-ID header is required.");
    auto unknown = sb.get(path, "no-such-integration");
    CHECK(unknown.status == 404);
    CHECK(str(unknown.json["detail"]) == "Integration not found.");
    auto fine = sb.get(path, "ia");
    CHECK(fine.status == 200);
    CHECK(fine.json["count"].GetInt() == 0);
  }
  CHECK(sb.call("GET", "/v2/employees/x/y/z/", "ia").status == 404);
  auto redirect = sb.get("/v2/employees");
  CHECK(redirect.status == 307);
  CHECK(redirect.header("Location") == sb.url("/v2/employees/"));
}

TEST_CASE("The same id under two integrations is two objects", "[sandbox]") {
  Sandbox sb;
  REQUIRE(sb.post("/v2/employees/", employee_body("1847", "Albin Lindskog"), "ia").status == 201);
  REQUIRE(sb.post("/v2/employees/", employee_body("1847", "Joakim Olovsson"), "ib").status == 201);
  CHECK(str(sb.get("/v2/employees/1847/", "ia").json["name"]) == "Albin Lindskog");
  CHECK(str(sb.get("/v2/employees/1847/", "ib").json["name"]) == "Joakim Olovsson");
  make_payout(sb, "p1", "1847", "ia");
  make_payout(sb, "p1", "1847", "ib");
  CHECK(sb.get("/v2/payouts/", "ia").json["count"].GetInt() == 1);
  CHECK(sb.get("/v2/payruns/", "ib").json["count"].GetInt() == 1);
  REQUIRE(sb.admin("DELETE", "integrations/ia/payouts/p1").status == 204);
  CHECK(sb.get("/v2/payouts/p1/", "ia").status == 404);
  CHECK(sb.get("/v2/payouts/p1/", "ib").status == 200);
  CHECK(sb.del("/v2/employees/1847/", "ia").status == 204);
  CHECK(sb.get("/v2/employees/1847/", "ib").status == 200);
  auto counts = sb.server.counts();
  CHECK(counts.integrations == 2);
  CHECK(counts.employees == 1);
  CHECK(counts.payouts == 1);
}

TEST_CASE("An integration's objects follow its rename and go with its deletion", "[sandbox]") {
  Sandbox sb;
  make_employee(sb, "e1", "ib");
  auto renamed = sb.call("PATCH", "/v2/integrations/ib/", "", R"({"id":"ib2"})");
  REQUIRE(renamed.status == 200);
  CHECK(sb.get("/v2/employees/e1/", "ib2").status == 200);
  CHECK(sb.get("/v2/employees/", "ib").status == 404);
  REQUIRE(sb.call("DELETE", "/v2/integrations/ib2/").status == 204);
  REQUIRE(sb.server.put_object(R"({"id":"ib2","type":3,"name":"Beta again"})").ok());
  CHECK(sb.get("/v2/employees/", "ib2").json["count"].GetInt() == 0);
}

TEST_CASE("A refused integration's objects are answered 403; other integrations are served", "[sandbox]") {
  Options o = options();
  o.faults.refused_integrations = {"ib"};
  Sandbox sb(o);
  auto refused = sb.get("/v2/payouts/", "ib");
  CHECK(refused.status == 403);
  CHECK(refused.json["detail"].IsString());
  CHECK(sb.get("/v2/payouts/", "ia").status == 200);
  CHECK(sb.call("GET", "/v2/integrations/", "ib").status == 200);  // the integrations themselves
  auto log = sb.server.requests();
  REQUIRE(log.size() == 3);
  CHECK(log[0].fault == "refuse_integration");
  CHECK(log[1].fault.empty());
  auto set = sb.admin("POST", "faults", R"({"refused_integrations":["ia"]})");
  REQUIRE(set.status == 200);
  CHECK(str(set.json["refused_integrations"][0]) == "ia");
  CHECK(sb.get("/v2/employees/", "ia").status == 403);
  CHECK(sb.get("/v2/employees/", "ib").status == 200);
  CHECK(sb.admin("POST", "faults", R"({"refused_integrations":"ia"})").status == 400);
}

// ---------------------------------------------------------------------------------------------
// Employees

TEST_CASE("Registering an employee answers 201 with every documented field in order", "[sandbox]") {
  Sandbox sb;
  auto r = sb.post("/v2/employees/", employee_body("", "Albin Lindskog", R"(,"cellphone_number":"+46703000000",)"
                                                                         R"("metadata":{"user_id":3})"));
  REQUIRE(r.status == 201);
  CHECK(names_of(r.json) == std::vector<std::string>{"id", "name", "email", "cellphone_number", "country",
                                                     "latest_status", "metadata", "created_at", "notified_at",
                                                     "claimed_at", "verified_at", "invitation_code"});
  std::string id = str(r.json["id"]);
  CHECK(id.size() == 36);
  CHECK(id[14] == '4');
  CHECK(str(r.json["cellphone_number"]) == "+46703000000");
  CHECK(str(r.json["latest_status"]) == "created");
  CHECK(r.json["metadata"]["user_id"].GetInt() == 3);
  CHECK(is_api_time(r.json["created_at"]));
  CHECK(r.json["notified_at"].IsNull());
  CHECK(r.json["claimed_at"].IsNull());
  CHECK(r.json["verified_at"].IsNull());
  std::string code = str(r.json["invitation_code"]);
  CHECK(code.size() == 8);
  CHECK(std::all_of(code.begin(), code.end(), [](char c) { return std::isupper(c) || std::isdigit(c); }));
  CHECK(sb.get("/v2/employees/" + id + "/").body == r.body);
  auto without_phone = sb.post("/v2/employees/", employee_body("e2"));
  CHECK(without_phone.json["cellphone_number"].IsNull());
  CHECK(without_phone.json["metadata"].ObjectEmpty());
}

TEST_CASE("Employee writes are validated field by field; an existing id is refused on id", "[sandbox]") {
  Sandbox sb;
  auto bad = sb.post("/v2/employees/", R"({"email":"nope","country":"sweden","cellphone_number":[1]})");
  REQUIRE(bad.status == 400);
  CHECK(first_error(bad.json, "name") == "This field is required.");
  CHECK(first_error(bad.json, "email") == "Enter a valid email address.");
  CHECK(first_error(bad.json, "country") == "\"sweden\" is not a valid choice.");
  CHECK(first_error(bad.json, "cellphone_number") == "Not a valid string.");
  make_employee(sb, "1847");
  auto again = sb.post("/v2/employees/", employee_body("1847"));
  CHECK(again.status == 400);
  CHECK(first_error(again.json, "id") == "employee with this id already exists.");
  auto numeric = sb.post("/v2/employees/", R"({"id":19472,"name":"A","email":"a@b.se","country":"SWE"})");
  CHECK(numeric.status == 201);
  CHECK(str(numeric.json["id"]) == "19472");
  CHECK(sb.get("/v2/employees/").json["count"].GetInt() == 2);
  auto list = sb.post("/v2/employees/", "[1]");
  CHECK(list.status == 400);
  CHECK(first_error(list.json, "non_field_errors") == "Invalid data. Expected a dictionary, but got list.");
}

TEST_CASE("PATCH edits and renames an employee without stamping a time; PUT resets optional fields", "[sandbox]") {
  Sandbox sb;
  auto created = sb.post("/v2/employees/", employee_body("1847", "Albin", R"(,"cellphone_number":"+4670")"));
  REQUIRE(created.status == 201);
  auto edited = sb.patch("/v2/employees/1847/", R"({"name":"Albin Lindskog","metadata":{"a":1}})");
  REQUIRE(edited.status == 200);
  CHECK(str(edited.json["name"]) == "Albin Lindskog");
  CHECK(str(edited.json["email"]) == "albin@gigapay.co");
  CHECK(str(edited.json["created_at"]) == str(created.json["created_at"]));
  CHECK(edited.json["notified_at"].IsNull());
  CHECK(sb.server.requests().back().applied);
  auto same = sb.patch("/v2/employees/1847/", R"({"name":"Albin Lindskog"})");
  CHECK(same.status == 200);
  CHECK_FALSE(sb.server.requests().back().applied);
  auto renamed = sb.patch("/v2/employees/1847/", R"({"id":"8472"})");
  REQUIRE(renamed.status == 200);
  CHECK(str(renamed.json["id"]) == "8472");
  CHECK(sb.get("/v2/employees/1847/").status == 404);
  CHECK(sb.get("/v2/employees/8472/").status == 200);
  make_employee(sb, "taken");
  CHECK(first_error(sb.patch("/v2/employees/8472/", R"({"id":"taken"})").json, "id") ==
        "employee with this id already exists.");
  auto replaced = sb.put("/v2/employees/8472/", R"({"name":"Albin","email":"a@b.se","country":"NOR"})");
  REQUIRE(replaced.status == 200);
  CHECK(replaced.json["cellphone_number"].IsNull());
  CHECK(replaced.json["metadata"].ObjectEmpty());
  CHECK(str(replaced.json["id"]) == "8472");
  CHECK(str(replaced.json["created_at"]) == str(created.json["created_at"]));
  auto partial_put = sb.put("/v2/employees/8472/", R"({"name":"Albin"})");
  CHECK(partial_put.status == 400);
  CHECK(first_error(partial_put.json, "email") == "This field is required.");
  CHECK(sb.patch("/v2/employees/nope/", R"({"name":"x"})").status == 404);
}

TEST_CASE("An employee with payouts can not be deleted; without payouts it can", "[sandbox]") {
  Sandbox sb;
  make_employee(sb, "e1");
  make_employee(sb, "e2");
  make_payout(sb, "p1", "e1");
  auto refused = sb.del("/v2/employees/e1/");
  CHECK(refused.status == 400);
  CHECK(first_error(refused.json, "non_field_errors") == "An employee with payouts can not be deleted.");
  auto deleted = sb.del("/v2/employees/e2/");
  CHECK(deleted.status == 204);
  CHECK(deleted.body.empty());
  CHECK(sb.get("/v2/employees/e2/").status == 404);
  REQUIRE(sb.del("/v2/payouts/p1/").status == 204);
  CHECK(sb.del("/v2/employees/e1/").status == 204);
}

TEST_CASE("An Idempotency-Key replays an account write; the same key under another integration is refused",
          "[sandbox]") {
  Sandbox sb;
  httplib::Headers key{{"Idempotency-Key", "emp-1"}};
  auto first = sb.post("/v2/employees/", employee_body(""), "ia", key);
  auto second = sb.post("/v2/employees/", employee_body(""), "ia", key);
  REQUIRE(first.status == 201);
  CHECK(second.status == 201);
  CHECK(second.body == first.body);
  CHECK(second.header("Idempotent-Replayed") == "true");
  CHECK(sb.get("/v2/employees/").json["count"].GetInt() == 1);
  auto elsewhere = sb.post("/v2/employees/", employee_body(""), "ib", key);
  CHECK(elsewhere.status == 400);
  CHECK(first_error(elsewhere.json, "non_field_errors") == "Idempotency-Key reused for a different request.");
  CHECK(sb.get("/v2/employees/", "ib").json["count"].GetInt() == 0);
}

// ---------------------------------------------------------------------------------------------
// Payouts, payruns, invoices

TEST_CASE("A payout is priced in whole cents from amount, invoiced_amount or cost", "[sandbox]") {
  Sandbox sb;
  make_employee(sb, "1847");
  auto r = sb.post("/v2/payouts/", payout_body("1847", R"("invoiced_amount":"1000.00")", R"(,"id":9472)"));
  REQUIRE(r.status == 201);
  CHECK(names_of(r.json) == std::vector<std::string>{"id", "amount", "invoiced_amount", "cost", "currency",
                                                     "description", "full_salary_specification", "employee",
                                                     "invoice", "payrun", "latest_status", "metadata", "start_at",
                                                     "end_at", "created_at", "notified_at", "accepted_at",
                                                     "canceled_at"});
  CHECK(str(r.json["id"]) == "9472");
  CHECK(str(r.json["amount"]) == "760.92");
  CHECK(str(r.json["invoiced_amount"]) == "1000.00");
  CHECK(str(r.json["cost"]) == "1020.00");
  CHECK(r.json["full_salary_specification"].GetBool());
  CHECK(str(r.json["employee"]) == "1847");
  CHECK(str(r.json["invoice"]) == str(r.json["payrun"]));
  CHECK(str(r.json["latest_status"]) == "created");
  CHECK(r.json["start_at"].IsNull());
  CHECK(is_api_time(r.json["created_at"]));
  auto by_amount = sb.post("/v2/payouts/", payout_body("1847", R"("amount":1000)"));
  REQUIRE(by_amount.status == 201);
  CHECK(str(by_amount.json["amount"]) == "1000.00");
  CHECK(str(by_amount.json["invoiced_amount"]) == "1314.20");
  CHECK(str(by_amount.json["cost"]) == "1340.48");
  CHECK_FALSE(by_amount.json["full_salary_specification"].GetBool());
  auto by_cost = sb.post("/v2/payouts/", payout_body("1847", R"("cost":"2550.00")",
                                                     R"(,"start_at":"2019-05-22T08:00:00Z","end_at":null)"));
  REQUIRE(by_cost.status == 201);
  CHECK(str(by_cost.json["invoiced_amount"]) == "2500.00");
  CHECK(str(by_cost.json["amount"]) == "1902.30");
  CHECK(str(by_cost.json["start_at"]) == "2019-05-22T08:00:00.000000Z");
  auto payrun = sb.get("/v2/payruns/" + str(r.json["payrun"]) + "/");
  CHECK(str(payrun.json["price"]) == "4910.48");  // 1020.00 + 1340.48 + 2550.00
}

TEST_CASE("Payout writes are validated; exactly one amount field; a batch is all or nothing", "[sandbox]") {
  Sandbox sb;
  make_employee(sb, "1847");
  auto none = sb.post("/v2/payouts/", payout_body("1847", R"("metadata":{})"));
  CHECK(none.status == 400);
  CHECK(first_error(none.json, "non_field_errors") == "Either amount, invoiced_amount or cost is required.");
  auto both = sb.post("/v2/payouts/", payout_body("1847", R"("amount":"1.00","cost":"2.00")"));
  CHECK(first_error(both.json, "non_field_errors") == "Only one of amount, invoiced_amount and cost may be given.");
  auto bad = sb.post("/v2/payouts/", R"({"currency":"kronor","employee":"nobody","amount":"1.005","cost":null})");
  REQUIRE(bad.status == 400);
  CHECK(first_error(bad.json, "currency") == "\"kronor\" is not a valid choice.");
  CHECK(first_error(bad.json, "description") == "This field is required.");
  CHECK(first_error(bad.json, "employee") == "Object with id=nobody does not exist.");
  CHECK(first_error(bad.json, "amount") == "Ensure that there are no more than 2 decimal places.");
  CHECK_FALSE(bad.json.HasMember("non_field_errors"));
  CHECK(first_error(sb.post("/v2/payouts/", payout_body("1847", R"("amount":"abc")")).json, "amount") ==
        "A valid number is required.");
  CHECK(first_error(sb.post("/v2/payouts/", payout_body("1847", R"("amount":"0.00")")).json, "amount") ==
        "Ensure this value is greater than or equal to 0.01.");
  auto batch = sb.post("/v2/payouts/", "[" + payout_body("1847", R"("amount":"10.00")", R"(,"id":"a")") + "," +
                                           payout_body("1847", R"("amount":"x")") + "]");
  REQUIRE(batch.status == 400);
  REQUIRE(batch.json.IsArray());
  CHECK(batch.json[0].ObjectEmpty());
  CHECK(first_error(batch.json[1], "amount") == "A valid number is required.");
  CHECK(sb.get("/v2/payouts/").json["count"].GetInt() == 0);
  auto dup = sb.post("/v2/payouts/", "[" + payout_body("1847", R"("amount":"10.00")", R"(,"id":"a")") + "," +
                                         payout_body("1847", R"("amount":"10.00")", R"(,"id":"a")") + "]");
  CHECK(first_error(dup.json[1], "id") == "payout with this id already exists.");
  auto good = sb.post("/v2/payouts/", "[" + payout_body("1847", R"("amount":"10.00")", R"(,"id":"a")") + "," +
                                          payout_body("1847", R"("amount":"20.00")", R"(,"id":"b")") + "]");
  REQUIRE(good.status == 201);
  REQUIRE(good.json.IsArray());
  CHECK(ids_of(good.json) == std::vector<std::string>{"a", "b"});
  CHECK(str(good.json[0]["payrun"]) == str(good.json[1]["payrun"]));
  CHECK(first_error(sb.post("/v2/payouts/", payout_body("1847", R"("amount":"1.00")", R"(,"id":"a")")).json, "id") ==
        "payout with this id already exists.");
}

TEST_CASE("Payouts can not be edited: PUT and PATCH are 405 with an Allow header", "[sandbox]") {
  Sandbox sb;
  make_employee(sb, "e1");
  make_payout(sb, "p1", "e1");
  for (const char* method : {"PUT", "PATCH"}) {
    auto r = sb.call(method, "/v2/payouts/p1/", "ia", R"({"description":"x"})");
    CHECK(r.status == 405);
    CHECK(r.header("Allow") == "GET, DELETE, HEAD, OPTIONS");
    CHECK(str(r.json["detail"]) == std::string("Method \"") + method + "\" not allowed.");
  }
  CHECK(sb.post("/v2/payruns/", "{}").status == 405);
  CHECK(sb.put("/v2/payruns/x/", "{}").status == 405);
  CHECK(sb.call("DELETE", "/v2/invoices/", "ia").status == 405);
}

TEST_CASE("A payout joins the open payrun; closing it makes the next payout open a new payrun", "[sandbox]") {
  Sandbox sb;
  make_employee(sb, "e1");
  auto p1 = make_payout(sb, "p1", "e1");
  auto p2 = make_payout(sb, "p2", "e1");
  std::string run = str(p1.json["payrun"]);
  CHECK(str(p2.json["payrun"]) == run);
  auto payrun = sb.get("/v2/payruns/" + run + "/");
  REQUIRE(payrun.status == 200);
  CHECK(names_of(payrun.json) == std::vector<std::string>{"app", "created_at", "currency", "id", "invoice",
                                                          "latest_status", "metadata", "ocr_number", "open", "paid_at",
                                                          "pdf", "price"});
  CHECK(payrun.json["open"].GetBool());
  CHECK(str(payrun.json["latest_status"]) == "open");
  CHECK(str(payrun.json["price"]) == "2040.00");
  CHECK(str(payrun.json["currency"]) == "SEK");
  CHECK(str(payrun.json["ocr_number"]).size() == 12);
  CHECK(time_of(payrun.json["created_at"]) <= time_of(p1.json["created_at"]));
  auto invoice = sb.get("/v2/invoices/" + str(payrun.json["invoice"]) + "/");
  REQUIRE(invoice.status == 200);
  CHECK(names_of(invoice.json) == std::vector<std::string>{"id", "created_at", "issued_at", "paid_at", "due_date",
                                                           "currency", "total", "amount_due", "amount_paid",
                                                           "invoice_number", "customer_reference", "billing_type",
                                                           "pdf_url"});
  CHECK(str(invoice.json["total"]) == "2040.00");
  CHECK(str(invoice.json["amount_due"]) == "2040.00");
  CHECK(str(invoice.json["amount_paid"]) == "0.00");
  CHECK(str(invoice.json["billing_type"]) == "payrun");
  CHECK(str(invoice.json["invoice_number"]) == str(payrun.json["ocr_number"]));
  CHECK(invoice.json["issued_at"].IsNull());
  auto eur = sb.post("/v2/payouts/", R"({"currency":"EUR","description":"d","employee":"e1","amount":"5.00"})");
  REQUIRE(eur.status == 201);
  CHECK(str(eur.json["payrun"]) != run);  // one open payrun per currency
  auto closed = sb.post("/v2/payruns/" + run + "/close/", "");
  CHECK(closed.status == 204);
  CHECK(closed.body.empty());
  auto p3 = make_payout(sb, "p3", "e1");
  CHECK(str(p3.json["payrun"]) != run);
  CHECK(sb.get("/v2/payruns/?open=true").json["count"].GetInt() == 2);
  CHECK(listed(sb, "/v2/payruns/?open=false") == std::vector<std::string>{run});
  CHECK(sb.get("/v2/invoices/").json["count"].GetInt() == 3);
}

TEST_CASE("Closing a payrun notifies its payouts and issues its invoice; a second close changes nothing",
          "[sandbox]") {
  Sandbox sb;
  make_employee(sb, "e1");
  auto p1 = make_payout(sb, "p1", "e1");
  make_payout(sb, "p2", "e1");
  REQUIRE(sb.admin("POST", "integrations/ia/payouts/p2/cancel").status == 200);
  std::string run = str(p1.json["payrun"]);
  REQUIRE(sb.post("/v2/payruns/" + run + "/close/", "").status == 204);
  CHECK(sb.server.requests().back().applied);
  auto payrun = sb.get("/v2/payruns/" + run + "/");
  CHECK_FALSE(payrun.json["open"].GetBool());
  CHECK(str(payrun.json["latest_status"]) == "closed");
  CHECK(payrun.json["paid_at"].IsNull());
  auto notified = sb.get("/v2/payouts/p1/");
  CHECK(is_api_time(notified.json["notified_at"]));
  CHECK(str(notified.json["latest_status"]) == "notified");
  CHECK(sb.get("/v2/payouts/p2/").json["notified_at"].IsNull());  // canceled: not notified
  auto invoice = sb.get("/v2/invoices/" + str(payrun.json["invoice"]) + "/");
  CHECK(is_api_time(invoice.json["issued_at"]));
  CHECK(invoice.json["due_date"].IsString());
  std::string before = sb.get("/v2/payouts/p1/").body;
  CHECK(sb.post("/v2/payruns/" + run + "/close/", "").status == 204);
  CHECK_FALSE(sb.server.requests().back().applied);
  CHECK(sb.get("/v2/payouts/p1/").body == before);
  CHECK(sb.post("/v2/payruns/nope/close/", "").status == 404);
  CHECK(sb.get("/v2/payruns/" + run + "/close/").status == 405);
}

TEST_CASE("A payrun can be renamed; payouts show its new id; paid payruns and their payouts stay", "[sandbox]") {
  Sandbox sb;
  make_employee(sb, "e1");
  auto p1 = make_payout(sb, "p1", "e1");
  std::string run = str(p1.json["payrun"]);
  auto renamed = sb.patch("/v2/payruns/" + run + "/", R"({"id":"846271","metadata":{"original_id":")" + run + "\"}}");
  REQUIRE(renamed.status == 200);
  CHECK(str(renamed.json["id"]) == "846271");
  CHECK(str(renamed.json["metadata"]["original_id"]) == run);
  CHECK(str(renamed.json["created_at"]) == str(sb.get("/v2/payruns/846271/").json["created_at"]));
  CHECK(sb.get("/v2/payruns/" + run + "/").status == 404);
  auto payout = sb.get("/v2/payouts/p1/");
  CHECK(str(payout.json["payrun"]) == "846271");
  CHECK(str(payout.json["invoice"]) == "846271");
  CHECK(listed(sb, "/v2/payouts/?payrun=846271") == std::vector<std::string>{"p1"});
  REQUIRE(sb.admin("POST", "integrations/ia/payruns/846271/pay").status == 200);
  auto no_delete = sb.del("/v2/payruns/846271/");
  CHECK(no_delete.status == 400);
  CHECK(first_error(no_delete.json, "non_field_errors") == "A paid payrun can not be deleted.");
  auto payout_stays = sb.del("/v2/payouts/p1/");
  CHECK(payout_stays.status == 400);
  CHECK(first_error(payout_stays.json, "non_field_errors") == "A payout in a paid payrun can not be deleted.");
  auto p2 = make_payout(sb, "p2", "e1");
  std::string open_run = str(p2.json["payrun"]);
  std::string invoice = str(sb.get("/v2/payruns/" + open_run + "/").json["invoice"]);
  CHECK(sb.del("/v2/payruns/" + open_run + "/").status == 204);
  CHECK(sb.get("/v2/payouts/p2/").status == 404);
  CHECK(sb.get("/v2/invoices/" + invoice + "/").status == 404);
  CHECK(sb.get("/v2/payouts/").json["count"].GetInt() == 1);
}

TEST_CASE("Invoices: status and billing_type filters, ordering, and issue with a due date", "[sandbox]") {
  Sandbox sb;
  make_employee(sb, "e1");
  std::vector<std::string> invoices;
  for (const char* currency : {"SEK", "EUR", "NOK"}) {
    auto p = sb.post("/v2/payouts/", std::string(R"({"currency":")") + currency +
                                         R"(","description":"d","employee":"e1","amount":"5.00"})");
    REQUIRE(p.status == 201);
    invoices.push_back(str(sb.get("/v2/payruns/" + str(p.json["payrun"]) + "/").json["invoice"]));
  }
  auto today = gigasync::format_iso8601_micros(gigasync::now_micros()).substr(0, 10);
  auto issued = sb.post("/v2/invoices/" + invoices[1] + "/issue/", R"({"due_date":"2099-01-01"})");
  CHECK(issued.status == 400);
  CHECK(first_error(issued.json, "due_date") == "Due date can not be more than 365 days in the future.");
  CHECK(first_error(sb.post("/v2/invoices/" + invoices[1] + "/issue/", R"({"due_date":"2020-01-01"})").json,
                    "due_date") == "Due date can not be in the past.");
  CHECK(first_error(sb.post("/v2/invoices/" + invoices[1] + "/issue/", R"({"due_date":"soon"})").json, "due_date") ==
        "Date has wrong format. Use one of these formats instead: YYYY-MM-DD.");
  issued = sb.post("/v2/invoices/" + invoices[1] + "/issue/", R"({"due_date":")" + today + "\"}");
  REQUIRE(issued.status == 200);
  CHECK(str(issued.json["due_date"]) == today);
  CHECK(is_api_time(issued.json["issued_at"]));
  auto again = sb.post("/v2/invoices/" + invoices[1] + "/issue/", "");
  CHECK(again.status == 409);
  CHECK(str(again.json["detail"]) == "Invoice already issued.");
  auto run = sb.get("/v2/payruns/?open=false");  // issuing closed the payrun (open = pro-forma)
  CHECK(run.json["count"].GetInt() == 1);
  REQUIRE(sb.admin("POST", "integrations/ia/invoices/" + invoices[2] + "/pay").status == 200);
  CHECK(listed(sb, "/v2/invoices/?status=proforma") == std::vector<std::string>{invoices[0]});
  CHECK(listed(sb, "/v2/invoices/?status=invoice") == std::vector<std::string>{invoices[1]});
  CHECK(listed(sb, "/v2/invoices/?status=paid") == std::vector<std::string>{invoices[2]});
  auto paid = sb.get("/v2/invoices/" + invoices[2] + "/");
  CHECK(str(paid.json["amount_due"]) == "0.00");
  CHECK(str(paid.json["amount_paid"]) == str(paid.json["total"]));
  CHECK(listed(sb, "/v2/invoices/?billing_type=payrun").size() == 3);
  CHECK(listed(sb, "/v2/invoices/?billing_type=credit").empty());
  CHECK(sb.get("/v2/invoices/?status=late").status == 400);
  CHECK(first_error(sb.get("/v2/invoices/?billing_type=x").json, "billing_type") ==
        "Select a valid choice. x is not one of the available choices.");
  CHECK(listed(sb, "/v2/invoices/?ordering=-created_at") ==
        std::vector<std::string>{invoices[2], invoices[1], invoices[0]});
  CHECK(listed(sb, "/v2/invoices/?ordering=created_at") == invoices);
  // paid_at: nulls last ascending, first descending
  CHECK(listed(sb, "/v2/invoices/?ordering=paid_at").front() == invoices[2]);
  CHECK(listed(sb, "/v2/invoices/?ordering=-paid_at").back() == invoices[2]);
  CHECK(listed(sb, "/v2/invoices/?ordering=-due_date").back() == invoices[1]);
  CHECK(listed(sb, "/v2/invoices/?ordering=nonsense") == invoices);
}

// ---------------------------------------------------------------------------------------------
// Filters and paging

TEST_CASE("Timestamp filters include their bound, _null selects by presence, and filters combine", "[sandbox]") {
  Sandbox sb;
  for (const char* id : {"e1", "e2", "e3"}) make_employee(sb, id);
  REQUIRE(sb.admin("POST", "integrations/ia/employees/e2/notify").status == 200);
  auto e2 = sb.get("/v2/employees/e2/");
  std::string created = str(e2.json["created_at"]);
  std::string notified = str(e2.json["notified_at"]);
  std::vector<std::string> all{"e1", "e2", "e3"};
  CHECK(listed(sb, "/v2/employees/?created_at_after=" + created) == std::vector<std::string>{"e2", "e3"});
  CHECK(listed(sb, "/v2/employees/?created_at_before=" + created) == std::vector<std::string>{"e1", "e2"});
  CHECK(listed(sb, "/v2/employees/?created_at_after=" + created + "&created_at_before=" + created) ==
        std::vector<std::string>{"e2"});
  auto just_after = gigasync::format_iso8601_micros(time_of(e2.json["created_at"]) + 1);
  CHECK(listed(sb, "/v2/employees/?created_at_after=" + just_after) == std::vector<std::string>{"e3"});
  CHECK(listed(sb, "/v2/employees/?notified_at_after=" + notified) == std::vector<std::string>{"e2"});
  CHECK(listed(sb, "/v2/employees/?notified_at_null=true") == std::vector<std::string>{"e1", "e3"});
  CHECK(listed(sb, "/v2/employees/?notified_at_null=False") == std::vector<std::string>{"e2"});
  CHECK(listed(sb, "/v2/employees/?notified_at_null=maybe") == all);  // not a boolean: the filter is off
  CHECK(listed(sb, "/v2/employees/?claimed_at_null=true&created_at_after=" + created) ==
        std::vector<std::string>{"e2", "e3"});
  CHECK(listed(sb, "/v2/employees/?verified_at_before=2100-01-01").empty());  // null never matches a bound
  CHECK(listed(sb, "/v2/employees/?created_at_after=2000-01-01&created_at_before=2100-01-01") == all);
  auto bad = sb.get("/v2/employees/?created_at_after=yesterday");
  CHECK(bad.status == 400);
  CHECK(first_error(bad.json, "created_at_after") == "Enter a valid date/time.");
  // An offset in the value is honoured: the same instant written in +01:00.
  auto t = time_of(e2.json["created_at"]);
  std::string local = gigasync::format_iso8601_micros(t + 3'600'000'000LL);
  local = local.substr(0, local.size() - 1) + "%2B01:00";
  CHECK(listed(sb, "/v2/employees/?created_at_before=" + local) == std::vector<std::string>{"e1", "e2"});
}

TEST_CASE("Payout filters: every timestamp, employee, payrun, invoice and search", "[sandbox]") {
  Sandbox sb;
  REQUIRE(sb.post("/v2/employees/", R"({"id":"sk","name":"Joakim Skoog","email":"joakims@gigapay.co","country":"SWE",)"
                                    R"("cellphone_number":"+46703100001"})")
              .status == 201);
  REQUIRE(sb.post("/v2/employees/", R"({"id":"ka","name":"Karl Karlsson","email":"karl@gigapay.co","country":"SWE"})")
              .status == 201);
  REQUIRE(sb.post("/v2/payouts/", payout_body("sk", R"("amount":"1.00")", R"(,"id":"p1","start_at":"2026-01-01T08:00:00Z")"))
              .status == 201);
  REQUIRE(sb.post("/v2/payouts/", R"({"id":"p2","currency":"SEK","description":"Städning hos Skoog","employee":"ka",)"
                                  R"("amount":"1.00","end_at":"2026-01-02T17:00:00Z"})")
              .status == 201);
  auto p3 = sb.post("/v2/payouts/", payout_body("ka", R"("amount":"1.00")", R"(,"id":"p3")"));
  REQUIRE(p3.status == 201);
  REQUIRE(sb.admin("POST", "integrations/ia/payouts/p1/notify").status == 200);
  REQUIRE(sb.admin("POST", "integrations/ia/payouts/p1/accept").status == 200);
  REQUIRE(sb.admin("POST", "integrations/ia/payouts/p3/cancel").status == 200);
  using Ids = std::vector<std::string>;
  CHECK(listed(sb, "/v2/payouts/?employee=ka") == Ids{"p2", "p3"});
  CHECK(listed(sb, "/v2/payouts/?payrun=" + str(p3.json["payrun"])) == Ids{"p1", "p2", "p3"});
  CHECK(listed(sb, "/v2/payouts/?invoice=" + str(p3.json["payrun"]) + "&employee=sk") == Ids{"p1"});
  auto unknown = sb.get("/v2/payouts/?employee=nobody");
  CHECK(unknown.status == 400);
  CHECK(first_error(unknown.json, "employee") ==
        "Select a valid choice. That choice is not one of the available choices.");
  CHECK(sb.get("/v2/payouts/?payrun=nope").status == 400);
  CHECK(listed(sb, "/v2/payouts/?start_at_null=false") == Ids{"p1"});
  CHECK(listed(sb, "/v2/payouts/?end_at_after=2026-01-02T17:00:00Z") == Ids{"p2"});
  CHECK(listed(sb, "/v2/payouts/?notified_at_null=false") == Ids{"p1"});
  CHECK(listed(sb, "/v2/payouts/?accepted_at_null=True") == Ids{"p2", "p3"});
  CHECK(listed(sb, "/v2/payouts/?canceled_at_null=false") == Ids{"p3"});
  CHECK(listed(sb, "/v2/payouts/?created_at_before=" + str(p3.json["created_at"]) + "&canceled_at_null=true") ==
        Ids{"p1", "p2"});
  CHECK(listed(sb, "/v2/payouts/?search=skoog") == Ids{"p1", "p2"});  // employee name, or description
  CHECK(listed(sb, "/v2/payouts/?search=STÄDNING") == Ids{"p2"});
  CHECK(listed(sb, "/v2/payouts/?search=+46703100001") == Ids{"p1"});
  CHECK(listed(sb, "/v2/payouts/?search=karl,samarbete") == Ids{"p3"});  // every term somewhere
  CHECK(listed(sb, "/v2/employees/?search=gigapay.co") == Ids{"sk", "ka"});
  CHECK(listed(sb, "/v2/employees/?search=karlsson") == Ids{"ka"});
  CHECK(listed(sb, "/v2/payruns/?created_at_before=2000-01-01").empty());
  CHECK(listed(sb, "/v2/payruns/?paid_at_null=true").size() == 1);
}

TEST_CASE("Account lists page like integrations: capped size, absolute links, count, last page", "[sandbox]") {
  Options o = options();
  o.max_page_size = 10;
  Sandbox sb(o);
  std::vector<std::string> made;
  for (int i = 0; i < 23; ++i) {
    made.push_back("e" + std::to_string(i));
    make_employee(sb, made.back());
  }
  auto first = sb.get("/v2/employees/?page_size=50");
  CHECK(first.json["count"].GetInt() == 23);
  CHECK(first.json["results"].Size() == 10);
  CHECK(str(first.json["next"]) == sb.url("/v2/employees/?page=2&page_size=50"));
  CHECK(first.json["previous"].IsNull());
  auto second = sb.get("/v2/employees/?page=2&page_size=50");
  CHECK(str(second.json["previous"]) == sb.url("/v2/employees/?page_size=50"));
  CHECK(page_through(sb, "/v2/employees/?page_size=4") == made);
  auto last = sb.get("/v2/employees/?page=last&page_size=10");
  CHECK(ids_of(last.json["results"]) == std::vector<std::string>{"e20", "e21", "e22"});
  CHECK(sb.get("/v2/employees/?page=4&page_size=10").status == 404);
  CHECK(str(sb.get("/v2/employees/?page=0").json["detail"]) == "Invalid page.");
  auto filtered = sb.get("/v2/employees/?page_size=2&search=albin&page=2");
  CHECK(str(filtered.json["next"]) == sb.url("/v2/employees/?page=3&page_size=2&search=albin"));
  CHECK(sb.get("/v2/payouts/?page=1").status == 200);  // page 1 of an empty list
  CHECK(sb.get("/v2/payouts/?page=2").status == 404);
}

// ---------------------------------------------------------------------------------------------
// Moves, admin endpoints, the clock

TEST_CASE("Admin moves stamp their time, set latest_status, and are refused 409 when made again", "[sandbox]") {
  Sandbox sb;
  make_employee(sb, "e1");
  auto notified = sb.admin("POST", "integrations/ia/employees/e1/notify");
  REQUIRE(notified.status == 200);
  CHECK(str(notified.json["latest_status"]) == "notified");
  CHECK(is_api_time(notified.json["notified_at"]));
  CHECK(sb.admin("POST", "integrations/ia/employees/e1/notify").status == 409);
  auto claimed = sb.admin("POST", "integrations/ia/employees/e1/claim");
  CHECK(str(claimed.json["latest_status"]) == "claimed");
  CHECK(claimed.json["invitation_code"].IsNull());
  auto verified = sb.admin("POST", "integrations/ia/employees/e1/verify");
  CHECK(str(verified.json["latest_status"]) == "verified");
  CHECK(time_of(verified.json["created_at"]) < time_of(verified.json["notified_at"]));
  CHECK(time_of(verified.json["notified_at"]) < time_of(verified.json["claimed_at"]));
  CHECK(time_of(verified.json["claimed_at"]) < time_of(verified.json["verified_at"]));
  CHECK(sb.get("/v2/employees/e1/").body == verified.body);
  CHECK(sb.admin("POST", "integrations/ia/employees/e1/dance").status == 404);
  CHECK(sb.admin("GET", "integrations/ia/employees/e1/claim").status == 405);
  CHECK(sb.admin("POST", "integrations/ia/employees/nobody/claim").status == 404);
  CHECK(sb.admin("POST", "integrations/nope/employees/e1/claim").status == 404);

  make_payout(sb, "p1", "e1");
  make_payout(sb, "p2", "e1");
  auto accepted = sb.admin("POST", "integrations/ia/payouts/p1/accept");
  CHECK(str(accepted.json["latest_status"]) == "accepted");
  CHECK(is_api_time(accepted.json["accepted_at"]));
  CHECK(str(sb.admin("POST", "integrations/ia/payouts/p1/cancel").json["detail"]) ==
        "An accepted payout can not be canceled.");
  auto canceled = sb.admin("POST", "integrations/ia/payouts/p2/cancel");
  CHECK(str(canceled.json["latest_status"]) == "canceled");
  CHECK(is_api_time(canceled.json["canceled_at"]));
  CHECK(sb.admin("POST", "integrations/ia/payouts/p2/accept").status == 409);
  CHECK(sb.admin("POST", "integrations/ia/payouts/p2/notify").status == 409);

  std::string run = str(accepted.json["payrun"]);
  auto paid = sb.admin("POST", "integrations/ia/payruns/" + run + "/pay");
  REQUIRE(paid.status == 200);
  CHECK(str(paid.json["latest_status"]) == "paid");
  CHECK_FALSE(paid.json["open"].GetBool());
  CHECK(is_api_time(paid.json["paid_at"]));
  auto invoice = sb.admin("GET", "integrations/ia/invoices/" + str(paid.json["invoice"]));
  CHECK(str(invoice.json["paid_at"]) == str(paid.json["paid_at"]));
  CHECK(is_api_time(invoice.json["issued_at"]));
  CHECK(sb.admin("POST", "integrations/ia/payruns/" + run + "/pay").status == 409);
  CHECK(sb.admin("POST", "integrations/ia/invoices/" + str(paid.json["invoice"]) + "/pay").status == 409);
}

TEST_CASE("Admin PATCH edits without a stamp, admin GET lists everything, admin DELETE takes dependents",
          "[sandbox]") {
  Sandbox sb;
  make_employee(sb, "e1");
  make_employee(sb, "e2");
  auto p = make_payout(sb, "p1", "e1");
  auto before = sb.get("/v2/employees/e1/");
  auto edited = sb.admin("PATCH", "integrations/ia/employees/e1",
                         R"({"name":"Edited Name","latest_status":"suspended","cellphone_number":null})");
  REQUIRE(edited.status == 200);
  CHECK(str(edited.json["name"]) == "Edited Name");
  CHECK(str(edited.json["latest_status"]) == "suspended");
  CHECK(str(edited.json["created_at"]) == str(before.json["created_at"]));
  CHECK(edited.json["notified_at"].IsNull());
  auto backdated = sb.admin("PATCH", "integrations/ia/payouts/p1", R"({"created_at":"2020-01-01T00:00:00Z"})");
  CHECK(str(backdated.json["created_at"]) == "2020-01-01T00:00:00.000000Z");
  auto refused = sb.admin("PATCH", "integrations/ia/payouts/p1", R"({"amount":"1.00","created_at":5})");
  CHECK(refused.status == 400);
  CHECK(first_error(refused.json, "amount") == "Not editable through the admin endpoint.");
  CHECK(first_error(refused.json, "created_at") == "Invalid value.");
  auto all = sb.admin("GET", "integrations/ia/employees/");
  REQUIRE(all.json.IsArray());
  CHECK(ids_of(all.json) == std::vector<std::string>{"e1", "e2"});
  CHECK(str(all.json[0]["name"]) == "Edited Name");
  CHECK(sb.admin("GET", "integrations/ia/payruns/").json.Size() == 1);
  CHECK(sb.admin("GET", "integrations/ib/payouts/").json.Size() == 0);
  CHECK(sb.admin("GET", "integrations/nope/payouts/").status == 404);
  CHECK(sb.admin("GET", "integrations/ia/salaries/").status == 404);
  auto json = sb.server.account_objects_json("ia", "payouts");
  REQUIRE(json.ok());
  CHECK(parse(*json).Size() == 1);
  CHECK_FALSE(sb.server.account_objects_json("ia", "salaries").ok());
  // An employee goes with its payouts, whatever the API's rule.
  CHECK(sb.admin("DELETE", "integrations/ia/employees/e1").status == 204);
  CHECK(sb.get("/v2/payouts/p1/").status == 404);
  auto run = sb.get("/v2/payruns/" + str(p.json["payrun"]) + "/");
  CHECK(str(run.json["price"]) == "0.00");
  // An invoice leaves its payrun without one.
  REQUIRE(sb.admin("DELETE", "integrations/ia/invoices/" + str(run.json["invoice"])).status == 204);
  CHECK(sb.get("/v2/payruns/" + str(p.json["payrun"]) + "/").json["invoice"].IsNull());
  CHECK(sb.admin("DELETE", "integrations/ia/employees/e1").status == 404);
}

TEST_CASE("The clock steps forward and backward, and the next timestamps follow it", "[sandbox]") {
  Sandbox sb;
  auto clock = sb.admin("GET", "clock");
  REQUIRE(clock.status == 200);
  CHECK(clock.json["offset_s"].GetInt64() == 0);
  UnixMicros wall = gigasync::now_micros();
  CHECK(std::llabs(time_of(clock.json["now"]) - wall) < 5'000'000);
  auto back = sb.admin("POST", "clock", R"({"offset_s": -86400})");
  REQUIRE(back.status == 200);
  CHECK(back.json["offset_s"].GetInt64() == -86400);
  make_employee(sb, "yesterday");
  auto e = sb.get("/v2/employees/yesterday/");
  UnixMicros created = time_of(e.json["created_at"]);
  CHECK(created < wall - 86'000'000'000LL);
  CHECK(created > wall - 87'000'000'000LL);
  REQUIRE(sb.admin("POST", "clock", R"({"offset_s": 90000})").status == 200);  // now about an hour ahead
  make_employee(sb, "tomorrow");
  CHECK(time_of(sb.get("/v2/employees/tomorrow/").json["created_at"]) > wall + 3'500'000'000LL);
  CHECK(listed(sb, "/v2/employees/?created_at_before=" + gigasync::format_iso8601_micros(wall)) ==
        std::vector<std::string>{"yesterday"});
  CHECK(sb.admin("POST", "clock", R"({"offset_s": "soon"})").status == 400);
  CHECK(sb.admin("POST", "clock", R"({"speed": 2})").status == 400);
}

TEST_CASE("The clock can start at a given time", "[sandbox]") {
  Options o = options();
  o.clock_start = "2026-03-01T12:00:00Z";
  Sandbox sb(o);
  make_employee(sb, "e1");
  std::string created = str(sb.get("/v2/employees/e1/").json["created_at"]);
  CHECK(created.substr(0, 16) == "2026-03-01T12:00");
}

// ---------------------------------------------------------------------------------------------
// Webhooks: the endpoints

TEST_CASE("Webhooks are registered per integration with a random secret by default", "[sandbox]") {
  Sandbox sb;
  auto r = sb.post("/v2/webhooks/", R"({"url":"https://jobmatchr.se/webhooks/payouts/","events":["Payout.created"]})");
  REQUIRE(r.status == 201);
  CHECK(names_of(r.json) == std::vector<std::string>{"id", "url", "events", "secret_key", "metadata"});
  std::string id = str(r.json["id"]);
  std::string secret = str(r.json["secret_key"]);
  CHECK(secret.size() == 32);
  CHECK(std::all_of(secret.begin(), secret.end(), [](char c) { return std::islower(c) || std::isdigit(c); }));
  CHECK(sb.get("/v2/webhooks/" + id + "/", "ib").status == 404);
  CHECK(sb.get("/v2/webhooks/", "ib").json["count"].GetInt() == 0);
  auto patched = sb.patch("/v2/webhooks/" + id + "/", R"({"events":["Payout.created","Payout.notified"]})");
  CHECK(patched.json["events"].Size() == 2);
  CHECK(str(patched.json["secret_key"]) == secret);
  auto replaced = sb.put("/v2/webhooks/" + id + "/", R"({"url":"http://x.se/h","events":["Payrun.created"]})");
  REQUIRE(replaced.status == 200);
  CHECK(str(replaced.json["secret_key"]) != secret);  // a PUT without secret_key gets a new one
  CHECK(str(replaced.json["secret_key"]).size() == 32);
  auto bad = sb.post("/v2/webhooks/", R"({"url":"ftp://x","events":["Payout.exploded"]})");
  CHECK(bad.status == 400);
  CHECK(first_error(bad.json, "url") == "Enter a valid URL.");
  CHECK(first_error(bad.json, "events") == "\"Payout.exploded\" is not a valid choice.");
  CHECK(first_error(sb.post("/v2/webhooks/", R"({"url":"http://x.se/","events":[]})").json, "events") ==
        "This list may not be empty.");
  CHECK(first_error(sb.post("/v2/webhooks/", R"({"events":["Payout.created"]})").json, "url") ==
        "This field is required.");
  auto fixed = sb.post("/v2/webhooks/", R"({"id":"481272","url":"http://x.se/","events":["Employee.verified"],)"
                                        R"("secret_key":"c1329a085d65f7757838df5920fdcc9a","metadata":{"k":1}})");
  CHECK(str(fixed.json["secret_key"]) == "c1329a085d65f7757838df5920fdcc9a");
  CHECK(first_error(sb.post("/v2/webhooks/", R"({"id":"481272","url":"http://x.se/","events":["Payout.created"]})").json,
                    "id") == "webhook with this id already exists.");
  CHECK(sb.del("/v2/webhooks/481272/").status == 204);
  CHECK(sb.get("/v2/webhooks/").json["count"].GetInt() == 1);
}

// ---------------------------------------------------------------------------------------------
// Webhooks: deliveries

TEST_CASE("Every event is delivered signed with the webhook's secret, and no event for edits, cancels, deletes",
          "[sandbox]") {
  Receiver rx;
  Sandbox sb;
  const std::string all =
      R"(["Employee.created","Employee.notified","Employee.claimed","Employee.verified","Payout.created",)"
      R"("Payout.notified","Payout.accepted","Payrun.created","Payrun.paid"])";
  std::string hook = make_webhook(sb, rx, all);
  make_webhook(sb, rx, R"(["Employee.created"])", "ib", "other-secret");
  make_employee(sb, "e1");
  for (const char* move : {"notify", "claim", "verify"}) {
    REQUIRE(sb.admin("POST", std::string("integrations/ia/employees/e1/") + move).status == 200);
  }
  REQUIRE(sb.patch("/v2/employees/e1/", R"({"name":"Renamed"})").status == 200);  // no event
  auto p1 = make_payout(sb, "p1", "e1");
  make_payout(sb, "p2", "e1");
  REQUIRE(sb.admin("POST", "integrations/ia/payouts/p2/cancel").status == 200);  // no event
  REQUIRE(sb.del("/v2/payouts/p2/").status == 204);                              // no event
  std::string run = str(p1.json["payrun"]);
  REQUIRE(sb.post("/v2/payruns/" + run + "/close/", "").status == 204);  // Payout.notified for p1
  REQUIRE(sb.admin("POST", "integrations/ia/payouts/p1/accept").status == 200);
  REQUIRE(sb.admin("POST", "integrations/ia/payruns/" + run + "/pay").status == 200);
  make_employee(sb, "other", "ib");  // to ib's webhook, signed with its own secret

  auto log = deliveries(sb);
  std::vector<std::string> events;
  for (const auto& d : log.GetArray()) {
    if (str(d["integration"]) == "ia") events.push_back(str(d["event"]));
  }
  CHECK(events == std::vector<std::string>{"Employee.created", "Employee.notified", "Employee.claimed",
                                           "Employee.verified", "Payrun.created", "Payout.created", "Payout.created",
                                           "Payout.notified", "Payout.accepted", "Payrun.paid"});
  auto got = rx.wait_for(11);
  REQUIRE(got.size() == 11);
  for (std::size_t i = 0; i < got.size(); ++i) {
    const auto& r = got[i];
    bool for_ib = r.body.find("\"other\"") != std::string::npos;
    CHECK(signature_valid(r, for_ib ? "other-secret" : "s3cret-key"));
    CHECK_FALSE(signature_valid(r, for_ib ? "s3cret-key" : "other-secret"));
    CHECK(r.content_type == "application/json");
    CHECK(r.path == "/hook/");
    Signature s = parse_signature(r.signature);
    CHECK(std::llabs(std::stoll(s.t) - gigasync::now_micros() / 1'000'000) < 60);
  }
  // The body is the object as the API showed it at the event.
  auto verified_body = parse(got[3].body);
  CHECK(str(verified_body["id"]) == "e1");
  CHECK(str(verified_body["latest_status"]) == "verified");
  CHECK(str(verified_body["name"]) == "Albin Lindskog");  // before the rename
  CHECK(got.back().body == sb.get("/v2/employees/other/", "ib").body);
  for (const auto& d : log.GetArray()) {
    CHECK(d["sent"].GetBool());
    CHECK(d["status"].GetInt() == 200);
    CHECK(d["fault"].IsNull());
    CHECK(d["attempt"].GetInt() == 1);
  }
  CHECK(str(log[0]["webhook"]) == hook);
  CHECK(str(log[0]["object_id"]) == "e1");
  CHECK(sb.admin("GET", "webhook-deliveries").json.Size() == log.Size());
  CHECK(sb.admin("GET", "webhook-deliveries?pending=1").json["pending"].GetInt() == 0);
  CHECK(sb.admin("DELETE", "webhook-deliveries").status == 204);
  CHECK(sb.admin("GET", "webhook-deliveries").json.Size() == 0);
}

TEST_CASE("A webhook gets only the events it subscribed to", "[sandbox]") {
  Receiver rx;
  Sandbox sb;
  make_webhook(sb, rx, R"(["Employee.verified"])");
  make_employee(sb, "e1");
  REQUIRE(sb.admin("POST", "integrations/ia/employees/e1/verify").status == 200);
  auto log = deliveries(sb);
  REQUIRE(log.Size() == 1);
  CHECK(str(log[0]["event"]) == "Employee.verified");
  CHECK(rx.wait_for(1).size() == 1);
}

TEST_CASE("A delivery never holds up the API request that caused it", "[sandbox]") {
  Receiver rx;
  rx.status_for = [](std::size_t) {
    std::this_thread::sleep_for(1500ms);
    return 200;
  };
  Sandbox sb;
  make_webhook(sb, rx, R"(["Employee.created"])");
  auto t0 = std::chrono::steady_clock::now();
  make_employee(sb, "e1");
  make_employee(sb, "e2");
  CHECK(std::chrono::steady_clock::now() - t0 < 1000ms);
  CHECK(rx.wait_for(2).size() == 2);
}

TEST_CASE("A failed delivery is retried with backoff until a 2XX, up to ten retries", "[sandbox]") {
  Receiver rx;
  rx.status_for = [](std::size_t n) { return n <= 2 ? 500 : 200; };
  Options o = options();
  o.webhook_retry_ms = 40;
  Sandbox sb(o);
  make_webhook(sb, rx, R"(["Employee.created"])");
  make_employee(sb, "e1");
  auto got = rx.wait_for(3);
  REQUIRE(got.size() == 3);
  CHECK(got[0].body == got[2].body);
  CHECK(got[1].at - got[0].at >= 35ms);  // 40 ms, then 80 ms
  CHECK(got[2].at - got[1].at >= 75ms);
  for (const auto& r : got) CHECK(signature_valid(r, "s3cret-key"));
  auto log = deliveries(sb);
  REQUIRE(log.Size() == 3);
  std::vector<int> statuses, attempts;
  for (const auto& d : log.GetArray()) {
    statuses.push_back(d["status"].GetInt());
    attempts.push_back(d["attempt"].GetInt());
  }
  CHECK(statuses == std::vector<int>{500, 500, 200});
  CHECK(attempts == std::vector<int>{1, 2, 3});

  // A receiver that never says yes gets the first attempt and ten retries.
  Receiver never;
  never.status_for = [](std::size_t) { return 503; };
  Options quick = options();
  quick.webhook_retry_ms = 1;
  Sandbox sb2(quick);
  make_webhook(sb2, never, R"(["Employee.created"])");
  make_employee(sb2, "e1");
  auto all = deliveries(sb2);
  CHECK(all.Size() == 11);
  CHECK(never.got().size() == 11);
}

TEST_CASE("A delivery to a closed port is an error retried like a non-2XX", "[sandbox]") {
  int dead_port = 0;  // a port nothing listens on: bound, read, closed
  {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    socklen_t len = sizeof addr;
    REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
    dead_port = ntohs(addr.sin_port);
    ::close(fd);
  }
  Options o = options();
  o.webhook_retry_ms = 1;
  Sandbox sb(o);
  REQUIRE(sb.post("/v2/webhooks/", R"({"url":"http://127.0.0.1:)" + std::to_string(dead_port) +
                                       R"(/h","events":["Employee.created"]})")
              .status == 201);
  make_employee(sb, "e1");
  auto log = deliveries(sb);
  REQUIRE(log.Size() == 11);
  CHECK(log[0]["status"].IsNull());
  CHECK(log[0]["error"].IsString());
}

TEST_CASE("Delivery fault: drop never sends the delivery", "[sandbox]") {
  Receiver rx;
  Options o = options();
  o.faults.webhook_drop_rate = 1;
  Sandbox sb(o);
  make_webhook(sb, rx, R"(["Employee.created"])");
  make_employee(sb, "e1");
  auto log = deliveries(sb);
  REQUIRE(log.Size() == 1);
  CHECK_FALSE(log[0]["sent"].GetBool());
  CHECK(str(log[0]["fault"]) == "drop");
  CHECK(log[0]["signature"].IsNull());
  std::this_thread::sleep_for(100ms);
  CHECK(rx.got().empty());
}

TEST_CASE("Delivery fault: repeat sends the same body twice, each validly signed", "[sandbox]") {
  Receiver rx;
  Options o = options();
  o.faults.webhook_repeat_rate = 1;
  Sandbox sb(o);
  make_webhook(sb, rx, R"(["Employee.created"])");
  make_employee(sb, "e1");
  auto got = rx.wait_for(2);
  REQUIRE(got.size() == 2);
  CHECK(got[0].body == got[1].body);
  CHECK(signature_valid(got[0], "s3cret-key"));
  CHECK(signature_valid(got[1], "s3cret-key"));
  auto log = deliveries(sb);
  REQUIRE(log.Size() == 2);
  CHECK(log[0]["fault"].IsNull());
  CHECK(str(log[1]["fault"]) == "repeat");
}

TEST_CASE("Delivery fault: reorder holds a delivery back until the next one is sent", "[sandbox]") {
  Receiver rx;
  Sandbox sb;
  make_webhook(sb, rx, R"(["Employee.created"])");
  REQUIRE(sb.admin("POST", "faults", R"({"webhook_reorder_rate": 1})").status == 200);
  for (const char* id : {"e1", "e2", "e3", "e4"}) make_employee(sb, id);
  auto got = rx.wait_for(4);
  REQUIRE(got.size() == 4);
  std::vector<std::string> order;
  for (const auto& r : got) order.push_back(str(parse(r.body)["id"]));
  CHECK(order == std::vector<std::string>{"e2", "e1", "e4", "e3"});
  auto log = deliveries(sb);
  CHECK(str(log[1]["fault"]) == "reorder");
  CHECK(log[0]["fault"].IsNull());

  // With no delivery after it, a held one goes out after the hold timeout.
  Receiver alone;
  Sandbox sb2;
  make_webhook(sb2, alone, R"(["Employee.created"])");
  REQUIRE(sb2.admin("POST", "faults", R"({"webhook_reorder_rate": 1})").status == 200);
  make_employee(sb2, "e1");
  CHECK(alone.wait_for(1, 5s).size() == 1);
}

TEST_CASE("Delivery fault: delay holds every delivery back for the given time", "[sandbox]") {
  Receiver rx;
  Options o = options();
  o.faults.webhook_delay_ms = 300;
  Sandbox sb(o);
  make_webhook(sb, rx, R"(["Employee.created"])");
  auto t0 = std::chrono::steady_clock::now();
  make_employee(sb, "e1");
  auto got = rx.wait_for(1);
  REQUIRE(got.size() == 1);
  CHECK(got[0].at - t0 >= 290ms);
  CHECK(str(deliveries(sb)[0]["fault"]) == "delay");
}

TEST_CASE("Delivery fault: a bad signature on the first attempt; a receiver's 401 gets a valid retry", "[sandbox]") {
  Receiver rx;
  rx.status_for = [](std::size_t n) { return n == 1 ? 401 : 200; };  // a receiver that checks
  Options o = options();
  o.faults.webhook_bad_signature_rate = 1;
  Sandbox sb(o);
  make_webhook(sb, rx, R"(["Employee.created"])");
  make_employee(sb, "e1");
  auto got = rx.wait_for(2);
  REQUIRE(got.size() == 2);
  CHECK_FALSE(signature_valid(got[0], "s3cret-key"));
  CHECK(parse_signature(got[0].signature).v1.size() == 64);  // well-formed, just wrong
  CHECK(signature_valid(got[1], "s3cret-key"));
  auto log = deliveries(sb);
  REQUIRE(log.Size() == 2);
  CHECK(str(log[0]["fault"]) == "bad_signature");
  CHECK(log[0]["status"].GetInt() == 401);
  CHECK(log[1]["fault"].IsNull());
}

TEST_CASE("Delivery faults follow the fault seed", "[sandbox]") {
  auto dropped = [](unsigned seed) {
    Receiver rx;
    Options o = options();
    o.faults.webhook_drop_rate = 0.5;
    o.faults.fault_seed = seed;
    Sandbox sb(o);
    make_webhook(sb, rx, R"(["Employee.created"])");
    for (int i = 0; i < 16; ++i) make_employee(sb, "e" + std::to_string(i));
    std::vector<std::string> out;
    auto log = deliveries(sb);
    for (const auto& d : log.GetArray()) {
      if (!d["sent"].GetBool()) out.push_back(str(d["object_id"]));
    }
    return out;
  };
  auto a = dropped(7), b = dropped(7), c = dropped(8);
  CHECK(a == b);
  CHECK(a != c);
  CHECK(!a.empty());
  CHECK(a.size() < 16);
}

TEST_CASE("A stepped clock signs with its own time", "[sandbox]") {
  Receiver rx;
  Sandbox sb;
  make_webhook(sb, rx, R"(["Employee.created"])");
  REQUIRE(sb.admin("POST", "clock", R"({"offset_s": -3600})").status == 200);
  make_employee(sb, "e1");
  auto got = rx.wait_for(1);
  REQUIRE(got.size() == 1);
  long long t = std::stoll(parse_signature(got[0].signature).t);
  CHECK(std::llabs(t - (gigasync::now_micros() / 1'000'000 - 3600)) < 60);
  CHECK(signature_valid(got[0], "s3cret-key"));
}

// ---------------------------------------------------------------------------------------------
// Seeding, --extra-field, flags, and the storage underneath

TEST_CASE("Seeded accounts: proportionate objects, mostly settled, consistent references", "[sandbox]") {
  Options o = options(10);
  o.seed_payouts = 2000;
  Server server(o);
  auto n = server.counts();
  CHECK(n.integrations == 10);
  CHECK(n.payouts == 2000);
  CHECK(n.employees == 250);
  CHECK(n.payruns >= 2000 / 30);
  CHECK(n.payruns <= 2000 / 10 + 10);
  CHECK(n.invoices == n.payruns);
  auto integrations = parse(server.objects_json());
  std::size_t open_runs = 0, paid_runs = 0, accepted = 0, unsettled = 0;
  for (const auto& integration : integrations.GetArray()) {
    std::string iid = str(integration["id"]);
    auto employees = parse(objects(server, iid, "employees"));
    auto payouts = parse(objects(server, iid, "payouts"));
    auto payruns = parse(objects(server, iid, "payruns"));
    auto invoices = parse(objects(server, iid, "invoices"));
    CHECK(payouts.Size() == 200);
    std::set<std::string> employee_ids, payrun_ids, invoice_ids;
    for (const auto& e : employees.GetArray()) employee_ids.insert(str(e["id"]));
    for (const auto& i : invoices.GetArray()) invoice_ids.insert(str(i["id"]));
    std::map<std::string, long long> price;  // cents per payrun
    UnixMicros previous = 0;
    for (const auto& p : payouts.GetArray()) {
      CHECK(employee_ids.count(str(p["employee"])) == 1);
      std::string cost = str(p["cost"]);
      price[str(p["payrun"])] += std::stoll(cost.substr(0, cost.size() - 3)) * 100 + std::stoll(cost.substr(cost.size() - 2));
      UnixMicros created = time_of(p["created_at"]);
      CHECK(created > previous);  // creation order is time order
      previous = created;
      accepted += p["accepted_at"].IsNull() ? 0 : 1;
      unsettled += p["accepted_at"].IsNull() && p["canceled_at"].IsNull() ? 1 : 0;
    }
    std::size_t open_here = 0;
    for (const auto& r : payruns.GetArray()) {
      payrun_ids.insert(str(r["id"]));
      CHECK(invoice_ids.count(str(r["invoice"])) == 1);
      std::string p = str(r["price"]);
      CHECK(std::stoll(p.substr(0, p.size() - 3)) * 100 + std::stoll(p.substr(p.size() - 2)) == price[str(r["id"])]);
      open_here += r["open"].GetBool() ? 1 : 0;
      paid_runs += r["paid_at"].IsNull() ? 0 : 1;
    }
    CHECK(open_here == 1);
    CHECK(payruns[payruns.Size() - 1]["open"].GetBool());  // the latest is the open one
    open_runs += open_here;
  }
  CHECK(open_runs == 10);
  CHECK(paid_runs * 10 > n.payruns * 7);   // most payruns paid
  CHECK(accepted * 10 > 2000 * 7);         // most payouts accepted
  CHECK(unsettled > 0);                    // some still open
  std::size_t claimed = 0;
  for (const auto& integration : integrations.GetArray()) {
    auto employees = parse(objects(server, str(integration["id"]), "employees"));
    for (const auto& e : employees.GetArray()) {
      claimed += e["claimed_at"].IsNull() ? 0 : 1;
      CHECK(e["claimed_at"].IsNull() != e["invitation_code"].IsNull());
    }
  }
  CHECK(claimed * 10 > 250 * 8);
}

TEST_CASE("Seeding is deterministic for the data seed and the clock start", "[sandbox]") {
  auto dump = [](unsigned data_seed) {
    Options o = options(4);
    o.seed_payouts = 300;
    o.data_seed = data_seed;
    o.clock_start = "2026-06-01T00:00:00Z";
    Server server(o);
    std::string out;
    auto integrations = parse(server.objects_json());
    for (const auto& integration : integrations.GetArray()) {
      for (const char* r : {"employees", "payouts", "payruns", "invoices"}) {
        out += objects(server, str(integration["id"]), r);
      }
    }
    return out;
  };
  std::string a = dump(42);
  CHECK(a == dump(42));
  CHECK(a != dump(43));
  CHECK(a.find("\"2026-06-01T") == std::string::npos);  // history ends before the clock start
  CHECK(a.find("\"2026-05-") != std::string::npos);
}

TEST_CASE("Seeding 100,000 payouts is quick, and a page of them is served without copying the list",
          "[sandbox]") {
  Options o = options(10);
  o.seed_payouts = 100000;
  auto t0 = std::chrono::steady_clock::now();
  Sandbox sb(o);
  CHECK(std::chrono::steady_clock::now() - t0 < 20s);  // a Debug build; Release: well under a second
  CHECK(sb.server.counts().payouts == 100000);
  std::string iid = str(parse(sb.server.objects_json())[3]["id"]);
  t0 = std::chrono::steady_clock::now();
  auto page = sb.get("/v2/payouts/?page=50&page_size=100&accepted_at_null=false", iid);
  CHECK(page.status == 200);
  CHECK(page.json["results"].Size() == 100);
  CHECK(std::chrono::steady_clock::now() - t0 < 2s);
}

TEST_CASE("the sandbox's --extra-field adds a writable field to the account's objects too", "[sandbox]") {
  Options o = options();
  o.extra_fields = {"cost_center"};
  Sandbox sb(o);
  auto e = sb.post("/v2/employees/", employee_body("e1", "A", R"(,"cost_center":"4100")"));
  REQUIRE(e.status == 201);
  CHECK(str(e.json["cost_center"]) == "4100");
  CHECK(names_of(e.json).back() == "cost_center");
  auto p = make_payout(sb, "p1", "e1");
  CHECK(str(p.json["cost_center"]).empty());
  auto run = sb.get("/v2/payruns/" + str(p.json["payrun"]) + "/");
  CHECK(run.json.HasMember("cost_center"));
  CHECK(sb.get("/v2/invoices/" + str(run.json["invoice"]) + "/").json.HasMember("cost_center"));
  CHECK(str(sb.patch("/v2/payruns/" + str(run.json["id"]) + "/", R"({"cost_center":"7"})").json["cost_center"]) == "7");
  auto put = sb.put("/v2/employees/e1/", R"({"name":"A","email":"a@b.se","country":"SWE"})");
  CHECK(str(put.json["cost_center"]).empty());  // a PUT without it resets it
}

TEST_CASE("The sandbox's account and webhook flags fill the options", "[sandbox]") {
  CLI::App app;
  Options o;
  std::string token_file;
  gigasync::sandbox::add_cli_options(app, o, token_file);
  app.parse("--seed 100 --seed-payouts 1000000 --clock-start 2026-01-01T00:00:00Z --webhook-retry-ms 5 "
            "--refuse-integration a --refuse-integration b --webhook-drop-rate 0.1 --webhook-repeat-rate 0.2 "
            "--webhook-reorder-rate 0.3 --webhook-delay-ms 40 --webhook-bad-signature-rate 0.4",
            false);
  CHECK(o.seed_payouts == 1000000);
  CHECK(o.clock_start == "2026-01-01T00:00:00Z");
  CHECK(o.webhook_retry_ms == 5);
  CHECK(o.faults.refused_integrations == std::vector<std::string>{"a", "b"});
  CHECK(o.faults.webhook_drop_rate == Approx(0.1));
  CHECK(o.faults.webhook_repeat_rate == Approx(0.2));
  CHECK(o.faults.webhook_reorder_rate == Approx(0.3));
  CHECK(o.faults.webhook_delay_ms == 40);
  CHECK(o.faults.webhook_bad_signature_rate == Approx(0.4));
  CLI::App bad;
  gigasync::sandbox::add_cli_options(bad, o, token_file);
  CHECK_THROWS(bad.parse("--clock-start yesterday", false));
  CHECK(app.help().find("/_sandbox/integrations/IID/payouts/ID/notify") != std::string::npos);
}

TEST_CASE("Money is read and written in whole cents, the DRF way", "[sandbox]") {
  using gigasync::sandbox::format_money;
  using gigasync::sandbox::read_money_text;
  CHECK(format_money(131420) == "1314.20");
  CHECK(format_money(5) == "0.05");
  CHECK(format_money(-150) == "-1.50");
  CHECK(*read_money_text("1314.2").value == 131420);
  CHECK(*read_money_text("1314").value == 131400);
  CHECK(*read_money_text(" 0.05 ").value == 5);
  CHECK(*read_money_text("9999999999.99").value == 999999999999);
  CHECK(read_money_text("1.005").error == "Ensure that there are no more than 2 decimal places.");
  CHECK(read_money_text("1.000").error == "Ensure that there are no more than 2 decimal places.");
  CHECK(read_money_text("12345678901").error == "Ensure that there are no more than 10 digits before the decimal point.");
  CHECK(read_money_text("12345678901.00").error == "Ensure that there are no more than 12 digits in total.");
  CHECK(read_money_text("1e3").error == "A valid number is required.");
  CHECK(read_money_text("").error == "A valid number is required.");
  CHECK(read_money_text(".").error == "A valid number is required.");
}

TEST_CASE("The id table finds, renames and erases among many objects", "[sandbox]") {
  struct Row {
    std::string id;
    int value = 0;
  };
  gigasync::sandbox::Table<Row> t;
  for (int i = 0; i < 5000; ++i) t.insert(Row{"id-" + std::to_string(i), i});
  CHECK(t.size() == 5000);
  for (int i = 0; i < 5000; i += 3) t.erase(t.serial_of("id-" + std::to_string(i)));
  for (int i = 1; i < 5000; i += 3) t.rename(t.serial_of("id-" + std::to_string(i)), "new-" + std::to_string(i));
  std::size_t live = 0;
  for (int i = 0; i < 5000; ++i) {
    const Row* old_row = t.find("id-" + std::to_string(i));
    const Row* new_row = t.find("new-" + std::to_string(i));
    if (i % 3 == 0) {
      CHECK(old_row == nullptr);
      CHECK(new_row == nullptr);
    } else if (i % 3 == 1) {
      REQUIRE(new_row);
      CHECK(new_row->value == i);
      CHECK(old_row == nullptr);
    } else {
      REQUIRE(old_row);
      CHECK(old_row->value == i);
    }
    live += (old_row || new_row) ? 1 : 0;
  }
  CHECK(live == t.size());
  std::vector<int> order;
  t.for_each([&](gigasync::sandbox::Serial, const Row& r) { order.push_back(r.value); });
  CHECK(std::is_sorted(order.begin(), order.end()));
  CHECK(t.insert(Row{"id-0", -1}) == 5000);  // a freed id can be used again, at the end
  CHECK(t.find("id-0")->value == -1);
}
