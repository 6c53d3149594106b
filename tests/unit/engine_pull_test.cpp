// The pull (src/sync/pull.cpp, page_stream.cpp) run for real against the API double: pages,
// unchanged pages, history, deletions proven by 404, page drift, the delete guard, pages that fail
// validation, refusals. Each test runs run_cycle (or pull/refresh) on a Store in a temporary file.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "support/engine_fixture.h"
#include "support/outbox_text.h"
#include "sync/pull.h"

using gigasync::ExitCode;
using gigasync::Record;
using gigasync::SyncOptions;
using gigasync::integrations_resource;
using gigasync::test::EngineFixture;
using gigasync::test::FakeCall;
using gigasync::test::Garble;
using gigasync::test::make_integration;

namespace {

const std::vector<std::string> kFive = {"a", "b", "c", "d", "e"};

// The position of the first call with `method` whose target starts with `target`; -1 if none.
long index_of(const std::vector<FakeCall>& calls, const std::string& method, const std::string& target) {
  for (std::size_t i = 0; i < calls.size(); ++i)
    if (calls[i].method == method && calls[i].target.starts_with(target)) return static_cast<long>(i);
  return -1;
}

}  // namespace

TEST_CASE("The first pull inserts every object of every page and writes no history row", "[engine]") {
  EngineFixture f(2);  // the API serves 2 per page: 3 pages
  f.remote_has(kFive);
  auto report = f.cycle();
  CHECK(report.exit == ExitCode::ok);
  CHECK(report.run.pages == 3);
  CHECK(report.run.fetched == 5);
  CHECK(report.run.inserted == 5);
  CHECK(report.mirrored == 5);
  CHECK(f.mirror() == f.remote());
  CHECK(f.base() == f.remote());
  CHECK(f.count("SELECT count(*) FROM integration_changes") == 0);  // one event: the run row
  CHECK(f.count("SELECT count(*) FROM sync_runs WHERE status = 'ok'") == 1);
  // page_size capped by the API: the engine followed its links, never asking past the last page.
  CHECK(f.api.calls("GET", "integrations/?page=").size() == 3);
}

TEST_CASE("A second pull with nothing changed recognises its pages and writes no row", "[engine]") {
  EngineFixture f(2);
  f.remote_has(kFive);
  f.cycle();
  const auto mirror_rows = f.rows("integrations");
  const auto base_rows = f.rows("integration_base");  // synced_at included: a rewrite would show
  const auto pages = f.rows("listing_pages", false);
  const auto calls_before = f.api.calls().size();

  auto report = f.cycle();
  CHECK(report.exit == ExitCode::ok);
  CHECK(report.run.pages == 3);
  CHECK(report.run.fetched == 5);
  CHECK(report.run.inserted + report.run.updated + report.run.deleted == 0);
  CHECK(f.rows("integrations") == mirror_rows);
  CHECK(f.rows("integration_base") == base_rows);
  CHECK(f.rows("listing_pages", false) == pages);
  CHECK(f.count("SELECT count(*) FROM integration_changes") == 0);
  CHECK(f.count("SELECT count(*) FROM sync_runs") == 2);  // its own run row, nothing else
  // Only the three pages were read: nothing was missing, so no object was looked up.
  CHECK(f.api.calls().size() - calls_before == 3);

  // The same pass seen from the pull itself: every page known by its bytes.
  SyncOptions options;
  auto outcome = gigasync::pull(f.cfg, *f.store, f.api, options);
  REQUIRE(outcome.ok());
  CHECK(outcome->pages == 3);
  CHECK(outcome->unchanged_pages == 3);
  CHECK(outcome->fetched == 5);
  CHECK(f.rows("integration_base") == base_rows);
}

TEST_CASE("A remote edit is applied to the mirror and the base with a history row", "[engine]") {
  EngineFixture f(2);
  f.remote_has(kFive);
  f.cycle();
  Record c = make_integration("c");
  c.set("city", "Malmö");
  f.api.put(c);

  auto report = f.cycle();
  CHECK(report.run.updated == 1);
  CHECK(f.mirror().at("c").get("city") == "Malmö");
  CHECK(f.base().at("c").get("city") == "Malmö");
  CHECK(f.count("SELECT count(*) FROM integration_changes") == 1);
  CHECK(f.count("SELECT count(*) FROM integration_changes WHERE integration_id = 'c' AND source = 'remote' AND "
                "op = 'update' AND field = 'city' AND old_value = 'Stockholm' AND new_value = 'Malmö'") == 1);
  CHECK(f.changes().empty());  // a remote edit queues nothing to push
}

TEST_CASE("A remote deletion is confirmed with GET (404) before the row leaves the mirror", "[engine]") {
  EngineFixture f(2);
  f.remote_has(kFive);
  f.cycle();
  REQUIRE(f.api.erase(integrations_resource(), "c"));

  auto report = f.cycle();
  CHECK(report.run.deleted == 1);
  auto gets = f.api.calls("GET", "integrations/c/");
  REQUIRE(gets.size() == 1);
  CHECK(gets[0].status == 404);
  // The GET came after the listing and before anything was removed.
  auto calls = f.api.calls();
  CHECK(index_of(calls, "GET", "integrations/c/") > index_of(calls, "GET", "integrations/?"));
  CHECK_FALSE(f.mirror().count("c"));
  CHECK_FALSE(f.base().count("c"));
  CHECK(f.count("SELECT count(*) FROM integration_changes WHERE integration_id = 'c' AND op = 'delete' AND "
                "source = 'remote'") == 1);
}

TEST_CASE("An object missing from a listing that GET still finds is kept (page drift)", "[engine]") {
  EngineFixture f(2);
  f.remote_has(kFive);
  f.cycle();
  f.api.hide_from_listing(integrations_resource(), "c");

  auto report = f.cycle();
  CHECK(report.exit == ExitCode::ok);
  CHECK(report.run.deleted == 0);
  auto gets = f.api.calls("GET", "integrations/c/");
  REQUIRE(gets.size() == 1);
  CHECK(gets[0].status == 200);
  CHECK(f.mirror().count("c"));
  CHECK(f.base().count("c"));
}

TEST_CASE("A missing object whose GET fails is not removed, and the cycle fails", "[engine]") {
  EngineFixture f(2);
  f.remote_has(kFive);
  f.cycle();
  REQUIRE(f.api.erase(integrations_resource(), "c"));
  f.api.fail_next("GET", "integrations/c/");
  const auto mirror_rows = f.rows("integrations");

  auto r = f.try_cycle();
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == ExitCode::unavailable);
  CHECK(f.rows("integrations") == mirror_rows);
  CHECK(f.text("SELECT status FROM sync_runs ORDER BY id DESC LIMIT 1") == "failed");
}

TEST_CASE("A listing that shrank while it was read proves no absence", "[engine]") {
  EngineFixture f(2);
  f.remote_has(kFive);
  f.cycle();
  // Page 2 answers 404 (the list shrank between page 1 and page 2): "c" and "d" are missing from
  // an unclean pass, and no GET is made for them.
  f.api.answer_next("GET", "integrations/?page=2", 404, R"({"detail":"Invalid page."})");

  auto report = f.cycle();
  CHECK(report.run.deleted == 0);
  CHECK(f.api.calls("GET", "integrations/c/").empty());
  CHECK(f.api.calls("GET", "integrations/d/").empty());
  CHECK(f.mirror().size() == 5);
}

TEST_CASE("The delete guard holds more deletions than max_delete_fraction until forced", "[engine]") {
  EngineFixture f(4);
  std::vector<std::string> ten;
  for (char ch = 'a'; ch <= 'j'; ++ch) ten.emplace_back(1, ch);
  f.remote_has(ten);
  f.cfg.sync.max_delete_fraction = 0.2;
  f.cfg.sync.min_delete_guard = 0;
  f.cycle();
  for (const char* id : {"b", "e", "h"}) REQUIRE(f.api.erase(integrations_resource(), id));  // 30% > 20%

  auto held = f.cycle();
  CHECK(held.exit == ExitCode::partial);
  CHECK(held.deletions_refused);
  CHECK(held.run.deletions_held == 3);
  CHECK(held.run.deleted == 0);
  CHECK(f.mirror().size() == 10);
  CHECK(f.text("SELECT status FROM sync_runs ORDER BY id DESC LIMIT 1") == "partial");

  SyncOptions force;
  force.force_deletes = true;
  auto forced = f.cycle(force);
  CHECK(forced.exit == ExitCode::ok);
  CHECK(forced.run.deleted == 3);
  CHECK(f.mirror().size() == 7);
}

TEST_CASE("Deletions at or under max_delete_fraction are applied without force", "[engine]") {
  EngineFixture f(4);
  std::vector<std::string> ten;
  for (char ch = 'a'; ch <= 'j'; ++ch) ten.emplace_back(1, ch);
  f.remote_has(ten);
  f.cfg.sync.max_delete_fraction = 0.2;
  f.cfg.sync.min_delete_guard = 0;
  f.cycle();
  for (const char* id : {"b", "e"}) REQUIRE(f.api.erase(integrations_resource(), id));  // 20%: allowed

  auto report = f.cycle();
  CHECK(report.exit == ExitCode::ok);
  CHECK(report.run.deleted == 2);
  CHECK(f.mirror().size() == 8);
}

TEST_CASE("A page whose body fails validation once is read again and the cycle goes on", "[engine]") {
  EngineFixture f(2);
  f.remote_has(kFive);
  f.api.garble_next("GET", "integrations/?page=2", Garble::truncated, 1);

  auto report = f.cycle();
  CHECK(report.exit == ExitCode::ok);
  CHECK(f.mirror().size() == 5);
  CHECK(f.api.calls("GET", "integrations/?page=2").size() == 2);  // the truncated read, then a good one
}

TEST_CASE("A page that keeps failing validation fails the cycle with ExitCode::data, mirror untouched", "[engine]") {
  Garble how = GENERATE(Garble::truncated, Garble::wrong_type);
  EngineFixture f(2);
  f.remote_has(kFive);
  f.cycle();
  const auto mirror_rows = f.rows("integrations");
  const auto base_rows = f.rows("integration_base");
  Record a = make_integration("a");  // a change on page 1, which reads well: it must not be applied
  a.set("city", "Luleå");
  f.api.put(a);
  f.api.put(make_integration("f"));
  f.api.garble_next("GET", "integrations/?page=2", how, 100);
  const auto before = f.api.calls().size();

  auto r = f.try_cycle();
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == ExitCode::data);
  CHECK_THAT(r.error().message, Catch::Contains("page 2"));
  auto page2 = f.calls_since(before, "GET");
  std::erase_if(page2, [](const FakeCall& c) { return !c.target.starts_with("integrations/?page=2"); });
  CHECK(page2.size() == 3);  // read again before giving up
  CHECK(f.rows("integrations") == mirror_rows);
  CHECK(f.rows("integration_base") == base_rows);
  CHECK(f.count("SELECT count(*) FROM integration_changes") == 0);
  CHECK(f.text("SELECT status FROM sync_runs ORDER BY id DESC LIMIT 1") == "failed");
}

TEST_CASE("A 401 stops the cycle with ExitCode::auth and nothing is pushed", "[engine]") {
  EngineFixture f;
  f.remote_has({"a"});
  f.cycle();
  f.edit("UPDATE integrations SET city = 'Umeå' WHERE id = 'a'");
  f.api.answer_next("GET", "integrations/", 401, R"({"detail":"Invalid token."})");

  auto r = f.try_cycle();
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == ExitCode::auth);
  CHECK(f.api.calls("PATCH").empty());
  CHECK(f.text("SELECT status FROM sync_runs ORDER BY id DESC LIMIT 1") == "failed");
  CHECK(f.changes(false).size() == 1);  // still waiting
}

TEST_CASE("Page 1 unreachable fails the cycle with ExitCode::unavailable, mirror untouched", "[engine]") {
  EngineFixture f;
  f.remote_has({"a", "b"});
  f.cycle();
  const auto mirror_rows = f.rows("integrations");
  f.api.erase(integrations_resource(), "b");
  f.api.fail_next("GET", "integrations/?page=1");

  auto r = f.try_cycle();
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == ExitCode::unavailable);
  CHECK(f.rows("integrations") == mirror_rows);
}

TEST_CASE("refresh applies what GET answers and takes a 404 as the deletion", "[engine]") {
  EngineFixture f;
  f.remote_has({"a", "b", "c"});
  f.cycle();
  Record a = make_integration("a");
  a.set("name", "Renamed AB");
  f.api.put(a);
  f.api.erase(integrations_resource(), "c");
  const auto before = f.api.calls().size();

  auto lines = gigasync::refresh(f.cfg, *f.store, f.api, {"a", "b", "c"});
  REQUIRE(lines.ok());
  REQUIRE(lines->size() == 3);
  CHECK_THAT(lines->at(0), Catch::Contains("updated"));
  CHECK_THAT(lines->at(1), Catch::Contains("unchanged"));
  CHECK_THAT(lines->at(2), Catch::Contains("404"));
  CHECK(f.mirror().at("a").get("name") == "Renamed AB");
  CHECK_FALSE(f.mirror().count("c"));
  auto calls = f.calls_since(before);  // no listing: one GET per id
  REQUIRE(calls.size() == 3);
  for (const auto& c : calls) CHECK((c.method == "GET" && !c.target.starts_with("integrations/?")));
}

TEST_CASE("Payouts are listed under each integration's Integration-ID and kept apart", "[engine]") {
  EngineFixture f;
  f.cfg.account.resources = {"payouts"};
  f.remote_has({"a", "b"});
  auto payout = [](const std::string& id, const std::string& scope, const std::string& amount) {
    Record p(gigasync::payouts_resource());
    p.id = id;
    p.scope = scope;
    p.set("amount", amount);
    p.set("currency", "SEK");
    p.set("created_at", "2024-03-01T10:00:00Z");
    return p;
  };
  f.api.put(payout("p1", "a", "100.00"));
  f.api.put(payout("p2", "a", "200.00"));
  f.api.put(payout("p1", "b", "300.00"));  // the same id under another integration

  auto report = f.cycle();
  CHECK(report.exit == ExitCode::ok);
  CHECK(f.count("SELECT count(*) FROM payouts") == 3);
  CHECK(f.text("SELECT amount FROM payouts WHERE integration_id = 'b' AND id = 'p1'") == "300.00");
  auto lists = f.api.calls("GET", "payouts/?");
  REQUIRE(lists.size() == 2);
  for (const auto& c : lists) CHECK((c.integration_id == "a" || c.integration_id == "b"));
  CHECK(lists[0].integration_id != lists[1].integration_id);

  // A payout deleted in the API leaves the mirror after its 404, on the next full listing.
  f.api.erase(gigasync::payouts_resource(), "p2", "a");
  SyncOptions full;
  full.full = true;
  f.cycle(full);
  CHECK(f.count("SELECT count(*) FROM payouts WHERE integration_id = 'a'") == 1);
  auto gets = f.api.calls("GET", "payouts/p2/");
  REQUIRE(gets.size() == 1);
  CHECK(gets[0].integration_id == "a");
  CHECK(gets[0].status == 404);
}

TEST_CASE("A remote rename is followed: the row takes the new id, nothing is deleted or inserted", "[engine]") {
  EngineFixture f(2);
  f.remote_has(kFive);
  f.cycle();
  Record c = make_integration("c");
  REQUIRE(f.api.erase(integrations_resource(), "c"));
  c.id = "c-renamed";
  f.api.put(c);

  auto report = f.cycle();
  CHECK(report.exit == ExitCode::ok);
  CHECK(report.run.inserted == 0);
  CHECK(report.run.deleted == 0);
  CHECK(f.mirror() == f.remote());
  CHECK(f.base() == f.remote());
  CHECK(f.count("SELECT count(*) FROM integration_changes") == 1);
  CHECK(f.count("SELECT count(*) FROM integration_changes WHERE integration_id = 'c-renamed' AND field = 'id' AND "
                "old_value = 'c' AND new_value = 'c-renamed'") == 1);
}

TEST_CASE("A remote value that goes back after a refresh is seen (the page cache is forgotten)", "[engine]") {
  EngineFixture f;
  f.remote_has({"a", "b"});
  f.cycle();  // the listing's page is cached with a's city Stockholm
  Record a = make_integration("a");
  a.set("city", "Kalmar");
  f.api.put(a);
  REQUIRE(gigasync::refresh(f.cfg, *f.store, f.api, {"a"}).ok());
  REQUIRE(f.base().at("a").get("city") == "Kalmar");
  f.api.put(make_integration("a"));  // back to Stockholm: the page has its first bytes again

  f.cycle();
  CHECK(f.mirror().at("a").get("city") == "Stockholm");
  CHECK(f.base().at("a").get("city") == "Stockholm");
}

TEST_CASE("A second cycle with payouts unchanged writes no row either", "[engine]") {
  EngineFixture f;
  f.cfg.account.resources = {"payouts"};
  f.remote_has({"a"});
  Record p(gigasync::payouts_resource());
  p.id = "p1";
  p.scope = "a";
  p.set("amount", "100.00");
  p.set("created_at", "2024-03-01T10:00:00Z");
  f.api.put(p);
  f.cycle();
  const auto payouts = f.rows("payouts");
  const auto base = f.rows("payout_base");
  const auto history = f.count("SELECT count(*) FROM account_changes");

  auto report = f.cycle();  // incremental: the windows and the unsettled list
  CHECK(report.exit == ExitCode::ok);
  CHECK(report.run.account_written == 0);
  CHECK(f.rows("payouts") == payouts);
  CHECK(f.rows("payout_base") == base);
  CHECK(f.count("SELECT count(*) FROM account_changes") == history);
}

TEST_CASE("An object added while the listing is read makes the pass unclean: no absence is trusted", "[engine]") {
  EngineFixture f(2);
  f.remote_has(kFive);
  f.cycle();
  REQUIRE(f.api.erase(integrations_resource(), "e"));  // really deleted
  // Added before page 2 is read: the pages shift, "b" is listed twice and the count changes.
  f.api.before_next("GET", "integrations/?page=2", [&f] { f.api.put(make_integration("a0")); });

  auto report = f.cycle();
  CHECK(report.run.deleted == 0);
  CHECK(f.api.calls("GET", "integrations/e/").empty());  // not even asked: the pass proves nothing
  CHECK(f.mirror().count("e"));

  auto next = f.cycle();  // a clean pass: the deletion is proven and applied, the new object read
  CHECK(next.run.deleted == 1);
  CHECK(f.mirror() == f.remote());
}

TEST_CASE("Payouts an integration may not read are reported as refused; the cycle goes on", "[engine]") {
  EngineFixture f;
  f.cfg.account.resources = {"payouts"};
  f.remote_has({"a", "b"});
  f.api.answer_next("GET", "payouts/?", 403, R"({"detail":"You do not have permission to perform this action."})");

  auto report = f.cycle();
  CHECK(report.exit == ExitCode::partial);
  REQUIRE(report.refused.size() == 1);
  CHECK_THAT(report.refused[0], Catch::Contains("payouts of integration") && Catch::Contains("403"));
  CHECK(f.mirror().size() == 2);
  CHECK(f.text("SELECT status FROM sync_runs ORDER BY id DESC LIMIT 1") == "partial");

  auto next = f.cycle();  // served again: the refusal is cleared
  CHECK(next.exit == ExitCode::ok);
  CHECK(next.refused.empty());
}
