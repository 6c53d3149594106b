// Schema version 5 on a database made by version 4: settled outbox rows get the state their
// recorded reason implies, ids and the AUTOINCREMENT sequence are kept, capture still works, and
// the base gains its unknown_fields column.
#include <SQLiteCpp/SQLiteCpp.h>

#include <catch2/catch.hpp>

#include "gigasync/store.h"
#include "store/internals.h"
#include "store/schema.h"
#include "support/process.h"

using gigasync::Store;
using gigasync::StoreInternals;
using gigasync::test::TempDir;

TEST_CASE("a version 4 database migrates to 5 keeping its outbox, with settled states", "[store][migration]") {
  TempDir dir;
  std::string path = dir.str("v4.db");
  {
    SQLite::Database db(path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    const auto& steps = gigasync::schema::migrations();
    REQUIRE(steps.size() == static_cast<size_t>(gigasync::kSchemaVersion));
    for (int v = 0; v < 4; ++v) db.exec(steps[static_cast<size_t>(v)]);
    db.exec("PRAGMA user_version = 4");
    auto row = [&](int id, const char* state, const char* why) {
      SQLite::Statement q(db, "INSERT INTO pending_changes (id, integration_id, op, payload, idempotency_key, state, "
                              "last_error) VALUES (?, 'a', 'update', '{\"city\":\"X\"}', ?, ?, ?)");
      q.bind(1, id);
      q.bind(2, "key-" + std::to_string(id));
      q.bind(3, state);
      q.bind(4, why);
      q.exec();
    };
    row(1, "done", "");
    row(2, "done", "discarded by hand");
    row(3, "done", "retried after: name: Ensure this field has no more than 255 characters.");
    row(4, "done", "superseded by change 5: ");
    row(5, "failed", "name: too long");
    row(9, "done", "abandoned: the API's city was kept; the rest is queued again");
    db.exec("DELETE FROM pending_changes WHERE id = 9");  // retention took the newest: its id is still used
  }
  auto store = Store::open(path);
  INFO((store ? "" : store.error().message));
  REQUIRE(store);
  auto& db = StoreInternals::db(**store);
  CHECK(db.execAndGet("PRAGMA user_version").getInt() == gigasync::kSchemaVersion);
  auto state = [&](int id) {
    return db.execAndGet("SELECT state FROM pending_changes WHERE id = " + std::to_string(id)).getString();
  };
  CHECK(state(1) == "done");
  CHECK(state(2) == "discarded");
  CHECK(state(3) == "superseded");
  CHECK(state(4) == "superseded");
  CHECK(state(5) == "failed");
  // The sequence went with the table: a new row gets an id after 9, never a reused one.
  db.exec("INSERT INTO integrations (id, name, type, metadata, email, recipient, address_line_1, zip_code, city) "
          "VALUES ('n1', 'N', 3, '{}', 'n@x.se', 'N', 'Väg 1', '1', 'Ort')");
  CHECK(db.execAndGet("SELECT max(id) FROM pending_changes").getInt() == 10);
  CHECK(db.execAndGet("SELECT count(*) FROM pragma_table_info('integration_base') WHERE name = 'unknown_fields'").getInt() == 1);
  CHECK(db.execAndGet("SELECT count(*) FROM pragma_table_info('integrations') WHERE name = 'unknown_fields'").getInt() == 0);
  // A state the constraint does not know is still refused.
  CHECK_THROWS(db.exec("UPDATE pending_changes SET state = 'gone' WHERE id = 1"));
  CHECK(db.execAndGet("PRAGMA integrity_check").getString() == "ok");
  CHECK(db.execAndGet("SELECT count(*) FROM report_pending_changes").getInt() == 2);  // failed 5 and the new 10
}
