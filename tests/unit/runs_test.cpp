// Run records no cycle finishes itself: `abandoned` (the process died) and `interrupted` (a stop
// signal cut the cycle short).
#include <SQLiteCpp/SQLiteCpp.h>

#include <catch2/catch.hpp>

#include "gigasync/store.h"
#include "support/process.h"

using namespace gigasync;
using gigasync::test::TempDir;

TEST_CASE("runs left running by a dead process are marked abandoned, finished ones are not", "[store][runs]") {
  TempDir dir;
  auto store = Store::open(dir.str("mirror.db"));
  REQUIRE(store.ok());
  Store& s = *store.value();
  CHECK(s.last_run_id().value() == 0);
  auto done = s.begin_run("full");
  REQUIRE(done.ok());
  RunRecord r;
  r.id = done.value();
  r.status = "ok";
  REQUIRE(s.finish_run(r).ok());
  auto dead = s.begin_run("push");
  REQUIRE(dead.ok());
  CHECK(s.last_run_id().value() == dead.value());

  auto n = s.abandon_dead_runs();
  REQUIRE(n.ok());
  CHECK(n.value() == 1);
  SQLite::Database db(dir.str("mirror.db"));
  SQLite::Statement q(db, "SELECT status, finished_at IS NOT NULL, coalesce(error, '') FROM sync_runs ORDER BY id");
  REQUIRE(q.executeStep());
  CHECK(q.getColumn(0).getString() == "ok");
  REQUIRE(q.executeStep());
  CHECK(q.getColumn(0).getString() == "abandoned");
  CHECK(q.getColumn(1).getInt() == 1);
  CHECK(q.getColumn(2).getString().find("ended without finishing") != std::string::npos);
  CHECK(s.abandon_dead_runs().value() == 0);  // once
}

TEST_CASE("mark_interrupted marks only the runs after the given id, keeping their error", "[store][runs]") {
  TempDir dir;
  auto store = Store::open(dir.str("mirror.db"));
  REQUIRE(store.ok());
  Store& s = *store.value();
  auto first = s.begin_run("full");
  REQUIRE(first.ok());
  RunRecord r;
  r.id = first.value();
  r.status = "ok";
  REQUIRE(s.finish_run(r).ok());
  auto second = s.begin_run("full");
  REQUIRE(second.ok());
  r.id = second.value();
  r.status = "failed";
  r.error = "GET /v2/integrations/: stopped";
  REQUIRE(s.finish_run(r).ok());
  REQUIRE(s.mark_interrupted(first.value(), "interrupted by SIGTERM").ok());
  SQLite::Database db(dir.str("mirror.db"));
  CHECK(db.execAndGet("SELECT status FROM sync_runs WHERE id = " + std::to_string(first.value())).getString() == "ok");
  CHECK(db.execAndGet("SELECT status FROM sync_runs WHERE id = " + std::to_string(second.value())).getString() ==
        "interrupted");
  CHECK(db.execAndGet("SELECT error FROM sync_runs WHERE id = " + std::to_string(second.value())).getString() ==
        "interrupted by SIGTERM: GET /v2/integrations/: stopped");
}
