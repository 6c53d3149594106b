// The pull's staging and its two-step apply: prepare_apply works out, outside the write lock, which
// staged objects are "plain" (no active change) and their history; apply_plain copies them inside
// the lock. An edit a person makes between the two must not be overwritten.
#include <SQLiteCpp/SQLiteCpp.h>

#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "gigasync/store.h"
#include "store/internals.h"
#include "store/pull_queries.h"
#include "store/schema.h"
#include "support/process.h"
#include "support/store_fixture.h"

using gigasync::Integration;
using gigasync::PullStage;
using gigasync::Store;
using gigasync::StoreInternals;
using gigasync::test::TempDir;
using gigasync::test::open_store;
using gigasync::test::seed;

namespace {

Integration sample(const std::string& id, const std::string& city) {
  Integration o;
  o.id = id;
  o.set("name", "Acme " + id);
  o.set("type", "3");
  o.set("metadata", "{}");
  o.set("email", id + "@acme.example");
  o.set("recipient", "Acme AB");
  o.set("address_line_1", "Storgatan 1");
  o.set("zip_code", "111 22");
  o.set("city", city);
  return o;
}

// apply_plain inside the write lock, committed or (commit = false) rolled back.
PullStage::Applied apply(Store& store, PullStage& stage, std::int64_t watermark, std::vector<std::string>& with_changes,
                         bool commit = true) {
  Store::Txn txn(store);
  REQUIRE(txn.begin().ok());
  auto applied = stage.apply_plain(txn, watermark, with_changes);
  REQUIRE(applied.ok());
  if (commit) REQUIRE(txn.commit().ok());
  return applied.value();
}

// A whole pull of one page through the stage (stage, sort, prepare, apply, commit), as pull() does
// when no object has a local change.
PullStage::Applied pull_page(Store& store, const std::vector<Integration>& page) {
  auto stage = PullStage::open(store);
  REQUIRE(stage.ok());
  REQUIRE((*stage)->add_page(page).ok());
  REQUIRE((*stage)->finish_staging().ok());
  auto watermark = (*stage)->prepare_apply(false);
  REQUIRE(watermark.ok());
  std::vector<std::string> with_changes;
  auto applied = apply(store, **stage, watermark.value(), with_changes);
  CHECK(with_changes.empty());
  return applied;
}

std::string one(SQLite::Database& db, const std::string& sql) {
  SQLite::Statement q(db, sql);
  REQUIRE(q.executeStep());
  return q.getColumn(0).isNull() ? "<null>" : q.getColumn(0).getString();
}

}  // namespace

TEST_CASE("pull stage: an edit made between prepare_apply and the write lock is merged, not overwritten",
          "[store][pull]") {
  TempDir dir;
  auto store = open_store(dir);
  seed(*store, sample("a", "Stockholm"));
  seed(*store, sample("b", "Stockholm"));

  auto stage = PullStage::open(*store);
  REQUIRE(stage.ok());
  // The API changed both objects' city, and sends a new one.
  auto staged = (*stage)->add_page({sample("a", "Malmö"), sample("b", "Malmö"), sample("c", "Lund")});
  REQUIRE(staged.ok());
  CHECK(staged->staged == 3);
  REQUIRE((*stage)->finish_staging().ok());
  auto watermark = (*stage)->prepare_apply(false);
  REQUIRE(watermark.ok());

  // A person edits "b" (another connection) while the pull has not yet taken the write lock.
  SQLite::Database shell(dir.str("mirror.db"), SQLite::OPEN_READWRITE);
  shell.setBusyTimeout(5000);
  shell.exec("UPDATE integrations SET email = 'billing@b.example' WHERE id = 'b'");

  std::vector<std::string> with_changes;
  auto applied = apply(*store, **stage, watermark.value(), with_changes);

  // "a" and "c" were plain: copied, with history; "b" is left for the one-by-one merge.
  CHECK(applied.inserted == 1);
  CHECK(applied.updated == 1);
  CHECK(with_changes == std::vector<std::string>{"b"});
  auto& db = StoreInternals::db(*store);
  CHECK(one(db, "SELECT city FROM integrations WHERE id = 'a'") == "Malmö");
  CHECK(one(db, "SELECT city FROM integration_base WHERE id = 'a'") == "Malmö");
  CHECK(one(db, "SELECT city FROM integrations WHERE id = 'c'") == "Lund");
  // The edit of "b" stands, its base is untouched, and no history was written for it.
  CHECK(one(db, "SELECT email || ' ' || city FROM integrations WHERE id = 'b'") == "billing@b.example Stockholm");
  CHECK(one(db, "SELECT city FROM integration_base WHERE id = 'b'") == "Stockholm");
  CHECK(one(db, "SELECT count(*) FROM integration_changes WHERE source = 'remote' AND integration_id = 'b'") == "0");
  CHECK(one(db, "SELECT old_value || ' -> ' || new_value FROM integration_changes WHERE integration_id = 'a' AND "
                "field = 'city'") == "Stockholm -> Malmö");
  CHECK(one(db, "SELECT count(*) FROM integration_changes WHERE integration_id = 'c' AND op = 'insert'") == "1");
  // The edit is still queued to be pushed.
  CHECK(one(db, "SELECT count(*) FROM pending_changes WHERE integration_id = 'b' AND state = 'pending'") == "1");
}

TEST_CASE("pull stage: a first load writes no history, and a failed apply leaves the mirror as it was",
          "[store][pull]") {
  TempDir dir;
  auto store = open_store(dir);
  auto stage = PullStage::open(*store);
  REQUIRE(stage.ok());
  REQUIRE((*stage)->add_page({sample("z", "Umeå"), sample("y", "Luleå")}).ok());
  REQUIRE((*stage)->finish_staging().ok());
  auto watermark = (*stage)->prepare_apply(true);
  REQUIRE(watermark.ok());
  std::vector<std::string> with_changes;
  auto rolled_back = apply(*store, **stage, watermark.value(), with_changes, false);
  CHECK(rolled_back.inserted == 2);
  CHECK(with_changes.empty());
  auto& db = StoreInternals::db(*store);
  CHECK(one(db, "SELECT count(*) FROM integrations") == "0");
  CHECK(one(db, "SELECT count(*) FROM integration_base") == "0");
  CHECK(one(db, "SELECT count(*) FROM integration_changes") == "0");

  apply(*store, **stage, watermark.value(), with_changes);
  CHECK(one(db, "SELECT group_concat(id, ',') FROM (SELECT id FROM integrations ORDER BY id)") == "y,z");
  CHECK(one(db, "SELECT count(*) FROM integration_changes") == "0");
}

TEST_CASE("pull stage: an object listed twice is reported once and its last copy is the one applied",
          "[store][pull]") {
  TempDir dir;
  auto store = open_store(dir);
  seed(*store, sample("known", "Stockholm"));
  auto stage = PullStage::open(*store);
  REQUIRE(stage.ok());
  auto first = (*stage)->add_page({sample("new", "Lund"), sample("known", "Malmö")});
  REQUIRE(first.ok());
  CHECK(first->duplicates.empty());
  // Page drift: both objects appear again on a later page, changed meanwhile.
  auto second = (*stage)->add_page({sample("known", "Kiruna"), sample("new", "Visby")});
  REQUIRE(second.ok());
  CHECK(second->duplicates == std::vector<std::string>{"known"});  // known ids: seen by rowid at once
  auto repeated = (*stage)->finish_staging();
  REQUIRE(repeated.ok());
  CHECK(repeated.value() == std::vector<std::string>{"new"});  // new ids: found by the sort
  auto count = (*stage)->staged_count();
  REQUIRE(count.ok());
  CHECK(count.value() == 2);
  auto one_new = (*stage)->staged_one("new");
  REQUIRE(one_new.ok());
  REQUIRE(one_new->has_value());
  CHECK((*one_new)->get("city") == "Visby");
  auto one_known = (*stage)->staged_one("known");
  REQUIRE(one_known.ok());
  REQUIRE(one_known->has_value());
  CHECK((*one_known)->get("city") == "Kiruna");
  // The count is kept, not scanned: unstaging (a rename) lowers it, unstaging what is not staged does not.
  REQUIRE((*stage)->unstage("new").ok());
  REQUIRE((*stage)->unstage("never-listed").ok());
  auto after_unstage = (*stage)->staged_count();
  REQUIRE(after_unstage.ok());
  CHECK(after_unstage.value() == 1);
  // A second pull on the same connection starts from an empty stage.
  auto again = PullStage::open(*store);
  REQUIRE(again.ok());
  REQUIRE((*again)->finish_staging().ok());
  auto empty = (*again)->staged_count();
  REQUIRE(empty.ok());
  CHECK(empty.value() == 0);
}

TEST_CASE("pull stage: the bulk apply (triggers off while it runs) leaves the connection's triggers working",
          "[store][pull]") {
  TempDir dir;
  auto store = open_store(dir);
  seed(*store, sample("a", "Stockholm"));
  auto applied = pull_page(*store, {sample("a", "Malmö"), sample("n", "Lund")});
  CHECK(applied.inserted == 1);
  CHECK(applied.updated == 1);
  auto& db = StoreInternals::db(*store);
  CHECK(one(db, "SELECT count(*) FROM pending_changes") == "0");  // the pull's own writes are not edits
  // Every trigger a new mirror has is listed as gigasync's own, so the fast path (triggers off) is
  // the one taken unless a person adds a trigger.
  CHECK(one(db, std::string("SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name NOT IN ") +
                    gigasync::schema::own_triggers_sql()) == "0");
  // Capture and refusal (6) and write counters (6) on integrations and their base, and three
  // read-only guards per account mirror.
  CHECK(one(db, "SELECT count(*) FROM sqlite_master WHERE type = 'trigger'") ==
        std::to_string(12 + 3 * gigasync::account_resources().size()));
  CHECK(one(db, "SELECT city FROM integrations WHERE id = 'a'") == "Malmö");

  // The same connection, after the apply: its triggers capture and refuse again.
  db.exec("UPDATE integrations SET city = 'Visby' WHERE id = 'n'");
  CHECK(one(db, "SELECT op || ' ' || json_extract(payload, '$.city') FROM pending_changes") == "update Visby");
  CHECK_THROWS_WITH(db.exec("UPDATE integrations SET name = NULL WHERE id = 'a'"), Catch::Contains("name is required"));
}

TEST_CASE("store: a new mirror uses 16 KiB pages and the pull's TEMP tables 64 KiB; an existing mirror keeps its own",
          "[store][pull]") {
  TempDir dir;
  {
    auto store = open_store(dir);
    CHECK(one(StoreInternals::db(*store), "PRAGMA page_size") == "16384");
    auto stage = PullStage::open(*store);
    REQUIRE(stage.ok());
    CHECK(one(StoreInternals::db(*store), "PRAGMA temp.page_size") == "65536");
  }
  // A mirror made with 4 KiB pages (as before) is opened and written as it is.
  const std::string old_path = dir.str("old.db");
  {
    SQLite::Database old(old_path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    ::chmod(old_path.c_str(), 0600);
    old.exec("PRAGMA page_size = 4096");
    old.exec("CREATE TABLE t (x)");
  }
  auto old = Store::open(old_path);
  REQUIRE(old.ok());
  CHECK(one(StoreInternals::db(**old), "PRAGMA page_size") == "4096");
  seed(**old, sample("a", "Kiruna"));
  CHECK(one(StoreInternals::db(**old), "SELECT city FROM integrations") == "Kiruna");
}

TEST_CASE("pull stage: the per-object base look-up reads the covering index only, also after PRAGMA optimize",
          "[store][pull]") {
  TempDir dir;
  auto store = open_store(dir);
  for (int i = 0; i < 50; ++i) seed(*store, sample("id-" + std::to_string(i), "Kiruna"));
  auto& db = StoreInternals::db(*store);
  db.exec("ANALYZE");  // the statistics with which the planner had picked the primary key's index
  SQLite::Statement plan(db, std::string("EXPLAIN QUERY PLAN ") + gigasync::store::base_lookup_sql(gigasync::integrations_resource()));
  std::string details;
  while (plan.executeStep()) details += plan.getColumn(3).getString() + "; ";
  INFO(details);
  CHECK(details.find("USING COVERING INDEX integration_base_by_id_hash (id=?)") != std::string::npos);
}

TEST_CASE("pull stage: a trigger of a person's on the mirror fires for pulled rows (the bulk apply keeps triggers on)",
          "[store][pull]") {
  TempDir dir;
  auto store = open_store(dir);
  seed(*store, sample("a", "Stockholm"));
  {
    SQLite::Database shell(dir.str("mirror.db"), SQLite::OPEN_READWRITE);
    shell.exec("CREATE TABLE my_audit (id TEXT, city TEXT)");
    shell.exec("CREATE TRIGGER my_audit_insert AFTER INSERT ON integrations BEGIN "
               "INSERT INTO my_audit VALUES (NEW.id, NEW.city); END");
    shell.exec("CREATE TRIGGER my_audit_update AFTER UPDATE ON integrations BEGIN "
               "INSERT INTO my_audit VALUES (NEW.id, NEW.city); END");
  }
  pull_page(*store, {sample("a", "Malmö"), sample("n", "Lund")});
  auto& db = StoreInternals::db(*store);
  CHECK(one(db, "SELECT group_concat(id || '=' || city, ',') FROM (SELECT * FROM my_audit ORDER BY id)") ==
        "a=Malmö,n=Lund");
  CHECK(one(db, "SELECT count(*) FROM pending_changes") == "0");  // gigasync's own triggers stay quiet
}
