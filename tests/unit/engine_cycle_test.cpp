// One cycle (src/sync/cycle.cpp) against the API double: the run row, what a failed pull leaves,
// the dry run, and both sides converging after edits on each.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "support/engine_fixture.h"
#include "support/outbox_text.h"

using gigasync::ExitCode;
using gigasync::Record;
using gigasync::SyncOptions;
using gigasync::integrations_resource;
using gigasync::test::EngineFixture;
using gigasync::test::make_integration;

TEST_CASE("A cycle records one run row with its counts", "[engine]") {
  EngineFixture f(2);
  f.remote_has({"a", "b", "c"});
  f.cycle();
  f.edit("UPDATE integrations SET city = 'Lund' WHERE id = 'a'");
  Record b = make_integration("b");
  b.set("name", "Bolaget AB");
  f.api.put(b);
  f.api.put(make_integration("d"));

  auto report = f.cycle();
  CHECK(report.exit == ExitCode::ok);
  CHECK(f.count("SELECT count(*) FROM sync_runs") == 2);
  CHECK(f.text("SELECT mode || ' ' || status || ' ' || pages || ' ' || fetched || ' ' || inserted || ' ' || updated || "
               "' ' || deleted || ' ' || pushed || ' ' || push_failed FROM sync_runs ORDER BY id DESC LIMIT 1") ==
        "full ok 2 4 1 1 0 1 0");
  CHECK(f.count("SELECT count(*) FROM sync_runs WHERE finished_at IS NULL") == 0);
  CHECK(report.mirrored == 4);
  CHECK(report.pending == 0);
}

TEST_CASE("A pull that fails pushes nothing and records the run as failed", "[engine]") {
  EngineFixture f(2);
  f.remote_has({"a", "b", "c"});
  f.cycle();
  f.edit("UPDATE integrations SET city = 'Lund' WHERE id = 'a'");
  f.api.fail_next("GET", "integrations/?page=2");

  auto r = f.try_cycle();
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == ExitCode::unavailable);
  CHECK(f.api.calls("PATCH").empty());
  CHECK(f.text("SELECT status FROM sync_runs ORDER BY id DESC LIMIT 1") == "failed");
  CHECK_THAT(f.text("SELECT error FROM sync_runs ORDER BY id DESC LIMIT 1"), Catch::Contains("page=2"));
  CHECK(f.changes(false).size() == 1);

  // The next cycle pushes it.
  auto report = f.cycle();
  CHECK(report.exit == ExitCode::ok);
  CHECK(f.api.calls("PATCH").size() == 1);
  CHECK(f.remote().at("a").get("city") == "Lund");
}

TEST_CASE("A dry run sends no write and writes no row, and says what it would do", "[engine]") {
  EngineFixture f;
  f.remote_has({"a", "b"});
  f.cycle();
  f.edit("UPDATE integrations SET city = 'Lund' WHERE id = 'a'");
  Record b = make_integration("b");
  b.set("city", "Kalmar");
  f.api.put(b);
  const auto mirror_rows = f.rows("integrations");
  const auto base_rows = f.rows("integration_base");
  const auto runs = f.count("SELECT count(*) FROM sync_runs");

  SyncOptions dry;
  dry.dry_run = true;
  auto report = f.cycle(dry);
  for (const auto& c : f.api.calls()) CHECK(c.method == "GET");
  CHECK(f.rows("integrations") == mirror_rows);
  CHECK(f.rows("integration_base") == base_rows);
  CHECK(f.count("SELECT count(*) FROM sync_runs") == runs);
  std::string plan;
  for (const auto& line : report.plan) plan += line + "\n";
  CHECK_THAT(plan, Catch::Contains("would update integration b") && Catch::Contains("would send change"));
}

TEST_CASE("After edits on both sides and a remote deletion, two cycles leave the mirror equal to the API",
          "[engine]") {
  EngineFixture f(3);
  f.remote_has({"a", "b", "c", "d", "e", "f", "g"});
  f.cycle();
  f.edit("UPDATE integrations SET email = 'ny@a.se' WHERE id = 'a'");
  f.edit("UPDATE integrations SET metadata = '{\"kst\": 12}' WHERE id = 'b'");
  f.edit("DELETE FROM integrations WHERE id = 'c'");
  f.edit("INSERT INTO integrations (name, email, recipient, address_line_1, zip_code, city) VALUES "
         "('Ny AB', 'ny@ny.se', 'Ny AB', 'Vägen 1', '123 45', 'Borås')");
  Record d = make_integration("d");
  d.set("address_line_2", "Box 7");
  f.api.put(d);
  f.api.erase(integrations_resource(), "e");

  auto first = f.cycle();
  CHECK(first.exit == ExitCode::ok);
  auto second = f.cycle();
  CHECK(second.exit == ExitCode::ok);
  CHECK(second.run.inserted + second.run.updated + second.run.deleted + second.run.pushed == 0);
  CHECK(f.remote().size() == 6);  // a b d f g and the new one
  CHECK(f.mirror() == f.remote());
  CHECK(f.base() == f.remote());
  CHECK(f.changes(false).empty());
  CHECK(f.api.key_misuse() == 0);
  auto again = gigasync::verify(f.cfg, *f.store, f.api);
  REQUIRE(again.ok());
  CHECK(again->empty());
}

TEST_CASE("A local edit made while the pull reads its pages is merged with the remote edit, not overwritten",
          "[engine]") {
  EngineFixture f;
  f.remote_has({"a", "b"});
  f.cycle();
  Record a = make_integration("a");
  a.set("city", "Visby");
  f.api.put(a);
  f.api.before_next("GET", "integrations/?", [&f] { f.edit("UPDATE integrations SET email = 'mitt@i.se' WHERE id = 'a'"); });

  auto report = f.cycle();
  CHECK(report.exit == ExitCode::ok);
  CHECK(f.remote().at("a").get("email") == "mitt@i.se");
  CHECK(f.remote().at("a").get("city") == "Visby");
  CHECK(f.mirror() == f.remote());
  CHECK(f.changes(false).empty());
}
