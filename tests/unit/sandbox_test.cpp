// The sandbox server, exercised over loopback with a real HTTP client.
#include <CLI/CLI.hpp>
#include <catch2/catch.hpp>
#include <httplib.h>
#include <rapidjson/document.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <unistd.h>

#include "gigasync/sandbox.h"
#include "sandbox/idempotency.h"

namespace {

using gigasync::sandbox::Faults;
using gigasync::sandbox::Options;
using gigasync::sandbox::Server;

const char* const kToken = "t0ken-under-test-7f3a";

const std::string kPinestreet =
    R"({"address_line_1": "Malmvägen 8", "city": "Segeltorp", "email": "albin@pinestreet.tech",)"
    R"( "id": "846291712", "name": "Pinestreet Tech", "recipient": "Pinestreet Technology AB", "zip_code": "14171"})";

Options options(int seed = 0) {
  Options o;
  o.port = 0;
  o.seed = seed;
  o.token = kToken;
  return o;
}

// A started server on an ephemeral loopback port.
struct Sandbox {
  explicit Sandbox(Options o) : server(std::move(o)) {
    auto started = server.start();
    REQUIRE(started.ok());
    port = *started;
  }
  httplib::Client anonymous() const {
    httplib::Client c("127.0.0.1", port);
    c.set_read_timeout(10, 0);
    return c;
  }
  httplib::Client client() const {
    httplib::Client c = anonymous();
    c.set_default_headers({{"Authorization", std::string("Token ") + kToken}});
    return c;
  }
  std::string url(const std::string& path_and_query) const { return server.origin() + path_and_query; }
  Server server;
  int port = 0;
};

rapidjson::Document parse(const std::string& text) {
  rapidjson::Document d;
  d.Parse(text.c_str(), text.size());
  return d;
}

std::string str(const rapidjson::Value& v) { return v.IsString() ? v.GetString() : std::string("<not a string>"); }

std::string first_error(const rapidjson::Document& d, const char* field) {
  if (!d.IsObject() || !d.HasMember(field) || !d[field].IsArray() || d[field].Empty()) return "<none>";
  return str(d[field][0]);
}

// Follows `next` from `first` and returns every id seen, in order.
std::vector<std::string> page_through(httplib::Client& c, const std::string& origin, std::string path) {
  std::vector<std::string> ids;
  for (int guard = 0; guard < 1000 && !path.empty(); ++guard) {
    auto r = c.Get(path.c_str());
    REQUIRE(r);
    REQUIRE(r->status == 200);
    auto d = parse(r->body);
    for (const auto& o : d["results"].GetArray()) ids.push_back(str(o["id"]));
    path = d["next"].IsNull() ? "" : str(d["next"]).substr(origin.size());
  }
  return ids;
}

std::vector<std::string> all_ids(const Server& s) {
  auto d = parse(s.objects_json());
  std::vector<std::string> ids;
  for (const auto& o : d.GetArray()) ids.push_back(str(o["id"]));
  return ids;
}

// A valid create body; no "id" member when `id` is empty.
std::string body_for(const std::string& id, const std::string& extra = "") {
  std::string body = R"({"name":"Nordin Bygg AB","email":"faktura@nordin.se","recipient":"Nordin Bygg AB",)"
                     R"("address_line_1":"Storgatan 1","zip_code":"111 29","city":"Umeå")";
  if (!id.empty()) body += R"(,"id":")" + id + "\"";
  return body + extra + "}";
}

void create(httplib::Client& c, const std::string& id, const std::string& extra = "") {
  auto r = c.Post("/v2/integrations/", body_for(id, extra), "application/json");
  REQUIRE(r);
  REQUIRE(r->status == 201);
}

using Ids = std::vector<std::string>;

}  // namespace

TEST_CASE("A request without a token or with a wrong one is answered 401 with a JSON detail", "[sandbox]") {
  Sandbox sb(options(3));
  auto c = sb.anonymous();
  auto missing = c.Get("/v2/integrations/");
  REQUIRE(missing);
  CHECK(missing->status == 401);
  CHECK(missing->get_header_value("Content-Type") == "application/json");
  CHECK(str(parse(missing->body)["detail"]) == "Authentication credentials were not provided.");
  auto wrong = c.Get("/v2/integrations/", {{"Authorization", "Token nope"}});
  REQUIRE(wrong);
  CHECK(wrong->status == 401);
  CHECK(str(parse(wrong->body)["detail"]) == "Invalid token.");
  auto right = sb.client().Get("/v2/integrations/");
  REQUIRE(right);
  CHECK(right->status == 200);
}

TEST_CASE("A /v2/ path without its trailing slash is redirected with 307, keeping the query", "[sandbox]") {
  Sandbox sb(options(3));
  auto r = sb.client().Get("/v2/integrations?page_size=2&type=3");
  REQUIRE(r);
  CHECK(r->status == 307);
  CHECK(r->get_header_value("Location") == sb.url("/v2/integrations/?page_size=2&type=3"));
  auto detail = sb.client().Delete("/v2/integrations/abc");
  REQUIRE(detail);
  CHECK(detail->status == 307);
  CHECK(detail->get_header_value("Location") == sb.url("/v2/integrations/abc/"));
}

TEST_CASE("Listing caps page_size silently and links the pages with absolute URLs", "[sandbox]") {
  Options o = options(30);
  o.max_page_size = 10;
  Sandbox sb(o);
  auto c = sb.client();
  auto r = c.Get("/v2/integrations/?page_size=50");
  REQUIRE(r);
  REQUIRE(r->status == 200);
  CHECK(r->get_header_value("Content-Type") == "application/json");
  auto d = parse(r->body);
  CHECK(d["count"].GetInt() == 30);
  CHECK(d["results"].Size() == 10);
  CHECK(str(d["next"]) == sb.url("/v2/integrations/?page=2&page_size=50"));
  CHECK(d["previous"].IsNull());
  auto page2 = parse(c.Get("/v2/integrations/?page=2&page_size=50")->body);
  CHECK(str(page2["previous"]) == sb.url("/v2/integrations/?page_size=50"));
  CHECK(page_through(c, sb.server.origin(), "/v2/integrations/?page_size=50") == all_ids(sb.server));
}

TEST_CASE("The default page size is 25", "[sandbox]") {
  Sandbox sb(options(30));
  auto d = parse(sb.client().Get("/v2/integrations/?page_size=0")->body);
  CHECK(d["results"].Size() == 25);
  CHECK(str(d["next"]) == sb.url("/v2/integrations/?page=2&page_size=0"));
}

TEST_CASE("The type filter returns only that type and is kept in the links", "[sandbox]") {
  Sandbox sb(options(40));
  auto c = sb.client();
  auto d = parse(c.Get("/v2/integrations/?type=2&page_size=3")->body);
  CHECK(d["count"].GetInt() == 8);
  for (const auto& o : d["results"].GetArray()) CHECK(o["type"].GetInt() == 2);
  CHECK(str(d["next"]) == sb.url("/v2/integrations/?page=2&page_size=3&type=2"));
  auto bad = c.Get("/v2/integrations/?type=abc");
  REQUIRE(bad);
  CHECK(bad->status == 400);
  CHECK(first_error(parse(bad->body), "type") == "Enter a number.");
}

TEST_CASE("A page past the end is 404 Invalid page, but page 1 of an empty list is fine", "[sandbox]") {
  Sandbox sb(options(0));
  auto c = sb.client();
  auto empty = c.Get("/v2/integrations/");
  REQUIRE(empty);
  CHECK(empty->status == 200);
  CHECK(parse(empty->body)["count"].GetInt() == 0);
  auto past = c.Get("/v2/integrations/?page=2");
  REQUIRE(past);
  CHECK(past->status == 404);
  CHECK(str(parse(past->body)["detail"]) == "Invalid page.");
}

TEST_CASE("Creating answers 201 with all eleven fields in order, always as type 3", "[sandbox]") {
  Sandbox sb(options(0));
  std::string body = kPinestreet;
  body.insert(body.size() - 1, R"(, "type": 1, "metadata": {"erp": {"vendor_no": 7}})");
  auto r = sb.client().Post("/v2/integrations/", body, "application/json");
  REQUIRE(r);
  REQUIRE(r->status == 201);
  auto d = parse(r->body);
  std::vector<std::string> names;
  for (const auto& m : d.GetObject()) names.emplace_back(m.name.GetString());
  CHECK(names == std::vector<std::string>{"id", "name", "type", "logo", "metadata", "email", "recipient",
                                          "address_line_1", "address_line_2", "zip_code", "city"});
  CHECK(str(d["id"]) == "846291712");
  CHECK(d["type"].GetInt() == 3);
  CHECK(d["logo"].IsNull());
  CHECK(d["address_line_2"].IsNull());
  CHECK(str(d["address_line_1"]) == "Malmvägen 8");
  CHECK(d["metadata"]["erp"]["vendor_no"].GetInt() == 7);
  CHECK(sb.server.object_count() == 1);
}

TEST_CASE("Creating without an id makes a uuid4 id", "[sandbox]") {
  Sandbox sb(options(0));
  auto r = sb.client().Post("/v2/integrations/", R"({"name":"A","email":"a@b.se","recipient":"A",)"
                                                 R"("address_line_1":"Storgatan 1","zip_code":"111 29","city":"Umeå"})",
                            "application/json");
  REQUIRE(r);
  REQUIRE(r->status == 201);
  std::string id = str(parse(r->body)["id"]);
  REQUIRE(id.size() == 36);
  CHECK(id[14] == '4');
  CHECK(id[8] == '-');
}

TEST_CASE("Create refuses bad fields with one 400 keyed by every bad field", "[sandbox]") {
  Sandbox sb(options(0));
  auto r = sb.client().Post("/v2/integrations/",
                            R"({"email":"not-an-email","recipient":"R","address_line_1":"Storgatan 1",)"
                            R"("zip_code":"111 29","city":["Umeå"],"metadata":[1],"logo":"not base64!"})",
                            "application/json");
  REQUIRE(r);
  CHECK(r->status == 400);
  auto d = parse(r->body);
  CHECK(first_error(d, "name") == "This field is required.");
  CHECK(first_error(d, "email") == "Enter a valid email address.");
  CHECK(first_error(d, "city") == "Not a valid string.");
  CHECK(first_error(d, "metadata") == "Expected a JSON object.");
  CHECK(first_error(d, "logo") == "Upload a valid image.");
  CHECK_FALSE(d.HasMember("recipient"));
  CHECK(sb.server.object_count() == 0);
}

TEST_CASE("Creating with an id that exists is refused on the id field and makes nothing", "[sandbox]") {
  Sandbox sb(options(0));
  auto c = sb.client();
  REQUIRE(c.Post("/v2/integrations/", kPinestreet, "application/json")->status == 201);
  auto again = c.Post("/v2/integrations/", kPinestreet, "application/json");
  REQUIRE(again);
  CHECK(again->status == 400);
  CHECK(first_error(parse(again->body), "id") == "integration with this id already exists.");
  CHECK(sb.server.object_count() == 1);
}

TEST_CASE("A body that is not a JSON object is refused with non_field_errors", "[sandbox]") {
  Sandbox sb(options(0));
  auto c = sb.client();
  auto list = c.Post("/v2/integrations/", "[1,2]", "application/json");
  REQUIRE(list);
  CHECK(list->status == 400);
  CHECK(first_error(parse(list->body), "non_field_errors") == "Invalid data. Expected a dictionary, but got list.");
  auto form = c.Post("/v2/integrations/", "name=x", "application/x-www-form-urlencoded");
  REQUIRE(form);
  CHECK(form->status == 415);
}

TEST_CASE("A base64 logo is stored and read back as a URL under /media/logos/", "[sandbox]") {
  Sandbox sb(options(0));
  std::string body = kPinestreet;
  body.insert(body.size() - 1, R"(, "logo": "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJ")");
  auto r = sb.client().Post("/v2/integrations/", body, "application/json");
  REQUIRE(r);
  REQUIRE(r->status == 201);
  std::string logo = str(parse(r->body)["logo"]);
  std::string prefix = sb.url("/media/logos/846291712-");
  CHECK(logo.substr(0, prefix.size()) == prefix);
  CHECK(logo.size() == prefix.size() + 8 + 4);
  CHECK(logo.substr(logo.size() - 4) == ".png");
  auto same = sb.client().Patch("/v2/integrations/846291712/", "{\"logo\":\"" + logo + "\"}", "application/json");
  REQUIRE(same);
  CHECK(same->status == 200);
  CHECK(str(parse(same->body)["logo"]) == logo);
}

TEST_CASE("PATCH changes only the given fields; the same id and any type change nothing", "[sandbox]") {
  Sandbox sb(options(0));
  auto c = sb.client();
  REQUIRE(c.Post("/v2/integrations/", kPinestreet, "application/json")->status == 201);
  auto ok = c.Patch("/v2/integrations/846291712/", R"({"email":"invoice@pinestreet.tech","id":"846291712","type":3})",
                    "application/json");
  REQUIRE(ok);
  CHECK(ok->status == 200);
  auto d = parse(ok->body);
  CHECK(str(d["email"]) == "invoice@pinestreet.tech");
  CHECK(str(d["name"]) == "Pinestreet Tech");
  auto same = c.Patch("/v2/integrations/846291712/", R"({"id":" 846291712 ","type":1})", "application/json");
  REQUIRE(same);
  CHECK(same->status == 200);
  CHECK(same->body == ok->body);
  CHECK_FALSE(sb.server.requests().back().applied);
}

TEST_CASE("Invoice integrations are read-only and the web app integration can not be deleted", "[sandbox]") {
  Sandbox sb(options(0));
  REQUIRE(sb.server.put_object(R"({"id":"inv","type":2,"name":"Åsa Öberg"})").ok());
  REQUIRE(sb.server.put_object(R"({"id":"web","type":1,"name":"Zerebra AB"})").ok());
  auto c = sb.client();
  auto patch = c.Patch("/v2/integrations/inv/", R"({"name":"x"})", "application/json");
  REQUIRE(patch);
  CHECK(patch->status == 403);
  CHECK(str(parse(patch->body)["detail"]) == "Invoice integrations are read-only.");
  CHECK(c.Delete("/v2/integrations/inv/")->status == 403);
  auto del = c.Delete("/v2/integrations/web/");
  REQUIRE(del);
  CHECK(del->status == 403);
  CHECK(str(parse(del->body)["detail"]) == "The web app integration can not be deleted.");
  CHECK(sb.server.object_count() == 2);
}

TEST_CASE("PUT replaces the whole object and resets missing optional fields", "[sandbox]") {
  Sandbox sb(options(0));
  auto c = sb.client();
  std::string body = kPinestreet;
  body.insert(body.size() - 1, R"(, "address_line_2": "Box 12", "metadata": {"a": 1})");
  REQUIRE(c.Post("/v2/integrations/", body, "application/json")->status == 201);
  auto r = c.Put("/v2/integrations/846291712/", kPinestreet, "application/json");
  REQUIRE(r);
  CHECK(r->status == 200);
  auto d = parse(r->body);
  CHECK(d["address_line_2"].IsNull());
  CHECK(d["metadata"].ObjectEmpty());
  auto partial = c.Put("/v2/integrations/846291712/", R"({"name":"Only"})", "application/json");
  REQUIRE(partial);
  CHECK(partial->status == 400);
  CHECK(first_error(parse(partial->body), "city") == "This field is required.");
  CHECK(c.Put("/v2/integrations/nope/", kPinestreet, "application/json")->status == 404);
}

TEST_CASE("DELETE answers 204 with an empty body and the object is then 404", "[sandbox]") {
  Sandbox sb(options(0));
  auto c = sb.client();
  REQUIRE(c.Post("/v2/integrations/", kPinestreet, "application/json")->status == 201);
  auto del = c.Delete("/v2/integrations/846291712/");
  REQUIRE(del);
  CHECK(del->status == 204);
  CHECK(del->body.empty());
  auto gone = c.Get("/v2/integrations/846291712/");
  REQUIRE(gone);
  CHECK(gone->status == 404);
  CHECK(str(parse(gone->body)["detail"]) == "Not found.");
}

TEST_CASE("PATCH with another id renames: new URL, old URL 404, same place in the listing", "[sandbox]") {
  Sandbox sb(options(0));
  auto c = sb.client();
  for (const char* id : {"a-1", "846291712", "a-3"}) create(c, id);
  auto r = c.Patch("/v2/integrations/846291712/", R"({"id":"pinestreet","name":"Pinestreet Tech"})", "application/json");
  REQUIRE(r);
  REQUIRE(r->status == 200);
  auto d = parse(r->body);
  CHECK(str(d["id"]) == "pinestreet");
  CHECK(str(d["name"]) == "Pinestreet Tech");
  CHECK(str(d["city"]) == "Umeå");
  CHECK(sb.server.requests().back().applied);
  auto renamed = c.Get("/v2/integrations/pinestreet/");
  REQUIRE(renamed);
  CHECK(renamed->status == 200);
  CHECK(renamed->body == r->body);
  auto old = c.Get("/v2/integrations/846291712/");
  REQUIRE(old);
  CHECK(old->status == 404);
  CHECK(str(parse(old->body)["detail"]) == "Not found.");
  CHECK(c.Patch("/v2/integrations/846291712/", R"({"name":"x"})", "application/json")->status == 404);
  CHECK(page_through(c, sb.server.origin(), "/v2/integrations/?page_size=2") == Ids{"a-1", "pinestreet", "a-3"});
  create(c, "846291712");  // the old id is free again
  CHECK(all_ids(sb.server) == Ids{"a-1", "pinestreet", "a-3", "846291712"});
  CHECK(c.Delete("/v2/integrations/pinestreet/")->status == 204);
  CHECK(all_ids(sb.server) == Ids{"a-1", "a-3", "846291712"});
}

TEST_CASE("A rename to a taken, null, blank, non-string or too long id is refused on the id field", "[sandbox]") {
  Sandbox sb(options(0));
  auto c = sb.client();
  create(c, "a-1");
  create(c, "846291712");
  auto id_error = [&c](const std::string& body, bool put = false) {
    auto r = put ? c.Put("/v2/integrations/846291712/", body, "application/json")
                 : c.Patch("/v2/integrations/846291712/", body, "application/json");
    REQUIRE(r);
    CHECK(r->status == 400);
    return first_error(parse(r->body), "id");
  };
  CHECK(id_error(R"({"id":"a-1","name":"x"})") == "integration with this id already exists.");
  CHECK(id_error(body_for("a-1"), true) == "integration with this id already exists.");
  CHECK(id_error(R"({"id":null})") == "This field may not be null.");
  CHECK(id_error(R"({"id":" "})") == "This field may not be blank.");
  CHECK(id_error(R"({"id":["b"]})") == "Not a valid string.");
  CHECK(id_error(R"({"id":{"b":1}})") == "Not a valid string.");
  CHECK(id_error(R"({"id":false})") == "Not a valid string.");
  CHECK(id_error(R"({"id":")" + std::string(256, 'x') + "\"}") == "Ensure this field has no more than 255 characters.");
  CHECK(all_ids(sb.server) == Ids{"a-1", "846291712"});
  CHECK(str(parse(c.Get("/v2/integrations/846291712/")->body)["name"]) == "Nordin Bygg AB");
}

TEST_CASE("PUT with another id in its body renames; PUT without an id keeps it", "[sandbox]") {
  Sandbox sb(options(0));
  auto c = sb.client();
  create(c, "846291712", R"(,"address_line_2":"Box 12")");
  auto kept = c.Put("/v2/integrations/846291712/", body_for(""), "application/json");
  REQUIRE(kept);
  CHECK(kept->status == 200);
  CHECK(str(parse(kept->body)["id"]) == "846291712");
  CHECK(parse(kept->body)["address_line_2"].IsNull());
  auto moved = c.Put("/v2/integrations/846291712/", body_for("846291713"), "application/json");
  REQUIRE(moved);
  CHECK(moved->status == 200);
  CHECK(str(parse(moved->body)["id"]) == "846291713");
  CHECK(c.Get("/v2/integrations/846291712/")->status == 404);
  CHECK(c.Get("/v2/integrations/846291713/")->status == 200);
  CHECK(all_ids(sb.server) == Ids{"846291713"});
}

TEST_CASE("The web app integration can be renamed; invoice integrations stay read-only", "[sandbox]") {
  Sandbox sb(options(0));
  REQUIRE(sb.server.put_object(R"({"id":"web","type":1,"name":"Zerebra AB"})").ok());
  REQUIRE(sb.server.put_object(R"({"id":"inv","type":2,"name":"Åsa Öberg"})").ok());
  auto c = sb.client();
  auto web = c.Patch("/v2/integrations/web/", R"({"id":"zerebra"})", "application/json");
  REQUIRE(web);
  CHECK(web->status == 200);
  CHECK(parse(web->body)["type"].GetInt() == 1);
  CHECK(c.Get("/v2/integrations/web/")->status == 404);
  CHECK(c.Delete("/v2/integrations/zerebra/")->status == 403);
  auto inv = c.Patch("/v2/integrations/inv/", R"({"id":"inv-2"})", "application/json");
  REQUIRE(inv);
  CHECK(inv->status == 403);
  CHECK(c.Put("/v2/integrations/inv/", body_for("inv-2"), "application/json")->status == 403);
  CHECK(all_ids(sb.server) == Ids{"zerebra", "inv"});
}

TEST_CASE("A rename keeps the stored logo URL, which still reads back as the same logo", "[sandbox]") {
  Sandbox sb(options(0));
  auto c = sb.client();
  const std::string image = R"(,"logo":"iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJ")";
  create(c, "846291712", image);
  std::string logo = str(parse(c.Get("/v2/integrations/846291712/")->body)["logo"]);
  auto r = c.Patch("/v2/integrations/846291712/", R"({"id":"pinestreet"})", "application/json");
  REQUIRE(r);
  CHECK(str(parse(r->body)["logo"]) == logo);
  auto same = c.Patch("/v2/integrations/pinestreet/", "{\"logo\":\"" + logo + "\"}", "application/json");
  REQUIRE(same);
  CHECK(same->status == 200);
  CHECK(same->body == r->body);
  CHECK_FALSE(sb.server.requests().back().applied);
  auto put = c.Put("/v2/integrations/pinestreet/", body_for("p-3", ",\"logo\":\"" + logo + "\""), "application/json");
  REQUIRE(put);
  CHECK(put->status == 200);
  CHECK(str(parse(put->body)["logo"]) == logo);
  auto upload = c.Patch("/v2/integrations/p-3/", "{" + image.substr(1) + "}", "application/json");
  REQUIRE(upload);
  CHECK(str(parse(upload->body)["logo"]) == sb.url("/media/logos/p-3-") + logo.substr(logo.size() - 12));
}

TEST_CASE("A replayed or retried rename answers the stored response and renames once", "[sandbox]") {
  Sandbox sb(options(0));
  auto c = sb.client();
  create(c, "846291712");
  create(c, "a-2");
  httplib::Headers key{{"Idempotency-Key", "k-rename"}};
  auto first = c.Patch("/v2/integrations/846291712/", key, R"({"id":"renamed"})", "application/json");
  auto second = c.Patch("/v2/integrations/846291712/", key, R"({"id":"renamed"})", "application/json");
  REQUIRE(first);
  REQUIRE(second);
  CHECK(first->status == 200);
  CHECK(second->status == 200);
  CHECK(second->body == first->body);
  CHECK(second->get_header_value("Idempotent-Replayed") == "true");
  CHECK(all_ids(sb.server) == Ids{"renamed", "a-2"});
  Faults lose;
  lose.lose_response_rate = 1;
  sb.server.set_faults(lose);
  httplib::Headers lost_key{{"Idempotency-Key", "k-lost-rename"}};
  CHECK_FALSE(c.Patch("/v2/integrations/renamed/", lost_key, R"({"id":"again"})", "application/json"));
  sb.server.set_faults(Faults{});
  auto retry = c.Patch("/v2/integrations/renamed/", lost_key, R"({"id":"again"})", "application/json");
  REQUIRE(retry);
  CHECK(retry->status == 200);
  CHECK(str(parse(retry->body)["id"]) == "again");
  CHECK(all_ids(sb.server) == Ids{"again", "a-2"});
  auto log = sb.server.requests();
  REQUIRE(log.size() == 6);
  CHECK((log[2].applied && !log[3].applied && log[3].replayed && log[4].applied && log[5].replayed));
}

TEST_CASE("Numbers sent for text fields are stored as Python's str() of them; booleans are not strings", "[sandbox]") {
  Sandbox sb(options(0));
  auto c = sb.client();
  auto r = c.Post("/v2/integrations/",
                  R"({"id":846291712,"name":12345,"email":"a@b.se","recipient":1.5,"address_line_1":1e2,)"
                  R"("address_line_2":-7,"zip_code":11129,"city":0.00001})",
                  "application/json");
  REQUIRE(r);
  REQUIRE(r->status == 201);
  auto d = parse(c.Get("/v2/integrations/846291712/")->body);
  CHECK(str(d["name"]) == "12345");
  CHECK(str(d["recipient"]) == "1.5");
  CHECK(str(d["address_line_1"]) == "100.0");
  CHECK(str(d["address_line_2"]) == "-7");
  CHECK(str(d["zip_code"]) == "11129");
  CHECK(str(d["city"]) == "1e-05");
  const std::string numbers = R"({"name":1e16,"city":12345678901234567890,"recipient":0.1,"address_line_1":123.456,)"
                              R"("zip_code":1234567890123456.0,"address_line_2":11588669333006409.900931384e-24})";
  auto p = parse(c.Patch("/v2/integrations/846291712/", numbers, "application/json")->body);
  CHECK(str(p["name"]) == "1e+16");
  CHECK(str(p["city"]) == "12345678901234567890");
  CHECK(str(p["recipient"]) == "0.1");
  CHECK(str(p["address_line_1"]) == "123.456");
  CHECK(str(p["zip_code"]) == "1234567890123456.0");
  CHECK(str(p["address_line_2"]) == "1.158866933300641e-08");  // correctly rounded, as json.loads does
  auto renamed = c.Patch("/v2/integrations/846291712/", R"({"id":4711})", "application/json");
  CHECK(str(parse(renamed->body)["id"]) == "4711");
  auto refused = c.Patch("/v2/integrations/4711/", R"({"name":true,"city":false})", "application/json");
  REQUIRE(refused);
  CHECK(refused->status == 400);
  CHECK(first_error(parse(refused->body), "name") == "Not a valid string.");
  CHECK(first_error(parse(refused->body), "city") == "Not a valid string.");
}

TEST_CASE("Text longer than 255 characters is refused field by field; 255 characters fit", "[sandbox]") {
  Sandbox sb(options(0));
  auto c = sb.client();
  const std::string too_long(256, 'a');
  std::string o_umlauts;
  for (int i = 0; i < 255; ++i) o_umlauts += "ö";  // 510 bytes, 255 characters
  auto r = c.Post("/v2/integrations/", R"({"name":")" + too_long + R"(","email":"a@b.se","recipient":")" + o_umlauts +
                                           R"(","address_line_1":"Storgatan 1","zip_code":"111 29","city":")" +
                                           too_long + "\"}",
                  "application/json");
  REQUIRE(r);
  CHECK(r->status == 400);
  auto d = parse(r->body);
  CHECK(first_error(d, "name") == "Ensure this field has no more than 255 characters.");
  CHECK(first_error(d, "city") == "Ensure this field has no more than 255 characters.");
  CHECK_FALSE(d.HasMember("recipient"));
  CHECK(sb.server.object_count() == 0);
  create(c, "846291712", R"(,"address_line_2":"  )" + std::string(255, 'b') + "  \"");  // trimmed first
  for (const char* field : {"name", "email", "recipient", "address_line_1", "address_line_2", "zip_code", "city"}) {
    std::string value = std::string(field) == "email" ? std::string(251, 'a') + "@b.se" : too_long;
    std::string body = "{\"" + std::string(field) + "\":\"" + value + "\"}";
    auto p = c.Patch("/v2/integrations/846291712/", body, "application/json");
    REQUIRE(p);
    CHECK(p->status == 400);
    CHECK(first_error(parse(p->body), field) == "Ensure this field has no more than 255 characters.");
  }
  auto fits = c.Patch("/v2/integrations/846291712/", "{\"name\":\"" + o_umlauts + "\"}", "application/json");
  REQUIRE(fits);
  CHECK(fits->status == 200);
  CHECK(str(parse(fits->body)["name"]) == o_umlauts);
}

TEST_CASE("A type sent in a write is ignored, whatever its value", "[sandbox]") {
  Sandbox sb(options(0));
  auto c = sb.client();
  create(c, "846291712");
  for (const char* body : {R"({"type":1,"name":"New"})", R"({"type":"abc"})", R"({"type":null})"}) {
    auto r = c.Patch("/v2/integrations/846291712/", body, "application/json");
    REQUIRE(r);
    CHECK(r->status == 200);
    CHECK(parse(r->body)["type"].GetInt() == 3);
  }
  auto put = c.Put("/v2/integrations/846291712/", body_for("", R"(,"type":2)"), "application/json");
  REQUIRE(put);
  CHECK(put->status == 200);
  CHECK(parse(put->body)["type"].GetInt() == 3);
  REQUIRE(sb.server.put_object(R"({"id":"web","type":1,"name":"Zerebra AB"})").ok());
  auto web = c.Patch("/v2/integrations/web/", R"({"type":3})", "application/json");
  REQUIRE(web);
  CHECK(web->status == 200);
  CHECK(parse(web->body)["type"].GetInt() == 1);
}

TEST_CASE("A method a route does not allow is answered 405 with an Allow header", "[sandbox]") {
  Sandbox sb(options(0));
  auto r = sb.client().Patch("/v2/integrations/", "{}", "application/json");
  REQUIRE(r);
  CHECK(r->status == 405);
  CHECK(str(parse(r->body)["detail"]) == "Method \"PATCH\" not allowed.");
  CHECK(r->get_header_value("Allow") == "GET, POST, HEAD, OPTIONS");
  httplib::Request trace;
  trace.method = "TRACE";
  trace.path = "/v2/integrations/";
  auto c = sb.client();
  auto unknown = c.send(trace);
  REQUIRE(unknown);
  CHECK(unknown->status == 405);
  CHECK(str(parse(unknown->body)["detail"]) == "Method \"TRACE\" not allowed.");
}

TEST_CASE("A repeated Idempotency-Key gets the stored response without doing the work again", "[sandbox]") {
  Sandbox sb(options(0));
  auto c = sb.client();
  httplib::Headers key{{"Idempotency-Key", "k-1"}};
  std::string body = R"({"name":"A","email":"a@b.se","recipient":"A","address_line_1":"Storgatan 1",)"
                     R"("zip_code":"111 29","city":"Umeå"})";
  auto first = c.Post("/v2/integrations/", key, body, "application/json");
  auto second = c.Post("/v2/integrations/", key, body, "application/json");
  REQUIRE(first);
  REQUIRE(second);
  CHECK(first->status == 201);
  CHECK(second->status == 201);
  CHECK(second->body == first->body);
  CHECK(second->get_header_value("Idempotent-Replayed") == "true");
  CHECK_FALSE(first->has_header("Idempotent-Replayed"));
  CHECK(sb.server.object_count() == 1);
  auto log = sb.server.requests();
  REQUIRE(log.size() == 2);
  CHECK((log[0].applied && !log[0].replayed));
  CHECK((!log[1].applied && log[1].replayed));
}

TEST_CASE("Reusing an Idempotency-Key for a different request is refused", "[sandbox]") {
  Sandbox sb(options(0));
  auto c = sb.client();
  httplib::Headers key{{"Idempotency-Key", "k-2"}};
  REQUIRE(c.Post("/v2/integrations/", key, kPinestreet, "application/json")->status == 201);
  auto other = c.Patch("/v2/integrations/846291712/", key, R"({"name":"x"})", "application/json");
  REQUIRE(other);
  CHECK(other->status == 400);
  CHECK(first_error(parse(other->body), "non_field_errors") == "Idempotency-Key reused for a different request.");
  CHECK(str(parse(c.Get("/v2/integrations/846291712/")->body)["name"]) == "Pinestreet Tech");
}

TEST_CASE("A lost response leaves the client without an answer, is applied, and replays", "[sandbox]") {
  Options o = options(0);
  o.faults.lose_response_rate = 1;
  Sandbox sb(o);
  auto c = sb.client();
  httplib::Headers key{{"Idempotency-Key", "k-lost"}};
  auto lost = c.Post("/v2/integrations/", key, kPinestreet, "application/json");
  CHECK_FALSE(lost);
  CHECK(sb.server.object_count() == 1);
  sb.server.set_faults(Faults{});
  auto retry = c.Post("/v2/integrations/", key, kPinestreet, "application/json");
  REQUIRE(retry);
  CHECK(retry->status == 201);
  CHECK(retry->get_header_value("Idempotent-Replayed") == "true");
  CHECK(str(parse(retry->body)["id"]) == "846291712");
  CHECK(sb.server.object_count() == 1);
  auto log = sb.server.requests();
  REQUIRE(log.size() == 2);
  CHECK(log[0].fault == "lose_response");
  CHECK(log[0].applied);
}

TEST_CASE("Every Nth request is answered 429 with Retry-After", "[sandbox]") {
  Options o = options(2);
  o.faults.rate_limit_every = 3;
  o.faults.retry_after_s = 7;
  Sandbox sb(o);
  auto c = sb.client();
  std::vector<int> statuses;
  for (int i = 0; i < 6; ++i) statuses.push_back(c.Get("/v2/integrations/")->status);
  CHECK(statuses == std::vector<int>{200, 200, 429, 200, 200, 429});
  auto r = c.Get("/v2/integrations/");
  r = c.Get("/v2/integrations/");
  r = c.Get("/v2/integrations/");
  REQUIRE(r);
  CHECK(r->status == 429);
  CHECK(r->get_header_value("Retry-After") == "7");
  CHECK(parse(r->body)["detail"].IsString());
}

TEST_CASE("A gateway error is a 502 or 503 with an HTML body, before the token is checked", "[sandbox]") {
  Options o = options(2);
  o.faults.error_rate = 1;
  Sandbox sb(o);
  auto r = sb.anonymous().Get("/v2/integrations/");
  REQUIRE(r);
  CHECK((r->status == 502 || r->status == 503));
  CHECK(r->get_header_value("Content-Type") == "text/html");
  CHECK(r->body.find("<html><body><h1>50") == 0);
  CHECK(sb.server.requests().at(0).fault == "error");
}

TEST_CASE("A truncated body is half the JSON and its Content-Length matches", "[sandbox]") {
  Sandbox sb(options(5));
  auto c = sb.client();
  std::string full = c.Get("/v2/integrations/")->body;
  Faults truncate;
  truncate.truncate_rate = 1;
  sb.server.set_faults(truncate);
  auto cut = c.Get("/v2/integrations/");
  REQUIRE(cut);
  CHECK(cut->status == 200);
  CHECK(cut->body == full.substr(0, full.size() / 2));
  CHECK(cut->get_header_value("Content-Length") == std::to_string(cut->body.size()));
  CHECK(parse(cut->body).HasParseError());
}

TEST_CASE("Drift removes an object from an earlier page, so one pass skips an object", "[sandbox]") {
  Sandbox sb(options(60));
  auto before = all_ids(sb.server);
  Faults drift;
  drift.drift_every = 2;
  sb.server.set_faults(drift);
  auto c = sb.client();
  auto seen = page_through(c, sb.server.origin(), "/v2/integrations/?page_size=10");
  std::set<std::string> seen_set(seen.begin(), seen.end());
  auto after = all_ids(sb.server);
  std::set<std::string> after_set(after.begin(), after.end());
  CHECK(after.size() == 60);
  int skipped = 0;  // there before and after the pass, yet never seen by it
  for (const auto& id : before) skipped += after_set.count(id) && !seen_set.count(id) ? 1 : 0;
  CHECK(skipped > 0);
  int drifts = 0;
  for (const auto& r : sb.server.requests()) drifts += r.fault == "drift" ? 1 : 0;
  CHECK(drifts == 3);
}

TEST_CASE("Foreign next links point at the configured origin", "[sandbox]") {
  Options o = options(30);
  o.faults.foreign_next = "http://127.0.0.2:9/";
  Sandbox sb(o);
  auto d = parse(sb.client().Get("/v2/integrations/?page=2&page_size=10")->body);
  CHECK(str(d["next"]) == "http://127.0.0.2:9/v2/integrations/?page=3&page_size=10");
  CHECK(str(d["previous"]) == "http://127.0.0.2:9/v2/integrations/?page_size=10");
}

TEST_CASE("Forbid answers every API request 403 with a detail", "[sandbox]") {
  Options o = options(1);
  o.faults.forbid = true;
  Sandbox sb(o);
  auto r = sb.client().Get("/v2/integrations/");
  REQUIRE(r);
  CHECK(r->status == 403);
  CHECK(parse(r->body)["detail"].IsString());
}

TEST_CASE("Seeding makes one company, a fifth invoice integrations and Swedish data with nulls", "[sandbox]") {
  Server server(options(100));
  auto d = parse(server.objects_json());
  int types[4] = {0, 0, 0, 0};
  int null_logos = 0, url_logos = 0, null_line2 = 0, nested = 0, empty_meta = 0, non_ascii = 0;
  for (const auto& o : d.GetArray()) {
    ++types[o["type"].GetInt()];
    (o["logo"].IsNull() ? null_logos : url_logos) += 1;
    null_line2 += o["address_line_2"].IsNull() ? 1 : 0;
    (o["metadata"].ObjectEmpty() ? empty_meta : nested) += 1;
    std::string text = str(o["name"]) + str(o["city"]);
    for (char ch : text) non_ascii += static_cast<unsigned char>(ch) >= 0x80 ? 1 : 0;
  }
  CHECK(types[1] == 1);
  CHECK(types[2] == 20);
  CHECK(types[3] == 79);
  CHECK(std::string(str(d[0]["name"])) == "Zerebra AB");
  CHECK(null_logos > 0);
  CHECK(url_logos > 0);
  CHECK(null_line2 > 50);
  CHECK(null_line2 < 100);
  CHECK(nested > 0);
  CHECK(empty_meta > 0);
  CHECK(non_ascii > 0);
}

TEST_CASE("Seeding is deterministic for a data seed", "[sandbox]") {
  Options a = options(50), b = options(50), c = options(50);
  c.data_seed = 7;
  CHECK(Server(a).objects_json() == Server(b).objects_json());
  CHECK(Server(a).objects_json() != Server(c).objects_json());
}

TEST_CASE("Ten thousand objects seed in well under a second and page through quickly", "[sandbox]") {
  auto t0 = std::chrono::steady_clock::now();
  Sandbox sb(options(10000));
  auto seeded = std::chrono::steady_clock::now() - t0;
  CHECK(seeded < std::chrono::milliseconds(1000));
  auto c = sb.client();
  t0 = std::chrono::steady_clock::now();
  auto ids = page_through(c, sb.server.origin(), "/v2/integrations/?page_size=100");
  auto listed = std::chrono::steady_clock::now() - t0;
  CHECK(ids.size() == 10000);
  CHECK(listed < std::chrono::seconds(10));
}

TEST_CASE("Concurrent creates from several clients all land, each once", "[sandbox]") {
  Sandbox sb(options(0));
  std::vector<std::thread> threads;
  std::atomic<int> created{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&sb, &created, t] {
      auto c = sb.client();
      for (int i = 0; i < 25; ++i) {
        std::string body = R"({"name":"N","email":"a@b.se","recipient":"R","address_line_1":"Storgatan 1",)"
                           R"("zip_code":"111 29","city":"Malmö","id":"t)" +
                           std::to_string(t) + "-" + std::to_string(i) + "\"}";
        auto r = c.Post("/v2/integrations/", body, "application/json");
        if (r && r->status == 201) ++created;
      }
    });
  }
  for (auto& th : threads) th.join();
  CHECK(created == 100);
  CHECK(sb.server.object_count() == 100);
  CHECK(sb.server.requests().size() == 100);
}

TEST_CASE("Admin endpoints show objects, take outside changes and set faults at runtime", "[sandbox]") {
  Sandbox sb(options(0));
  auto c = sb.client();
  CHECK(sb.anonymous().Get("/_sandbox/integrations/")->status == 401);
  auto put = c.Put("/_sandbox/integrations/x1", R"({"type":2,"name":"Märta Sjöberg","metadata":{}})", "application/json");
  REQUIRE(put);
  CHECK(put->status == 201);
  auto got = parse(c.Get("/v2/integrations/x1/")->body);
  CHECK(got["type"].GetInt() == 2);
  CHECK(str(got["name"]) == "Märta Sjöberg");
  CHECK(parse(c.Get("/_sandbox/integrations/")->body).Size() == 1);
  CHECK(c.Delete("/_sandbox/integrations/x1")->status == 204);
  CHECK(sb.server.object_count() == 0);
  auto set = c.Post("/_sandbox/faults", R"({"forbid": true, "retry_after_s": 3})", "application/json");
  REQUIRE(set);
  CHECK(set->status == 200);
  CHECK(sb.server.faults().retry_after_s == 3);
  CHECK(c.Get("/v2/integrations/")->status == 403);
  CHECK(c.Post("/_sandbox/faults", R"({"nonsense": 1})", "application/json")->status == 400);
}

TEST_CASE("The request log records each API request without the token", "[sandbox]") {
  std::string path = "/tmp/gigasync-sandbox-test-" + std::to_string(::getpid()) + ".jsonl";
  std::remove(path.c_str());
  Options o = options(3);
  o.request_log = path;
  Sandbox sb(o);
  auto c = sb.client();
  c.Get("/v2/integrations/?page_size=2");
  c.Delete("/v2/integrations/nope/", {{"Idempotency-Key", "d-1"}});
  auto admin = parse(c.Get("/_sandbox/requests")->body);
  REQUIRE(admin.Size() == 2);
  CHECK(str(admin[0]["query"]) == "page_size=2");
  CHECK(admin[0]["idempotency_key"].IsNull());
  CHECK(admin[1]["status"].GetInt() == 404);
  CHECK(str(admin[1]["idempotency_key"]) == "d-1");
  CHECK(admin[1]["fault"].IsNull());
  std::ifstream in(path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  const std::string file = buffer.str();
  CHECK(std::count(file.begin(), file.end(), '\n') == 2);
  CHECK(file.find(kToken) == std::string::npos);
  CHECK(sb.server.requests_json().find(kToken) == std::string::npos);
  std::remove(path.c_str());
}

TEST_CASE("Idempotency keys are forgotten after 24 hours", "[sandbox]") {
  gigasync::sandbox::IdempotencyStore store;
  auto t0 = std::chrono::steady_clock::now();
  store.save("k", 1, {201, "application/json", "{}", {}}, t0);
  gigasync::sandbox::StoredResponse out;
  using Lookup = gigasync::sandbox::IdempotencyStore::Lookup;
  CHECK(store.find("k", 1, out, t0 + std::chrono::hours(23)) == Lookup::replay);
  CHECK(out.status == 201);
  CHECK(store.find("k", 2, out, t0 + std::chrono::hours(23)) == Lookup::conflict);
  CHECK(store.find("k", 1, out, t0 + std::chrono::hours(25)) == Lookup::miss);
}

TEST_CASE("The sandbox flags fill the options and no flag takes the token", "[sandbox]") {
  CLI::App app;
  Options o;
  std::string token_file;
  gigasync::sandbox::add_cli_options(app, o, token_file);
  app.parse("--port 0 --error-rate 0.25 --token-file /tmp/tok --forbid", false);
  CHECK(o.port == 0);
  CHECK(o.faults.error_rate == Approx(0.25));
  CHECK(o.faults.forbid);
  CHECK(token_file == "/tmp/tok");
  CLI::App again;
  gigasync::sandbox::add_cli_options(again, o, token_file);
  CHECK_THROWS(again.parse("--token s3cret", false));
}

TEST_CASE("Running in the foreground on a port in use returns 69", "[sandbox]") {
  Sandbox sb(options(0));
  Options o = options(0);
  o.port = sb.port;
  CHECK(gigasync::sandbox::run_foreground(o, "") == 69);
}
