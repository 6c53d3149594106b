// The SQLite store: schema and migrations, and the triggers that turn people's SQL edits of
// `integrations` (made on another connection, as the sqlite3 shell would) into outbox rows.
#include <SQLiteCpp/SQLiteCpp.h>

#include <catch2/catch.hpp>
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <memory>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "gigasync/json.h"
#include "gigasync/store.h"
#include "store/internals.h"
#include "store/maintenance.h"
#include "support/process.h"
#include "support/outbox_text.h"
#include "support/store_fixture.h"

using gigasync::Change;
using gigasync::ExitCode;
using gigasync::Integration;
using gigasync::Store;
using gigasync::StoreInternals;
using gigasync::Table;
using gigasync::test::TempDir;
using gigasync::test::open_store;
using gigasync::test::seed;

namespace {

Integration sample(const std::string& id, long long type = 3) {
  Integration o;
  o.id = id;
  o.set("name", "Acme " + id);
  o.set("type", std::to_string(type));
  o.set("logo", "https://cdn.example/logo-" + id + ".png");
  o.set("metadata", R"({"team":"north"})");
  o.set("email", id + "@acme.example");
  o.set("recipient", "Acme AB");
  o.set("address_line_1", "Storgatan 1");
  o.set("address_line_2", std::nullopt);
  o.set("zip_code", "111 22");
  o.set("city", "Stockholm");
  return o;
}

// A second connection to the same file, as a person's sqlite3 shell.
std::unique_ptr<SQLite::Database> shell(const TempDir& dir) {
  auto db = std::make_unique<SQLite::Database>(dir.str("mirror.db"), SQLite::OPEN_READWRITE);
  db->setBusyTimeout(5000);
  return db;
}

std::vector<Change> all_changes(Store& store) {
  auto c = store.list_changes(true);
  REQUIRE(c.ok());
  return c.value();
}

// The message of the exception `sql` raises, or "" when it succeeds.
std::string refusal(SQLite::Database& db, const std::string& sql) {
  try {
    db.exec(sql);
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

// A JSON value inside a payload, via SQLite's json functions.
std::string json_type_of(Store& store, const std::string& payload, const std::string& field) {
  SQLite::Statement q(StoreInternals::db(store), "SELECT coalesce(json_type(?, ?), 'absent')");
  q.bind(1, payload);
  q.bind(2, "$." + field);
  REQUIRE(q.executeStep());
  return q.getColumn(0).getString();
}

std::string json_text_of(Store& store, const std::string& payload, const std::string& field) {
  SQLite::Statement q(StoreInternals::db(store), "SELECT json_extract(?, ?)");
  q.bind(1, payload);
  q.bind(2, "$." + field);
  REQUIRE(q.executeStep());
  return q.getColumn(0).isNull() ? "<null>" : q.getColumn(0).getString();
}

std::vector<std::string> sorted_fields(const std::string& payload) {
  auto f = gigasync::json::payload_fields(payload);
  std::sort(f.begin(), f.end());
  return f;
}

void update_change(Store& store, const Change& c) {
  Store::Txn txn(store);
  REQUIRE(txn.begin().ok());
  REQUIRE(txn.write_change(c).ok());
  REQUIRE(txn.commit().ok());
}

bool is_uuid4(const std::string& s) {
  static const std::regex re("^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$");
  return std::regex_match(s, re);
}

}  // namespace

// --- opening and migrations --------------------------------------------------------------------

TEST_CASE("Store::open creates the schema at the current user_version in WAL mode, commits durable", "[store]") {
  TempDir dir;
  auto store = open_store(dir);
  CHECK(StoreInternals::db(*store).execAndGet("PRAGMA user_version").getInt() == gigasync::kSchemaVersion);
  CHECK(gigasync::kSchemaVersion == 7);
  CHECK(StoreInternals::db(*store).execAndGet("PRAGMA journal_mode").getString() == "wal");
  // FULL: an in-flight mark survives a power cut
  CHECK(StoreInternals::db(*store).execAndGet("PRAGMA synchronous").getInt() == 2);
  for (const char* table : {"integrations", "integration_base", "pending_changes", "conflicts", "sync_runs",
                            "integration_changes"}) {
    INFO(table);
    SQLite::Statement q(StoreInternals::db(*store),
                        "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?");
    q.bind(1, table);
    REQUIRE(q.executeStep());
    CHECK(q.getColumn(0).getInt() == 1);
  }
}

TEST_CASE("Store::open creates the database's folder when it is missing", "[store]") {
  TempDir dir;
  auto path = dir.str("deep/er/mirror.db");
  auto s = Store::open(path);
  REQUIRE(s.ok());
  CHECK(std::filesystem::exists(path));
}

TEST_CASE("reopening a database is a no-op that keeps its rows", "[store]") {
  TempDir dir;
  {
    auto store = open_store(dir);
    seed(*store, sample("a"));
  }
  auto store = open_store(dir);
  CHECK(StoreInternals::db(*store).execAndGet("PRAGMA user_version").getInt() == gigasync::kSchemaVersion);
  auto all = store->load_all(Table::mirror);
  REQUIRE(all.ok());
  REQUIRE(all->size() == 1);
  CHECK(all->at("a") == sample("a"));
  CHECK(all_changes(*store).empty());
  CHECK(StoreInternals::db(*store)
            .execAndGet("SELECT count(*) FROM sqlite_master WHERE name = 'integrations_capture_update'")
            .getInt() == 1);
}

TEST_CASE("a database whose schema is newer than this build is refused", "[store]") {
  TempDir dir;
  {
    SQLite::Database db(dir.str("mirror.db"), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    db.exec("PRAGMA user_version = 99");
  }
  auto s = Store::open(dir.str("mirror.db"));
  REQUIRE_FALSE(s.ok());
  CHECK(s.error().code == ExitCode::software);
  CHECK_THAT(s.error().message, Catch::Contains("newer"));
}

TEST_CASE("a database that can not be created is ExitCode::cant_create", "[store]") {
  TempDir dir;
  std::filesystem::create_directories(dir.path / "db-is-a-folder.db");
  auto s = Store::open(dir.str("db-is-a-folder.db"));
  REQUIRE_FALSE(s.ok());
  CHECK(s.error().code == ExitCode::cant_create);
}

// --- UPDATE capture ----------------------------------------------------------------------------

TEST_CASE("an UPDATE queues one 'update' change with only the changed fields", "[store][capture]") {
  TempDir dir;
  auto store = open_store(dir);
  seed(*store, sample("a"));
  auto sh = shell(dir);
  sh->exec("UPDATE integrations SET name = 'Acme Renamed', city = 'Lund' WHERE id = 'a'");
  auto changes = all_changes(*store);
  REQUIRE(changes.size() == 1);
  const Change& c = changes[0];
  CHECK(c.integration_id == "a");
  CHECK(c.op == "update");
  CHECK(c.state == "pending");
  CHECK(c.attempts == 0);
  CHECK(sorted_fields(c.payload) == std::vector<std::string>{"city", "name"});
  CHECK(json_text_of(*store, c.payload, "name") == "Acme Renamed");
  CHECK(json_text_of(*store, c.payload, "city") == "Lund");
  CHECK(json_text_of(*store, c.base, "name") == "Acme a");  // the base holds the old values
  CHECK(is_uuid4(c.idempotency_key));
  CHECK_FALSE(c.created_at.empty());
}

TEST_CASE("an UPDATE of metadata queues it as a JSON object, not a string", "[store][capture]") {
  TempDir dir;
  auto store = open_store(dir);
  seed(*store, sample("a"));
  auto sh = shell(dir);
  sh->exec(R"(UPDATE integrations SET metadata = '{"team": "south", "n": [1, 2]}' WHERE id = 'a')");
  auto changes = all_changes(*store);
  REQUIRE(changes.size() == 1);
  CHECK(sorted_fields(changes[0].payload) == std::vector<std::string>{"metadata"});
  CHECK(json_type_of(*store, changes[0].payload, "metadata") == "object");
  CHECK(json_text_of(*store, changes[0].payload, "metadata.team") == "south");
}

TEST_CASE("an UPDATE to NULL queues a JSON null", "[store][capture]") {
  TempDir dir;
  auto store = open_store(dir);
  seed(*store, sample("a"));
  auto sh = shell(dir);
  sh->exec("UPDATE integrations SET logo = NULL WHERE id = 'a'");
  auto changes = all_changes(*store);
  REQUIRE(changes.size() == 1);
  CHECK(sorted_fields(changes[0].payload) == std::vector<std::string>{"logo"});
  CHECK(json_type_of(*store, changes[0].payload, "logo") == "null");
}

TEST_CASE("an UPDATE that changes nothing queues nothing", "[store][capture]") {
  TempDir dir;
  auto store = open_store(dir);
  seed(*store, sample("a"));
  auto sh = shell(dir);
  sh->exec("UPDATE integrations SET name = name, city = 'Stockholm' WHERE id = 'a'");
  CHECK(all_changes(*store).empty());
}

TEST_CASE("two UPDATEs before a push fold into one change with the same key", "[store][capture]") {
  TempDir dir;
  auto store = open_store(dir);
  seed(*store, sample("a"));
  auto sh = shell(dir);
  sh->exec("UPDATE integrations SET name = 'First' WHERE id = 'a'");
  auto first = all_changes(*store);
  REQUIRE(first.size() == 1);
  sh->exec("UPDATE integrations SET name = 'Second', zip_code = '222 33' WHERE id = 'a'");
  auto changes = all_changes(*store);
  REQUIRE(changes.size() == 1);
  CHECK(changes[0].id == first[0].id);
  CHECK(changes[0].idempotency_key == first[0].idempotency_key);
  CHECK(sorted_fields(changes[0].payload) == std::vector<std::string>{"name", "zip_code"});
  CHECK(json_text_of(*store, changes[0].payload, "name") == "Second");
  CHECK(json_text_of(*store, changes[0].payload, "zip_code") == "222 33");
}

TEST_CASE("an UPDATE after the change was sent queues a second change with another key", "[store][capture]") {
  TempDir dir;
  auto store = open_store(dir);
  seed(*store, sample("a"));
  auto sh = shell(dir);
  sh->exec("UPDATE integrations SET name = 'First' WHERE id = 'a'");
  auto first = all_changes(*store);
  REQUIRE(first.size() == 1);
  Change sent = first[0];
  SECTION("while it is in flight") {
    sent.state = gigasync::ChangeState::in_flight;
  }
  SECTION("while it waits for a retry") {
    sent.state = gigasync::ChangeState::pending;
  }
  sent.attempts = 1;
  sent.sent_body = sent.payload;
  update_change(*store, sent);
  sh->exec("UPDATE integrations SET city = 'Lund' WHERE id = 'a'");
  auto changes = all_changes(*store);
  REQUIRE(changes.size() == 2);
  CHECK(changes[0].payload == first[0].payload);  // the sent change's body is never changed
  CHECK(changes[0].sent_body == sent.sent_body);  // nor its frozen body
  CHECK(changes[0].idempotency_key == first[0].idempotency_key);
  CHECK(changes[1].op == "update");
  CHECK(changes[1].state == "pending");
  CHECK(changes[1].idempotency_key != changes[0].idempotency_key);
  CHECK(is_uuid4(changes[1].idempotency_key));
  CHECK(sorted_fields(changes[1].payload) == std::vector<std::string>{"city"});
}

TEST_CASE("a failed change is superseded by the next UPDATE, which carries its fields too", "[store][capture]") {
  TempDir dir;
  auto store = open_store(dir);
  seed(*store, sample("a"));
  auto sh = shell(dir);
  sh->exec("UPDATE integrations SET email = 'not@an.email' WHERE id = 'a'");
  auto first = all_changes(*store);
  REQUIRE(first.size() == 1);
  Change failed = first[0];
  failed.state = gigasync::ChangeState::failed;
  failed.attempts = 1;
  failed.sent_body = failed.payload;
  failed.last_error = "email: Enter a valid email address.";
  update_change(*store, failed);
  sh->exec("UPDATE integrations SET city = 'Lund' WHERE id = 'a'");
  auto changes = all_changes(*store);
  REQUIRE(changes.size() == 2);
  CHECK(changes[0].state == "superseded");
  CHECK_THAT(changes[0].last_error, Catch::Contains("superseded"));
  CHECK(changes[1].state == "pending");
  CHECK(changes[1].idempotency_key != changes[0].idempotency_key);
  CHECK(sorted_fields(changes[1].payload) == std::vector<std::string>{"city", "email"});
  CHECK(json_text_of(*store, changes[1].payload, "email") == "not@an.email");
}

TEST_CASE("a failed change is carried even when the next UPDATE folds into a newer unsent change",
          "[store][capture]") {
  // The push sends change 1 (name); meanwhile the user edits email (change 2, unsent). Change 1 comes
  // back 400 and is marked failed. The user's next edit folds into change 2, and change 1 is marked
  // done as superseded; its name must then travel in change 2, or it is never pushed.
  TempDir dir;
  auto store = open_store(dir);
  seed(*store, sample("a"));
  auto sh = shell(dir);
  sh->exec("UPDATE integrations SET name = 'Rejected Name' WHERE id = 'a'");
  Change one = all_changes(*store).at(0);
  one.state = gigasync::ChangeState::in_flight;
  one.attempts = 1;
  one.sent_body = one.payload;
  update_change(*store, one);
  sh->exec("UPDATE integrations SET email = 'new@acme.example' WHERE id = 'a'");
  one.state = gigasync::ChangeState::failed;
  one.last_error = "name: Ensure this field has no more than 10 characters.";
  update_change(*store, one);
  sh->exec("UPDATE integrations SET city = 'Lund' WHERE id = 'a'");
  auto changes = all_changes(*store);
  REQUIRE(changes.size() == 2);
  CHECK(changes[0].state == "superseded");
  CHECK(changes[1].state == "pending");
  // Every local field that differs from the base must still be on its way to the API.
  CHECK(sorted_fields(changes[1].payload) == std::vector<std::string>{"city", "email", "name"});
}

// --- INSERT and DELETE capture -----------------------------------------------------------------

TEST_CASE("an UPDATE of several rows queues one change per row", "[store][capture]") {
  TempDir dir;
  auto store = open_store(dir);
  seed(*store, sample("a"));
  seed(*store, sample("b"));
  seed(*store, sample("c"));
  auto sh = shell(dir);
  sh->exec("UPDATE integrations SET city = 'Kiruna' WHERE id IN ('a', 'c')");
  auto changes = all_changes(*store);
  REQUIRE(changes.size() == 2);
  CHECK(changes[0].integration_id != changes[1].integration_id);
  CHECK(changes[0].idempotency_key != changes[1].idempotency_key);
  for (const auto& c : changes) CHECK(sorted_fields(c.payload) == std::vector<std::string>{"city"});
}

TEST_CASE("an INSERT of a new id queues a 'create' of the whole object with defaults filled in", "[store][capture]") {
  TempDir dir;
  auto store = open_store(dir);
  auto sh = shell(dir);
  sh->exec("INSERT INTO integrations (id, name, email, recipient, address_line_1, zip_code, city) VALUES "
           "('new-1', 'Shop', 'shop@example.com', 'Shop AB', 'Gatan 2', '41101', 'Göteborg')");
  auto row = store->load_one(Table::mirror, "new-1");
  REQUIRE(row.ok());
  REQUIRE(row.value().has_value());
  CHECK(row.value()->get("type") == "3");
  CHECK(row.value()->get("metadata") == "{}");
  auto changes = all_changes(*store);
  REQUIRE(changes.size() == 1);
  const Change& c = changes[0];
  CHECK(c.integration_id == "new-1");
  CHECK(c.op == "create");
  CHECK(c.state == "pending");
  CHECK(is_uuid4(c.idempotency_key));
  CHECK(sorted_fields(c.payload).size() == gigasync::integration_fields().size());
  CHECK(json_text_of(*store, c.payload, "id") == "new-1");
  CHECK(json_text_of(*store, c.payload, "type") == "3");
  CHECK(json_type_of(*store, c.payload, "metadata") == "object");
  CHECK(json_type_of(*store, c.payload, "logo") == "null");
  CHECK(json_text_of(*store, c.payload, "city") == "Göteborg");
  // The payload describes exactly the row now in the mirror.
  Integration from_payload;
  REQUIRE(gigasync::json::apply_payload(c.payload, from_payload).ok());
  CHECK(from_payload == row.value().value());
}

TEST_CASE("an INSERT with a NULL id gets a uuid4 id", "[store][capture]") {
  TempDir dir;
  auto store = open_store(dir);
  auto sh = shell(dir);
  sh->exec("INSERT INTO integrations (id, name, email, recipient, address_line_1, zip_code, city) VALUES "
           "(NULL, 'Shop', 'shop@example.com', 'Shop AB', 'Gatan 2', '41101', 'Göteborg')");
  auto all = store->load_all(Table::mirror);
  REQUIRE(all.ok());
  REQUIRE(all->size() == 1);
  const std::string id = all->begin()->first;
  CHECK(is_uuid4(id));
  auto changes = all_changes(*store);
  REQUIRE(changes.size() == 1);
  CHECK(changes[0].integration_id == id);
  CHECK(changes[0].op == "create");
  CHECK(json_text_of(*store, changes[0].payload, "id") == id);
}

TEST_CASE("an UPDATE of a row whose create is not pushed yet folds into the create", "[store][capture]") {
  TempDir dir;
  auto store = open_store(dir);
  auto sh = shell(dir);
  sh->exec("INSERT INTO integrations (id, name, email, recipient, address_line_1, zip_code, city) VALUES "
           "('new-1', 'Shop', 'shop@example.com', 'Shop AB', 'Gatan 2', '41101', 'Göteborg')");
  sh->exec("UPDATE integrations SET name = 'Shop Renamed' WHERE id = 'new-1'");
  auto changes = all_changes(*store);
  REQUIRE(changes.size() == 1);
  CHECK(changes[0].op == "create");
  CHECK(json_text_of(*store, changes[0].payload, "name") == "Shop Renamed");
  CHECK(json_text_of(*store, changes[0].payload, "city") == "Göteborg");
}

TEST_CASE("INSERT OR REPLACE of an id the remote has queues a 'replace'", "[store][capture]") {
  TempDir dir;
  auto store = open_store(dir);
  seed(*store, sample("a"));
  auto sh = shell(dir);
  sh->exec("INSERT OR REPLACE INTO integrations (id, name, type, metadata, email, recipient, address_line_1, zip_code, city) "
           "VALUES ('a', 'Replaced', 3, '{\"v\":2}', 'r@acme.example', 'R AB', 'Ny väg 3', '11122', 'Sthlm')");
  auto changes = all_changes(*store);
  REQUIRE(changes.size() == 1);
  CHECK(changes[0].op == "replace");
  CHECK(changes[0].integration_id == "a");
  CHECK(json_text_of(*store, changes[0].payload, "name") == "Replaced");
  CHECK(json_type_of(*store, changes[0].payload, "logo") == "null");  // the whole row, logo dropped
  CHECK(json_text_of(*store, changes[0].base, "name") == "Acme a");
}

TEST_CASE("INSERT OR REPLACE of a local insert that was never pushed queues one create", "[store][capture]") {
  TempDir dir;
  auto store = open_store(dir);
  auto sh = shell(dir);
  sh->exec("INSERT INTO integrations (id, name, email, recipient, address_line_1, zip_code, city) VALUES "
           "('new-1', 'Shop', 'shop@example.com', 'Shop AB', 'Gatan 2', '41101', 'Göteborg')");
  sh->exec("INSERT OR REPLACE INTO integrations (id, name, email, recipient, address_line_1, zip_code, city) VALUES "
           "('new-1', 'Shop 2', 'shop@example.com', 'Shop AB', 'Gatan 2', '41101', 'Göteborg')");
  auto live = store->list_changes(false);
  REQUIRE(live.ok());
  REQUIRE(live->size() == 1);
  CHECK(live->at(0).op == "create");
  CHECK(json_text_of(*store, live->at(0).payload, "name") == "Shop 2");
}

TEST_CASE("a DELETE queues a 'delete'", "[store][capture]") {
  TempDir dir;
  auto store = open_store(dir);
  seed(*store, sample("a"));
  auto sh = shell(dir);
  sh->exec("DELETE FROM integrations WHERE id = 'a'");
  auto changes = all_changes(*store);
  REQUIRE(changes.size() == 1);
  CHECK(changes[0].op == "delete");
  CHECK(changes[0].integration_id == "a");
  CHECK(changes[0].state == "pending");
  CHECK(is_uuid4(changes[0].idempotency_key));
  CHECK(json_text_of(*store, changes[0].base, "name") == "Acme a");
}

TEST_CASE("a DELETE drops the row's unsent update instead of sending it first", "[store][capture]") {
  TempDir dir;
  auto store = open_store(dir);
  seed(*store, sample("a"));
  auto sh = shell(dir);
  sh->exec("UPDATE integrations SET name = 'Soon gone' WHERE id = 'a'");
  sh->exec("DELETE FROM integrations WHERE id = 'a'");
  auto changes = all_changes(*store);
  REQUIRE(changes.size() == 2);
  CHECK(changes[0].op == "update");
  CHECK(changes[0].state == "superseded");
  CHECK(changes[1].op == "delete");
  CHECK(changes[1].state == "pending");
}

TEST_CASE("a DELETE of a local insert that was never pushed queues no delete", "[store][capture]") {
  TempDir dir;
  auto store = open_store(dir);
  auto sh = shell(dir);
  sh->exec("INSERT INTO integrations (id, name, email, recipient, address_line_1, zip_code, city) VALUES "
           "('tmp', 'Shop', 'shop@example.com', 'Shop AB', 'Gatan 2', '41101', 'Göteborg')");
  sh->exec("DELETE FROM integrations WHERE id = 'tmp'");
  auto changes = all_changes(*store);
  REQUIRE(changes.size() == 1);
  CHECK(changes[0].op == "create");
  CHECK(changes[0].state == "superseded");
  auto live = store->list_changes(false);
  REQUIRE(live.ok());
  CHECK(live->empty());
}

TEST_CASE("a DELETE of a local insert whose create was already sent queues a delete", "[store][capture]") {
  TempDir dir;
  auto store = open_store(dir);
  auto sh = shell(dir);
  sh->exec("INSERT INTO integrations (id, name, email, recipient, address_line_1, zip_code, city) VALUES "
           "('tmp', 'Shop', 'shop@example.com', 'Shop AB', 'Gatan 2', '41101', 'Göteborg')");
  Change create = all_changes(*store).at(0);
  create.state = gigasync::ChangeState::in_flight;
  create.attempts = 1;
  create.sent_body = create.payload;
  update_change(*store, create);
  sh->exec("DELETE FROM integrations WHERE id = 'tmp'");
  auto changes = all_changes(*store);
  REQUIRE(changes.size() == 2);
  CHECK(changes[1].op == "delete");
  CHECK(changes[1].state == "pending");
}

TEST_CASE("deleting and inserting a synced row again queues a 'replace' and drops the delete", "[store][capture]") {
  TempDir dir;
  auto store = open_store(dir);
  seed(*store, sample("a"));
  auto sh = shell(dir);
  sh->exec("DELETE FROM integrations WHERE id = 'a'");
  sh->exec("INSERT INTO integrations (id, name, email, recipient, address_line_1, zip_code, city) VALUES "
           "('a', 'Back', 'b@acme.example', 'Acme AB', 'Storgatan 1', '11122', 'Sthlm')");
  auto live = store->list_changes(false);
  REQUIRE(live.ok());
  REQUIRE(live->size() == 1);
  CHECK(live->at(0).op == "replace");
  CHECK(json_text_of(*store, live->at(0).payload, "name") == "Back");
}

// --- refusals ----------------------------------------------------------------------------------

namespace {

// Runs `sql` on the shell, expects a "gigasync:" refusal, and checks that nothing was queued and the
// mirror is as it was.
void expect_refused(const std::string& sql, const std::string& expected_words) {
  TempDir dir;
  auto store = open_store(dir);
  seed(*store, sample("web", 1));
  seed(*store, sample("invoice", 2));
  seed(*store, sample("custom", 3));
  auto before = store->load_all(Table::mirror);
  REQUIRE(before.ok());
  auto sh = shell(dir);
  INFO(sql);
  std::string message = refusal(*sh, sql);
  CHECK_THAT(message, Catch::StartsWith("gigasync:"));
  CHECK_THAT(message, Catch::Contains(expected_words));
  CHECK(all_changes(*store).empty());
  auto after = store->load_all(Table::mirror);
  REQUIRE(after.ok());
  CHECK(after.value() == before.value());
}

std::string insert_without(const std::string& field) {
  const std::vector<std::pair<std::string, std::string>> values = {
      {"id", "'n'"},      {"name", "'N'"},           {"email", "'n@example.com'"}, {"recipient", "'N AB'"},
      {"address_line_1", "'Gatan 1'"}, {"zip_code", "'11122'"}, {"city", "'Sthlm'"}};
  std::string cols, vals;
  for (const auto& [c, v] : values) {
    if (c == field) continue;
    cols += (cols.empty() ? "" : ", ") + c;
    vals += (vals.empty() ? "" : ", ") + v;
  }
  return "INSERT INTO integrations (" + cols + ") VALUES (" + vals + ")";
}

}  // namespace

TEST_CASE("changing an id to one another integration has is refused and nothing is queued", "[store][refuse]") {
  expect_refused("UPDATE integrations SET id = 'web' WHERE id = 'custom'", "id");
}

TEST_CASE("an UPDATE of the id queues a rename that carries the new id", "[store][capture]") {
  TempDir dir;
  auto store = open_store(dir);
  seed(*store, sample("a"));
  auto sh = shell(dir);
  sh->exec("UPDATE integrations SET id = 'b', city = 'Lund' WHERE id = 'a'");
  auto changes = all_changes(*store);
  REQUIRE(changes.size() == 1);
  CHECK(changes[0].integration_id == "a");  // the id the API knows until the rename is pushed
  CHECK(sorted_fields(changes[0].payload) == std::vector<std::string>{"city", "id"});
  CHECK(StoreInternals::db(*store).execAndGet("SELECT new_id FROM local_renames WHERE old_id = 'a'").getString() ==
        "b");
  sh->exec("UPDATE integrations SET zip_code = '22100' WHERE id = 'b'");
  changes = all_changes(*store);
  REQUIRE(changes.size() == 1);  // folded into the same change, still under the API's id
  CHECK(sorted_fields(changes[0].payload) == std::vector<std::string>{"city", "id", "zip_code"});
  sh->exec("UPDATE integrations SET id = 'a' WHERE id = 'b'");  // renamed back
  CHECK(StoreInternals::db(*store).execAndGet("SELECT count(*) FROM local_renames").getInt() == 0);
  CHECK(sorted_fields(all_changes(*store)[0].payload) == std::vector<std::string>{"city", "zip_code"});
}

TEST_CASE("changing a type is refused and nothing is queued", "[store][refuse]") {
  expect_refused("UPDATE integrations SET type = 1 WHERE id = 'custom'", "type");
}

TEST_CASE("any UPDATE of a type 2 integration is refused", "[store][refuse]") {
  expect_refused("UPDATE integrations SET name = 'Mine now' WHERE id = 'invoice'", "type 2");
}

TEST_CASE("deleting the type 1 integration is refused", "[store][refuse]") {
  expect_refused("DELETE FROM integrations WHERE id = 'web'", "type 1");
}

TEST_CASE("deleting a type 2 integration is refused", "[store][refuse]") {
  expect_refused("DELETE FROM integrations WHERE id = 'invoice'", "type 2");
}

TEST_CASE("metadata that is a JSON array is refused", "[store][refuse]") {
  expect_refused("UPDATE integrations SET metadata = '[1]' WHERE id = 'custom'", "metadata");
}

TEST_CASE("metadata that is not JSON is refused", "[store][refuse]") {
  expect_refused("UPDATE integrations SET metadata = 'not json' WHERE id = 'custom'", "metadata");
}

TEST_CASE("an INSERT with metadata that is not an object is refused", "[store][refuse]") {
  expect_refused("INSERT INTO integrations (id, name, metadata, email, recipient, address_line_1, zip_code, city) "
                 "VALUES ('n', 'N', '\"text\"', 'n@example.com', 'N AB', 'G 1', '11122', 'Sthlm')",
                 "metadata");
}

TEST_CASE("setting a required field to NULL is refused", "[store][refuse]") {
  expect_refused("UPDATE integrations SET email = NULL WHERE id = 'custom'", "email");
}

TEST_CASE("an INSERT missing any required field is refused, naming the field", "[store][refuse]") {
  for (const char* f : {"name", "email", "recipient", "address_line_1", "zip_code", "city"}) {
    expect_refused(insert_without(f), f);
  }
}

TEST_CASE("an INSERT of a new integration with a type other than 3 is refused", "[store][refuse]") {
  expect_refused("INSERT INTO integrations (id, name, type, email, recipient, address_line_1, zip_code, city) "
                 "VALUES ('n', 'N', 1, 'n@example.com', 'N AB', 'G 1', '11122', 'Sthlm')",
                 "type");
}

TEST_CASE("an INSERT OR REPLACE over a type 2 integration is refused", "[store][refuse]") {
  expect_refused("INSERT OR REPLACE INTO integrations (id, name, email, recipient, address_line_1, zip_code, city) "
                 "VALUES ('invoice', 'N', 'n@example.com', 'N AB', 'G 1', '11122', 'Sthlm')",
                 "type 2");
}

// --- gigasync's own writes ---------------------------------------------------------------------

TEST_CASE("gigasync's own writes through Store::Txn are not captured", "[store][capture]") {
  TempDir dir;
  auto store = open_store(dir);
  seed(*store, sample("a"));
  {
    Store::Txn txn(*store);
    REQUIRE(txn.begin().ok());
    Integration changed = sample("a");
    changed.set("name", "Renamed by the API");
    REQUIRE(txn.upsert(Table::mirror, changed).ok());
    REQUIRE(txn.upsert(Table::mirror, sample("b")).ok());
    REQUIRE(txn.upsert(Table::mirror, sample("invoice", 2)).ok());
    REQUIRE(txn.remove(Table::mirror, "invoice").ok());
    REQUIRE(txn.remove(Table::mirror, "b").ok());
    REQUIRE(txn.commit().ok());
  }
  CHECK(all_changes(*store).empty());
  auto a = store->load_one(Table::mirror, "a");
  REQUIRE(a.ok());
  REQUIRE(a.value().has_value());
  CHECK(a.value()->get("name") == "Renamed by the API");
  // Capturing is back on for everyone else after the commit.
  auto sh = shell(dir);
  sh->exec("UPDATE integrations SET city = 'Lund' WHERE id = 'a'");
  CHECK(all_changes(*store).size() == 1);
}

TEST_CASE("a Store::Txn that is not committed leaves nothing behind and capturing on", "[store][capture]") {
  TempDir dir;
  auto store = open_store(dir);
  seed(*store, sample("a"));
  {
    Store::Txn txn(*store);
    REQUIRE(txn.begin().ok());
    REQUIRE(txn.upsert(Table::mirror, sample("b")).ok());
  }
  auto b = store->load_one(Table::mirror, "b");
  REQUIRE(b.ok());
  CHECK_FALSE(b.value().has_value());
  CHECK(StoreInternals::db(*store).execAndGet("SELECT applying FROM gigasync_control").getInt() == 0);
  auto sh = shell(dir);
  sh->exec("UPDATE integrations SET city = 'Lund' WHERE id = 'a'");
  CHECK(all_changes(*store).size() == 1);
}

// --- reports -----------------------------------------------------------------------------------

namespace {

using Rows = std::vector<std::vector<std::string>>;

// The rows of `sql`, every value as text ("<null>" for NULL), as a person's sqlite3 shell reads them.
Rows rows_of(SQLite::Database& db, const std::string& sql) {
  SQLite::Statement q(db, sql);
  Rows out;
  while (q.executeStep()) {
    std::vector<std::string> row;
    for (int i = 0; i < q.getColumnCount(); ++i)
      row.push_back(q.getColumn(i).isNull() ? "<null>" : q.getColumn(i).getString());
    out.push_back(std::move(row));
  }
  return out;
}

}  // namespace

TEST_CASE("every report view shows the rows it reports", "[store][report]") {
  TempDir dir;
  auto store = open_store(dir);
  seed(*store, sample("web", 1));
  seed(*store, sample("invoice", 2));
  seed(*store, sample("a"));
  seed(*store, sample("b"));
  auto sh = shell(dir);
  // Two local edits: a's stays pending, b's is sent and refused (failed).
  sh->exec("UPDATE integrations SET city = 'Lund' WHERE id = 'a'");
  sh->exec("UPDATE integrations SET email = 'not@an.email' WHERE id = 'b'");
  auto changes = all_changes(*store);
  REQUIRE(changes.size() == 2);
  REQUIRE(changes[0].integration_id == "a");
  REQUIRE(changes[1].integration_id == "b");
  const std::string a_change = std::to_string(changes[0].id), b_change = std::to_string(changes[1].id);
  Change failed = changes[1];
  failed.state = gigasync::ChangeState::failed;
  failed.attempts = 1;
  failed.sent_body = failed.payload;
  failed.last_error = "email: Enter a valid email address.";
  update_change(*store, failed);

  // History older than the 7 days the report shows, then what a cycle records.
  StoreInternals::db(*store).exec(
      "INSERT INTO integration_changes (at, integration_id, source, op, field, old_value, new_value) "
      "VALUES (strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-8 days'), 'a', 'remote', 'update', 'name', 'Old', 'Acme a')");
  long long conflict_id = 0;
  {
    Store::Txn txn(*store);
    REQUIRE(txn.begin().ok());
    auto opened = txn.record_conflict(gigasync::make_conflict("a", "city", "Stockholm", "Lund", "Malmö"));
    REQUIRE(opened.ok());
    conflict_id = opened.value();
    auto resolved = gigasync::make_conflict("b", "name", "Acme b", "Local b", "Remote b");
    resolved.resolution = "kept local";
    REQUIRE(txn.record_conflict(resolved).ok());  // resolved: not an open conflict
    gigasync::HistoryEntry field;
    field.integration_id = "a";
    field.source = "remote";
    field.op = "update";
    field.field = "zip_code";
    field.old_value = "111 22";
    field.new_value = "222 33";
    REQUIRE(txn.add_history(field).ok());
    gigasync::HistoryEntry gone;  // a whole-row delete of an integration no longer in the mirror
    gone.integration_id = "gone";
    gone.source = "remote";
    gone.op = "delete";
    gone.old_value = R"({"name":"Gone AB","city":"Lund"})";
    REQUIRE(txn.add_history(gone).ok());
    REQUIRE(txn.commit().ok());
  }

  // Two finished runs and one still running.
  auto pull = store->begin_run("pull");
  REQUIRE(pull.ok());
  gigasync::RunRecord run;
  run.id = pull.value();
  run.status = "ok";
  run.fetched = 4;
  run.inserted = 4;
  REQUIRE(store->finish_run(run).ok());
  auto full = store->begin_run("full");
  REQUIRE(full.ok());
  run = gigasync::RunRecord{};
  run.id = full.value();
  run.status = "partial";
  run.fetched = 4;
  run.updated = 1;
  run.deleted = 1;
  run.pushed = 1;
  run.push_failed = 1;
  run.conflicts = 1;
  run.error = "1 change failed";
  REQUIRE(store->finish_run(run).ok());
  auto running = store->begin_run("push");
  REQUIRE(running.ok());

  std::set<std::string> checked;  // the views this test reads
  auto rows = [&](const std::string& view, const std::string& columns, const std::string& order = "") {
    checked.insert(view);
    return rows_of(*sh, "SELECT " + columns + " FROM " + view + order);
  };

  {  // report_integrations_by_type
    CHECK(rows("report_integrations_by_type", "type, kind, integrations", " ORDER BY type") ==
          Rows{{"1", "web app", "1"}, {"2", "invoice", "1"}, {"3", "custom", "2"}});
  }
  // A payload as "field=value" pairs: the fields the change sends, with their values.
  const std::string payload = "(SELECT group_concat(key || '=' || value, ', ') FROM json_each(payload))";
  {  // report_pending_changes: every active change, with its op, state and payload
    CHECK(rows("report_pending_changes", "id, integration_id, name, op, state, attempts, last_error, " + payload) ==
          Rows{{a_change, "a", "Acme a", "update", "pending", "0", "<null>", "city=Lund"},
               {b_change, "b", "Acme b", "update", "failed", "1", "email: Enter a valid email address.",
                "email=not@an.email"}});
  }
  {  // report_failed_changes: the failed change with its last error
    CHECK(rows("report_failed_changes", "id, integration_id, name, op, last_error, updated_at IS NOT NULL, " + payload) ==
          Rows{{b_change, "b", "Acme b", "update", "email: Enter a valid email address.", "1", "email=not@an.email"}});
  }
  {  // report_open_conflicts: the open conflict with its three values, not the resolved one
    CHECK(rows("report_open_conflicts",
               "id, integration_id, name, field, base_value, local_value, remote_value, detected_at IS NOT NULL") ==
          Rows{{std::to_string(conflict_id), "a", "Acme a", "city", "Stockholm", "Lund", "Malmö", "1"}});
  }
  {  // report_recent_history: the last 7 days, field by field, a deleted integration by its last name
    CHECK(rows("report_recent_history", "integration_id, name, source, op, field, old_value, new_value") ==
          Rows{{"gone", "Gone AB", "remote", "delete", "city", "Lund", "<null>"},
               {"gone", "Gone AB", "remote", "delete", "name", "Gone AB", "<null>"},
               {"a", "Acme a", "remote", "update", "zip_code", "111 22", "222 33"}});
  }
  {  // report_sync_health: every run, newest first, with its counts and how long it took
    const std::string columns = "id, mode, status, fetched, inserted, updated, deleted, pushed, push_failed, conflicts, "
                                "error, started_at IS NOT NULL, finished_at >= started_at, seconds >= 0";
    CHECK(rows("report_sync_health", columns) ==
          Rows{{std::to_string(running.value()), "push", "running", "0", "0", "0", "0", "0", "0", "0", "<null>", "1",
                "<null>", "<null>"},
               {std::to_string(full.value()), "full", "partial", "4", "0", "1", "1", "1", "1", "1", "1 change failed", "1",
                "1", "1"},
               {std::to_string(pull.value()), "pull", "ok", "4", "4", "0", "0", "0", "0", "0", "<null>", "1", "1", "1"}});
  }
  // Every report view is one of those read above: a new one needs its rows checked here too. (The
  // account's report views are checked in tests/unit/report_views_test.cpp, which lists them.)
  std::set<std::string> views;
  for (const auto& row : rows_of(*sh, "SELECT name FROM sqlite_master WHERE type = 'view' AND name LIKE 'report\\_%' "
                                      "ESCAPE '\\' AND name NOT IN ('report_payouts', 'report_payruns', "
                                      "'report_invoices', 'report_account_summary')"))
    views.insert(row[0]);
  INFO("the report views in the schema, and those whose rows this test checks");
  CHECK(views == checked);
}

TEST_CASE("maintain deletes history (the account's too), runs, settled changes and resolved conflicts older than the retention",
          "[store][retention]") {
  TempDir dir;
  auto store = open_store(dir);
  auto& db = StoreInternals::db(*store);
  const std::string old_at = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-200 days')";
  db.exec("INSERT INTO integration_changes (at, integration_id, source, op) VALUES (" + old_at + ", 'a', 'remote', 'insert')");
  db.exec("INSERT INTO integration_changes (integration_id, source, op) VALUES ('b', 'remote', 'insert')");
  db.exec("INSERT INTO account_changes (at, resource, integration_id, object_id, op) VALUES (" + old_at +
          ", 'payouts', 'a', 'p1', 'insert'), (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), 'payouts', 'a', 'p2', 'insert')");
  db.exec("INSERT INTO sync_runs (started_at, finished_at, mode, status) VALUES (" + old_at + ", " + old_at + ", 'full', 'ok')");
  db.exec("INSERT INTO sync_runs (started_at, finished_at, mode, status) VALUES (" + old_at + ", " + old_at + ", 'full', 'failed')");
  db.exec("INSERT INTO pending_changes (integration_id, op, idempotency_key, state, updated_at) VALUES "
          "('a', 'update', 'k1', 'done', " + old_at + "), ('a', 'update', 'k2', 'failed', " + old_at + ")");
  db.exec("INSERT INTO conflicts (integration_id, field, resolved_at, resolution) VALUES ('a', 'city', " + old_at +
          ", 'kept local'), ('a', 'name', NULL, NULL)");
  SECTION("0 keeps everything") {
    auto n = store->maintain(0);
    REQUIRE(n.ok());
    CHECK(n.value() == 0);
    CHECK(db.execAndGet("SELECT count(*) FROM integration_changes").getInt() == 2);
  }
  SECTION("90 days deletes what is older, keeps the rest and the last successful run") {
    auto n = store->maintain(90);
    REQUIRE(n.ok());
    CHECK(db.execAndGet("SELECT count(*) FROM integration_changes").getInt() == 1);
    CHECK(db.execAndGet("SELECT group_concat(object_id) FROM account_changes").getString() == "p2");
    CHECK(db.execAndGet("SELECT group_concat(status) FROM sync_runs").getString() == "ok");  // the last success stays
    CHECK(db.execAndGet("SELECT group_concat(state) FROM pending_changes").getString() == "failed");  // active stays
    CHECK(db.execAndGet("SELECT group_concat(field) FROM conflicts").getString() == "name");  // open stays
    CHECK(n.value() == 5);
  }
}

TEST_CASE("the retention after each cycle finds old rows through indexes, never by reading whole tables",
          "[store][retention]") {
  TempDir dir;
  auto store = open_store(dir);
  auto statements = gigasync::store::retention_statements(90);
  REQUIRE(statements.size() == 5);
  for (const auto& sql : statements) {
    SQLite::Statement plan(StoreInternals::db(*store), "EXPLAIN QUERY PLAN " + sql);
    std::string details;
    while (plan.executeStep()) details += plan.getColumn(3).getString() + "; ";
    INFO(sql << "\n  plan: " << details);
    CHECK(details.find("SCAN") == std::string::npos);
    // The cutoff bounds the index range itself (not only a filter on rows the index found).
    CHECK(details.find("<?)") != std::string::npos);
  }
}

TEST_CASE("the self-check reads a snapshot: it sees a committed divergence while someone else holds the write lock",
          "[store][self-check]") {
  TempDir dir;
  auto store = open_store(dir);
  seed(*store, sample("a"));
  auto sh = shell(dir);
  // An uncaptured write (as a bug would make), committed: the self-check must name it.
  sh->exec("BEGIN; UPDATE gigasync_control SET applying = 1; UPDATE integrations SET city = 'Lost' WHERE id = 'a'; "
           "UPDATE gigasync_control SET applying = 0; COMMIT;");
  // Now a person's transaction holds the write lock and has not committed.
  sh->exec("BEGIN IMMEDIATE; UPDATE integrations SET email = 'open@acme.example' WHERE id = 'a';");
  const auto started = std::chrono::steady_clock::now();
  auto d = store->divergences();
  const auto waited = std::chrono::steady_clock::now() - started;
  sh->exec("ROLLBACK");
  REQUIRE(d.ok());
  CHECK(waited < std::chrono::seconds(2));  // a write transaction would wait the 30 s busy timeout
  REQUIRE(d->size() == 1);
  CHECK(d->front().integration_id == "a");
  CHECK(d->front().fields == std::vector<std::string>{"city"});
}
