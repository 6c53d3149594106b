// The push (src/sync/push.cpp with the outbox) run for real against the API double: what a local
// edit sends, Idempotency-Keys across lost answers, refusals, conflicts, the push-only GET first.
// Local edits are made on a second SQLite connection, as a person makes them.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "gigasync/outbox.h"
#include "support/engine_fixture.h"
#include "support/outbox_text.h"

using gigasync::ConflictPolicy;
using gigasync::ExitCode;
using gigasync::Record;
using gigasync::integrations_resource;
using gigasync::test::EngineFixture;
using gigasync::test::make_integration;

TEST_CASE("A local UPDATE is pushed as a PATCH of only the changed field with an Idempotency-Key", "[engine]") {
  EngineFixture f;
  f.remote_has({"a", "b"});
  f.cycle();
  f.edit("UPDATE integrations SET email = 'faktura@firma.se' WHERE id = 'a'");
  const std::string key = f.text("SELECT idempotency_key FROM pending_changes WHERE integration_id = 'a'");
  REQUIRE_FALSE(key.empty());

  auto report = f.cycle();
  CHECK(report.exit == ExitCode::ok);
  CHECK(report.run.pushed == 1);
  auto patches = f.api.calls("PATCH");
  REQUIRE(patches.size() == 1);
  CHECK(patches[0].target == "integrations/a/");
  CHECK(patches[0].body == R"({"email":"faktura@firma.se"})");
  CHECK(patches[0].idempotency_key == key);
  CHECK(f.api.calls("PUT").empty());
  CHECK(f.api.calls("POST").empty());
  CHECK(f.remote().at("a").get("email") == "faktura@firma.se");
  CHECK(f.base().at("a").get("email") == "faktura@firma.se");
  auto changes = f.changes();
  REQUIRE(changes.size() == 1);
  CHECK(changes[0].state == "done");
  CHECK(f.remote() == f.mirror());
}

TEST_CASE("A PATCH that got no answer is sent again with the same key and body", "[engine]") {
  EngineFixture f;
  f.remote_has({"a"});
  f.cycle();
  f.edit("UPDATE integrations SET city = 'Göteborg' WHERE id = 'a'");
  f.api.fail_next("PATCH", "integrations/a/");

  auto first = f.cycle();
  CHECK(first.exit == ExitCode::unavailable);
  CHECK(first.unpushed == 1);
  CHECK(f.text("SELECT status FROM sync_runs ORDER BY id DESC LIMIT 1") == "unpushed");
  CHECK(f.remote().at("a").get("city") == "Stockholm");
  auto waiting = f.changes(false);
  REQUIRE(waiting.size() == 1);
  CHECK(waiting[0].sent());  // the body stays frozen

  auto second = f.cycle();
  CHECK(second.exit == ExitCode::ok);
  auto patches = f.api.calls("PATCH");
  REQUIRE(patches.size() == 2);
  CHECK(patches[1].idempotency_key == patches[0].idempotency_key);
  CHECK(patches[1].body == patches[0].body);
  CHECK(patches[1].body == R"({"city":"Göteborg"})");
  CHECK(f.remote().at("a").get("city") == "Göteborg");
  CHECK(f.api.writes_applied() == 1);
  CHECK(f.changes()[0].state == "done");
}

TEST_CASE("A PATCH applied whose answer was lost is taken as our own write, not sent twice", "[engine]") {
  EngineFixture f;
  f.remote_has({"a"});
  f.cycle();
  f.edit("UPDATE integrations SET city = 'Göteborg' WHERE id = 'a'");
  f.api.lose_answer_next("PATCH", "integrations/a/");

  auto first = f.cycle();
  CHECK(first.exit == ExitCode::unavailable);
  CHECK(f.remote().at("a").get("city") == "Göteborg");  // it was applied

  auto second = f.cycle();
  CHECK(second.exit == ExitCode::ok);
  CHECK(f.conflicts().empty());  // the remote value is the one we sent, not someone else's edit
  CHECK(f.changes()[0].state == "done");
  CHECK(f.api.writes_applied() == 1);
  CHECK(f.api.key_misuse() == 0);
  // If it went again, it went with the same key and body (and the API replayed its answer).
  auto patches = f.api.calls("PATCH");
  for (const auto& p : patches) {
    CHECK(p.idempotency_key == patches[0].idempotency_key);
    CHECK(p.body == patches[0].body);
  }
  CHECK(f.mirror() == f.remote());
}

TEST_CASE("A create whose answer was lost is sent again with its key and replayed, not created twice", "[engine]") {
  EngineFixture f;
  f.remote_has({"a"});
  f.cycle();
  f.edit("INSERT INTO integrations (id, name, email, recipient, address_line_1, zip_code, city) VALUES "
         "('new-1', 'Nya AB', 'info@nya.se', 'Nya AB', 'Kungsgatan 2', '411 19', 'Göteborg')");
  f.api.lose_answer_next("POST", "integrations/");

  auto first = f.cycle();
  CHECK(first.exit == ExitCode::unavailable);
  REQUIRE(f.remote().count("new-1"));

  auto second = f.cycle();
  CHECK(second.exit == ExitCode::ok);
  auto posts = f.api.calls("POST");
  REQUIRE(posts.size() == 2);
  CHECK(posts[1].idempotency_key == posts[0].idempotency_key);
  CHECK(posts[1].body == posts[0].body);
  CHECK(posts[1].replayed);
  CHECK(f.api.writes_applied() == 1);
  CHECK(f.remote().size() == 2);
  CHECK(f.changes()[0].state == "done");
  CHECK(f.mirror() == f.remote());
}

TEST_CASE("A 400 marks the change failed with the field errors; other integrations still push", "[engine]") {
  EngineFixture f;
  f.remote_has({"a", "b"});
  f.cycle();
  f.edit("UPDATE integrations SET email = 'x@y.se' WHERE id = 'a'");
  f.edit("UPDATE integrations SET email = 'z@y.se' WHERE id = 'b'");
  f.api.answer_next("PATCH", "integrations/a/", 400, R"({"email":["Enter a valid email address."]})");

  auto report = f.cycle();
  CHECK(report.exit == ExitCode::partial);
  CHECK(report.run.push_failed == 1);
  CHECK(report.run.pushed == 1);
  CHECK(report.failed == 1);
  auto c = f.store->list_changes(true);
  REQUIRE(c.ok());
  for (const auto& change : c.value()) {
    if (change.integration_id == "a") {
      CHECK(change.state == "failed");
      CHECK_THAT(change.last_error, Catch::Contains("HTTP 400") && Catch::Contains("email: Enter a valid email address."));
    } else {
      CHECK(change.state == "done");
    }
  }
  CHECK(f.remote().at("a").get("email") == "billing-a@example.se");  // refused: not applied
  CHECK(f.remote().at("b").get("email") == "z@y.se");
  CHECK(f.mirror().at("a").get("email") == "x@y.se");  // the local edit is kept for the person to fix
  CHECK(f.text("SELECT status FROM sync_runs ORDER BY id DESC LIMIT 1") == "partial");
}

TEST_CASE("A field changed on both sides is a conflict, held under policy manual", "[engine]") {
  EngineFixture f;
  f.cfg.sync.conflict_policy = ConflictPolicy::manual;
  f.remote_has({"a"});
  f.cycle();
  f.edit("UPDATE integrations SET city = 'Kiruna' WHERE id = 'a'");
  Record remote = make_integration("a");
  remote.set("city", "Visby");
  f.api.put(remote);

  auto report = f.cycle();
  CHECK(report.exit == ExitCode::partial);
  CHECK(report.open_conflicts == 1);
  auto conflicts = f.conflicts(false);
  REQUIRE(conflicts.size() == 1);
  CHECK(conflicts[0].integration_id == "a");
  CHECK(conflicts[0].field == "city");
  CHECK(conflicts[0].base_value == "Stockholm");
  CHECK(conflicts[0].local_value == "Kiruna");
  CHECK(conflicts[0].remote_value == "Visby");
  auto waiting = f.changes(false);
  REQUIRE(waiting.size() == 1);
  CHECK(waiting[0].state == "conflict");
  CHECK(f.api.calls("PATCH").empty());  // held: nothing sent
  CHECK(f.remote().at("a").get("city") == "Visby");
  CHECK(f.mirror().at("a").get("city") == "Kiruna");  // the person's value waits for a decision

  // Held in the next cycle too.
  f.cycle();
  CHECK(f.api.calls("PATCH").empty());
  CHECK(f.conflicts(false).size() == 1);
}

TEST_CASE("Changes to different fields on the two sides merge: only the local field is sent", "[engine]") {
  EngineFixture f;
  f.remote_has({"a"});
  f.cycle();
  f.edit("UPDATE integrations SET email = 'ny@firma.se' WHERE id = 'a'");
  Record remote = make_integration("a");
  remote.set("city", "Visby");
  f.api.put(remote);

  auto report = f.cycle();
  CHECK(report.exit == ExitCode::ok);
  CHECK(f.conflicts().empty());
  auto patches = f.api.calls("PATCH");
  REQUIRE(patches.size() == 1);
  CHECK(patches[0].body == R"({"email":"ny@firma.se"})");
  CHECK(f.remote().at("a").get("city") == "Visby");
  CHECK(f.remote().at("a").get("email") == "ny@firma.se");
  CHECK(f.mirror() == f.remote());
}

TEST_CASE("A push-only cycle reads the integration with GET before it writes it", "[engine]") {
  EngineFixture f;
  f.remote_has({"a"});
  f.cycle();
  f.edit("UPDATE integrations SET recipient = 'Nytt Namn AB' WHERE id = 'a'");
  Record remote = make_integration("a");
  remote.set("zip_code", "999 99");
  f.api.put(remote);

  const auto before = f.api.calls().size();
  auto report = f.push_only();
  CHECK(report.exit == ExitCode::ok);
  auto calls = f.calls_since(before);
  REQUIRE(calls.size() == 2);
  CHECK(calls[0].method == "GET");
  CHECK(calls[0].target == "integrations/a/");
  CHECK(calls[1].method == "PATCH");
  CHECK(calls[1].body == R"({"recipient":"Nytt Namn AB"})");
  CHECK(f.mirror().at("a").get("zip_code") == "999 99");  // the GET's remote edit was merged in
}

TEST_CASE("A local DELETE is sent as DELETE and the row stays gone", "[engine]") {
  EngineFixture f;
  f.remote_has({"a", "b"});
  f.cycle();
  f.edit("DELETE FROM integrations WHERE id = 'b'");

  auto report = f.cycle();
  CHECK(report.exit == ExitCode::ok);
  auto deletes = f.api.calls("DELETE");
  REQUIRE(deletes.size() == 1);
  CHECK(deletes[0].target == "integrations/b/");
  CHECK_FALSE(deletes[0].idempotency_key.empty());
  CHECK_FALSE(f.remote().count("b"));
  f.cycle();
  CHECK_FALSE(f.mirror().count("b"));
  CHECK_FALSE(f.base().count("b"));
}

TEST_CASE("A 401 to a PATCH stops the cycle with ExitCode::auth and the change waits", "[engine]") {
  EngineFixture f;
  f.remote_has({"a"});
  f.cycle();
  f.edit("UPDATE integrations SET city = 'Umeå' WHERE id = 'a'");
  f.api.answer_next("PATCH", "integrations/a/", 401, R"({"detail":"Invalid token."})");

  auto r = f.try_cycle();
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == ExitCode::auth);
  auto waiting = f.changes(false);
  REQUIRE(waiting.size() == 1);
  CHECK(waiting[0].state == "pending");
  CHECK(f.text("SELECT status FROM sync_runs ORDER BY id DESC LIMIT 1") == "failed");
}

TEST_CASE("The outbound guard holds a push to more integrations than max_push_fraction", "[engine]") {
  EngineFixture f;
  std::vector<std::string> ten;
  for (char ch = 'a'; ch <= 'j'; ++ch) ten.emplace_back(1, ch);
  f.remote_has(ten);
  f.cfg.sync.max_push_fraction = 0.2;
  f.cfg.sync.min_push_guard = 0;
  f.cycle();
  f.edit("UPDATE integrations SET city = 'Lund' WHERE id IN ('a', 'b', 'c')");  // 3 of 10 > 20%

  auto held = f.cycle();
  CHECK(held.exit == ExitCode::partial);
  CHECK(held.held_by_guard == 3);
  CHECK(f.api.calls("PATCH").empty());

  gigasync::SyncOptions force;
  force.force_push = true;
  auto forced = f.cycle(force);
  CHECK(forced.exit == ExitCode::ok);
  CHECK(f.api.calls("PATCH").size() == 3);
}

TEST_CASE("A 2XX whose body is not an integration fails the change; the next pull sees it applied", "[engine]") {
  EngineFixture f;
  f.remote_has({"a"});
  f.cycle();
  f.edit("UPDATE integrations SET city = 'Lund' WHERE id = 'a'");
  f.api.garble_next("PATCH", "integrations/a/", gigasync::test::Garble::truncated);

  auto first = f.cycle();
  CHECK(first.exit == ExitCode::partial);
  auto failed = f.changes(false);
  REQUIRE(failed.size() == 1);
  CHECK(failed[0].state == "failed");
  CHECK_THAT(failed[0].last_error, Catch::Contains("not an integration"));
  CHECK(f.remote().at("a").get("city") == "Lund");

  auto second = f.cycle();
  CHECK(second.exit == ExitCode::ok);
  CHECK(f.changes(false).empty());
  CHECK(f.conflicts().empty());
  CHECK(f.api.calls("PATCH").size() == 1);
  CHECK(f.mirror() == f.remote());
}

TEST_CASE("A PATCH answered 404 waits, and the next pull's 404 makes it a (deleted) conflict", "[engine]") {
  EngineFixture f;
  f.remote_has({"a", "b"});
  f.cycle();
  f.edit("UPDATE integrations SET city = 'Lund' WHERE id = 'a'");
  // Deleted in the API between this cycle's pull and its push.
  f.api.before_next("PATCH", "integrations/a/", [&f] { f.api.erase(integrations_resource(), "a"); });

  f.cycle();
  auto patches = f.api.calls("PATCH");
  REQUIRE(patches.size() == 1);
  CHECK(patches[0].status == 404);
  REQUIRE(f.changes(false).size() == 1);
  CHECK(f.changes(false)[0].state == "pending");
  CHECK(f.mirror().count("a"));

  auto second = f.cycle();
  CHECK(second.exit == ExitCode::partial);
  auto conflicts = f.conflicts(false);
  REQUIRE(conflicts.size() == 1);
  CHECK(conflicts[0].field == "(deleted)");
  CHECK(f.changes(false)[0].state == "conflict");
  CHECK(f.api.calls("PATCH").size() == 1);
  CHECK(f.api.calls("POST").empty());
}

TEST_CASE("Policy remote-wins: the mirror takes the API's value, the conflict is recorded, nothing is sent",
          "[engine]") {
  EngineFixture f;
  f.cfg.sync.conflict_policy = ConflictPolicy::remote_wins;
  f.remote_has({"a"});
  f.cycle();
  f.edit("UPDATE integrations SET city = 'Kiruna' WHERE id = 'a'");
  Record remote = make_integration("a");
  remote.set("city", "Visby");
  f.api.put(remote);

  auto report = f.cycle();
  CHECK(report.exit == ExitCode::ok);
  CHECK(f.api.calls("PATCH").empty());
  CHECK(f.mirror().at("a").get("city") == "Visby");
  auto conflicts = f.conflicts(true);
  REQUIRE(conflicts.size() == 1);
  CHECK(conflicts[0].resolution == "remote-wins");
  CHECK(f.changes(false).empty());
}

TEST_CASE("Policy local-wins: the local value is sent and the conflict is recorded", "[engine]") {
  EngineFixture f;
  f.cfg.sync.conflict_policy = ConflictPolicy::local_wins;
  f.remote_has({"a"});
  f.cycle();
  f.edit("UPDATE integrations SET city = 'Kiruna' WHERE id = 'a'");
  Record remote = make_integration("a");
  remote.set("city", "Visby");
  f.api.put(remote);

  auto report = f.cycle();
  CHECK(report.exit == ExitCode::ok);
  auto patches = f.api.calls("PATCH");
  REQUIRE(patches.size() == 1);
  CHECK(patches[0].body == R"({"city":"Kiruna"})");
  CHECK(f.remote().at("a").get("city") == "Kiruna");
  auto conflicts = f.conflicts(true);
  REQUIRE(conflicts.size() == 1);
  CHECK(conflicts[0].resolution == "local-wins");
}

TEST_CASE("A DELETE whose answer was lost is closed by the next pull's 404, not sent again", "[engine]") {
  EngineFixture f;
  f.remote_has({"a", "b"});
  f.cycle();
  f.edit("DELETE FROM integrations WHERE id = 'b'");
  f.api.lose_answer_next("DELETE", "integrations/b/");

  auto first = f.cycle();
  CHECK(first.exit == ExitCode::unavailable);
  CHECK_FALSE(f.remote().count("b"));

  auto second = f.cycle();
  CHECK(second.exit == ExitCode::ok);
  CHECK(f.changes(false).empty());
  CHECK(f.conflicts().empty());
  CHECK_FALSE(f.base().count("b"));
  CHECK(f.mirror() == f.remote());
  for (const auto& d : f.api.calls("DELETE")) CHECK(d.idempotency_key == f.api.calls("DELETE")[0].idempotency_key);
}

TEST_CASE("An INSERT OR REPLACE is sent as a PUT that carries back the fields the API added", "[engine]") {
  EngineFixture f;
  Record a = make_integration("a");
  a.extra = R"({"cost_center":"KS-12"})";
  f.api.put(a);
  f.cycle();
  f.edit("INSERT OR REPLACE INTO integrations (id, name, type, logo, metadata, email, recipient, address_line_1, "
         "address_line_2, zip_code, city) VALUES ('a', 'Integration a', 3, NULL, '{}', 'ny@a.se', 'Recipient a', "
         "'Storgatan 1', NULL, '111 22', 'Stockholm')");

  auto report = f.cycle();
  CHECK(report.exit == ExitCode::ok);
  auto puts = f.api.calls("PUT");
  REQUIRE(puts.size() == 1);
  CHECK_THAT(puts[0].body, Catch::Contains(R"("email":"ny@a.se")") && Catch::Contains(R"("cost_center":"KS-12")"));
  CHECK(f.remote().at("a").extra == a.extra);
  CHECK(f.remote().at("a").get("email") == "ny@a.se");
}

TEST_CASE("An edit made after a lost answer goes in a new change with its own key, sent after the first",
          "[engine]") {
  EngineFixture f;
  f.remote_has({"a"});
  f.cycle();
  f.edit("UPDATE integrations SET city = 'Lund' WHERE id = 'a'");
  f.api.lose_answer_next("PATCH", "integrations/a/");
  CHECK(f.cycle().exit == ExitCode::unavailable);
  f.edit("UPDATE integrations SET city = 'Ystad' WHERE id = 'a'");
  REQUIRE(f.changes(false).size() == 2);  // the sent one keeps its frozen body

  auto report = f.cycle();
  CHECK(report.exit == ExitCode::ok);
  CHECK(f.remote().at("a").get("city") == "Ystad");
  CHECK(f.mirror() == f.remote());
  CHECK(f.changes(false).empty());
  CHECK(f.api.key_misuse() == 0);  // no key went out with another body
  auto patches = f.api.calls("PATCH");
  REQUIRE(patches.size() >= 2);
  CHECK(patches.back().body == R"({"city":"Ystad"})");
  CHECK(patches.back().idempotency_key != patches.front().idempotency_key);
}

TEST_CASE("A local rename is sent as a PATCH of the id to the old URL, and the mirror follows", "[engine]") {
  EngineFixture f;
  f.remote_has({"a", "b"});
  f.cycle();
  f.edit("UPDATE integrations SET id = 'a-new' WHERE id = 'a'");

  auto report = f.cycle();
  CHECK(report.exit == ExitCode::ok);
  auto patches = f.api.calls("PATCH");
  REQUIRE(patches.size() == 1);
  CHECK(patches[0].target == "integrations/a/");
  CHECK(patches[0].body == R"({"id":"a-new"})");
  CHECK(f.remote().count("a-new"));
  CHECK_FALSE(f.remote().count("a"));
  CHECK(f.base().count("a-new"));
  CHECK(f.mirror() == f.remote());
  f.cycle();
  CHECK(f.mirror() == f.remote());
  CHECK(f.api.calls("PATCH").size() == 1);
}

TEST_CASE("A local rename whose answer was lost is recognised by the next pull as ours", "[engine]") {
  EngineFixture f;
  f.remote_has({"a", "b"});
  f.cycle();
  f.edit("UPDATE integrations SET id = 'a-new' WHERE id = 'a'");
  f.api.lose_answer_next("PATCH", "integrations/a/");
  CHECK(f.cycle().exit == ExitCode::unavailable);
  REQUIRE(f.remote().count("a-new"));

  auto report = f.cycle();
  CHECK(report.exit == ExitCode::ok);
  CHECK(f.conflicts().empty());
  CHECK(f.mirror() == f.remote());
  CHECK(f.base() == f.remote());
  CHECK(f.changes(false).empty());
  CHECK(f.api.key_misuse() == 0);
  CHECK(f.api.calls("POST").empty());    // not created again
  CHECK(f.api.calls("DELETE").empty());  // nor deleted
}

TEST_CASE("A conflict held under manual and resolved --keep local is sent by the next cycle", "[engine]") {
  EngineFixture f;
  f.remote_has({"a"});
  f.cycle();
  f.edit("UPDATE integrations SET city = 'Kiruna' WHERE id = 'a'");
  Record remote = make_integration("a");
  remote.set("city", "Visby");
  f.api.put(remote);
  f.cycle();
  auto open = f.conflicts(false);
  REQUIRE(open.size() == 1);
  REQUIRE(f.api.calls("PATCH").empty());

  auto resolved = gigasync::resolve_conflict(*f.store, open[0].id, "local");
  INFO((resolved.ok() ? resolved.value() : resolved.error().message));
  REQUIRE(resolved.ok());
  auto report = f.cycle();
  CHECK(report.exit == ExitCode::ok);
  auto patches = f.api.calls("PATCH");
  REQUIRE(patches.size() == 1);
  CHECK(patches[0].body == R"({"city":"Kiruna"})");
  CHECK(f.remote().at("a").get("city") == "Kiruna");
  CHECK(f.conflicts(false).empty());
  CHECK(f.mirror() == f.remote());
}

TEST_CASE("A remote rename of an integration with a local edit waiting: the edit goes to the new id", "[engine]") {
  EngineFixture f;
  f.remote_has({"a", "b"});
  f.cycle();
  f.edit("UPDATE integrations SET city = 'Lund' WHERE id = 'a'");
  Record renamed = make_integration("a");
  REQUIRE(f.api.erase(integrations_resource(), "a"));
  renamed.id = "a-2";
  f.api.put(renamed);

  auto report = f.cycle();
  CHECK(report.exit == ExitCode::ok);
  auto patches = f.api.calls("PATCH");
  REQUIRE(patches.size() == 1);
  CHECK(patches[0].target == "integrations/a-2/");
  CHECK(patches[0].body == R"({"city":"Lund"})");
  CHECK(f.remote().at("a-2").get("city") == "Lund");
  CHECK(f.mirror() == f.remote());
  CHECK(f.changes(false).empty());
}

TEST_CASE("A local rename and a remote edit of another field both arrive", "[engine]") {
  EngineFixture f;
  f.remote_has({"a", "b"});
  f.cycle();
  f.edit("UPDATE integrations SET id = 'a-new' WHERE id = 'a'");
  Record remote = make_integration("a");
  remote.set("zip_code", "753 20");
  f.api.put(remote);

  auto report = f.cycle();
  CHECK(report.exit == ExitCode::ok);
  CHECK(f.remote().size() == 2);
  REQUIRE(f.remote().count("a-new"));
  CHECK(f.remote().at("a-new").get("zip_code") == "753 20");
  CHECK(f.mirror() == f.remote());
  CHECK(f.base() == f.remote());
  CHECK(f.changes(false).empty());
}

TEST_CASE("A local DELETE of a row edited in the API is a (deleted locally) conflict under manual", "[engine]") {
  EngineFixture f;
  f.remote_has({"a", "b"});
  f.cycle();
  f.edit("DELETE FROM integrations WHERE id = 'b'");
  Record remote = make_integration("b");
  remote.set("city", "Visby");
  f.api.put(remote);

  auto report = f.cycle();
  CHECK(report.exit == ExitCode::partial);
  CHECK(f.api.calls("DELETE").empty());
  auto conflicts = f.conflicts(false);
  REQUIRE(conflicts.size() == 1);
  CHECK(conflicts[0].field == "(deleted locally)");
  CHECK(f.remote().count("b"));
}
