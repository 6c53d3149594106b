// The outbox's states and moves (include/gigasync/change.h): the table kMoves is complete and
// consistent, and the capture triggers in the database take their state lists from it.
#include <SQLiteCpp/SQLiteCpp.h>

#include <catch2/catch.hpp>
#include <iterator>
#include <set>
#include <string>
#include <vector>

#include "gigasync/change.h"
#include "gigasync/store.h"
#include "store/internals.h"
#include "support/fake_remote.h"
#include "support/process.h"

using gigasync::ChangeState;
using gigasync::kActiveStates;
using gigasync::kChangeStates;
using gigasync::kMoves;
using gigasync::kSendableStates;
using gigasync::kSettledStates;
using gigasync::Move;
using gigasync::rule;
using gigasync::sql_literal;
using gigasync::sql_may_make;
using gigasync::Store;
using gigasync::StoreInternals;
using gigasync::test::TempDir;

namespace {

// Every Move, by its value: the enum's last member is drop_field (change.h).
std::vector<Move> all_moves() {
  std::vector<Move> out;
  for (unsigned i = 0; i <= static_cast<unsigned>(Move::drop_field); ++i) out.push_back(static_cast<Move>(i));
  return out;
}

// Every ChangeState by its value: the enum's last member is discarded.
std::vector<ChangeState> all_state_values() {
  std::vector<ChangeState> out;
  for (unsigned i = 0; i <= static_cast<unsigned>(ChangeState::discarded); ++i)
    out.push_back(static_cast<ChangeState>(i));
  return out;
}

bool is_listed_state(ChangeState s) {
  for (auto k : kChangeStates)
    if (k == s) return true;
  return false;
}

std::string trigger_sql(Store& store, const std::string& name) {
  SQLite::Statement q(StoreInternals::db(store), "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ?");
  q.bind(1, name);
  REQUIRE(q.executeStep());
  return q.getColumn(0).getString();
}

std::unique_ptr<Store> open_store(const TempDir& dir) {
  auto s = Store::open(dir.str("mirror.db"));
  REQUIRE(s.ok());
  return std::move(s.value());
}

}  // namespace

TEST_CASE("Every move has exactly one row in kMoves", "[change]") {
  CHECK(std::size(kMoves) == all_moves().size());
  for (Move m : all_moves()) {
    INFO("move " << static_cast<unsigned>(m));
    int rows = 0;
    for (const auto& r : kMoves) rows += r.move == m ? 1 : 0;
    CHECK(rows == 1);
    CHECK(rule(m).move == m);  // rule() falls back to the first row for a move without one
    CHECK_FALSE(rule(m).name.empty());
    CHECK_FALSE(rule(m).by.empty());
  }
  std::set<std::string_view> seen;
  for (const auto& r : kMoves) CHECK(seen.insert(r.name).second);  // names are distinct too
}

TEST_CASE("kChangeStates lists every state once, and its names read back", "[change]") {
  CHECK(kChangeStates.size() == all_state_values().size());
  std::set<std::string> spelled;
  for (auto s : all_state_values()) {
    CHECK(is_listed_state(s));
    auto name = std::string(gigasync::to_string(s));
    CHECK(spelled.insert(name).second);
    CHECK(gigasync::change_state_from(name) == s);
  }
}

TEST_CASE("The settled and active state sets partition all states", "[change]") {
  for (auto s : all_state_values()) {
    INFO(gigasync::to_string(s));
    CHECK(kActiveStates.has(s) != kSettledStates.has(s));
    CHECK(gigasync::settled(s) == kSettledStates.has(s));
  }
  // What is sent is active work.
  for (auto s : all_state_values())
    if (kSendableStates.has(s)) CHECK(kActiveStates.has(s));
}

TEST_CASE("Every move leads to a real state, from real states", "[change]") {
  for (const auto& r : kMoves) {
    INFO(r.name);
    CHECK(is_listed_state(r.to));
    for (auto s : all_state_values()) {
      if (r.from.has(s) || r.unsent_from.has(s)) CHECK(is_listed_state(s));
      CHECK(gigasync::allowed(r.move, s, true) == r.from.has(s));
      CHECK(gigasync::allowed(r.move, s, false) == (r.from.has(s) || r.unsent_from.has(s)));
    }
    // A move that settles a change starts from an active state: a settled change never moves again.
    for (auto s : all_state_values())
      if (kSettledStates.has(s)) CHECK_FALSE((r.from.has(s) || r.unsent_from.has(s)));
  }
}

TEST_CASE("sql_may_make is the move's from lists as SQL", "[change]") {
  CHECK(sql_may_make(Move::edited_again) == "(state IN ('failed'))");
  CHECK(sql_may_make(Move::deleted_locally, "q.") ==
        "(q.state IN ('failed', 'conflict') OR (q.state IN ('pending') AND q.sent_body IS NULL))");
  for (const auto& r : kMoves) {
    INFO(r.name);
    const std::string sql = sql_may_make(r.move);
    for (auto s : kChangeStates) {
      const bool named = sql.find(sql_literal(s)) != std::string::npos;
      CHECK(named == (r.from.has(s) || r.unsent_from.has(s)));
    }
  }
}

TEST_CASE("The capture triggers in the database use the moves' state lists", "[change]") {
  TempDir dir;
  auto store = open_store(dir);
  const std::string update = trigger_sql(*store, "integrations_capture_update");
  const std::string insert = trigger_sql(*store, "integrations_capture_insert");
  const std::string remove = trigger_sql(*store, "integrations_capture_delete");
  // Who may make each trigger's move, and where it leads.
  CHECK_THAT(update, Catch::Contains(sql_may_make(Move::edited_again)));
  CHECK_THAT(update, Catch::Contains(sql_may_make(Move::edited_again, "q.")));
  CHECK_THAT(update, Catch::Contains("SET state = " + sql_literal(rule(Move::edited_again).to)));
  CHECK_THAT(insert, Catch::Contains(sql_may_make(Move::replaced_locally)));
  CHECK_THAT(insert, Catch::Contains("SET state = " + sql_literal(rule(Move::replaced_locally).to)));
  CHECK_THAT(remove, Catch::Contains(sql_may_make(Move::deleted_locally)));
  CHECK_THAT(remove, Catch::Contains("SET state = " + sql_literal(rule(Move::deleted_locally).to)));
  // "Is something waiting" is the active list, in the triggers as in the code.
  CHECK_THAT(update, Catch::Contains("state IN " + kActiveStates.sql()));
  CHECK_THAT(insert, Catch::Contains("state IN " + kActiveStates.sql()));
}

TEST_CASE("The outbox table's CHECK allows exactly the listed states", "[change]") {
  TempDir dir;
  auto store = open_store(dir);
  const std::string table = StoreInternals::db(*store)
                                .execAndGet("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'pending_changes'")
                                .getString();
  const std::string open = "CHECK (state IN (";
  auto start = table.find(open);
  REQUIRE(start != std::string::npos);
  start += open.size();
  auto end = table.find(")", start);
  REQUIRE(end != std::string::npos);
  std::set<std::string> allowed;
  for (std::size_t pos = start; pos < end;) {
    auto q1 = table.find('\'', pos);
    if (q1 == std::string::npos || q1 >= end) break;
    auto q2 = table.find('\'', q1 + 1);
    allowed.insert(table.substr(q1 + 1, q2 - q1 - 1));
    pos = q2 + 1;
  }
  std::set<std::string> listed;
  for (auto s : kChangeStates) listed.insert(std::string(gigasync::to_string(s)));
  CHECK(allowed == listed);
}

TEST_CASE("Editing a refused change's row again makes the edited_again move in the database", "[change]") {
  TempDir dir;
  auto store = open_store(dir);
  {
    Store::Txn txn(*store);
    REQUIRE(txn.begin().ok());
    auto o = gigasync::test::make_integration("a");
    REQUIRE(txn.upsert(gigasync::Table::base, o).ok());
    REQUIRE(txn.upsert(gigasync::Table::mirror, o).ok());
    REQUIRE(txn.commit().ok());
  }
  SQLite::Database shell(dir.str("mirror.db"), SQLite::OPEN_READWRITE);
  shell.setBusyTimeout(5000);
  shell.exec("UPDATE integrations SET city = 'Lund' WHERE id = 'a'");
  auto changes = store->list_changes(true);
  REQUIRE(changes.ok());
  REQUIRE(changes->size() == 1);
  gigasync::Change c = changes->front();
  c.state = ChangeState::failed;
  c.sent_body = R"({"city":"Lund"})";
  {
    Store::Txn txn(*store);
    REQUIRE(txn.begin().ok());
    REQUIRE(txn.write_change(c).ok());
    REQUIRE(txn.commit().ok());
  }
  shell.exec("UPDATE integrations SET email = 'ny@lund.se' WHERE id = 'a'");
  changes = store->list_changes(true);
  REQUIRE(changes.ok());
  REQUIRE(changes->size() == 2);
  for (const auto& ch : changes.value()) {
    if (ch.id == c.id) {
      CHECK(ch.state == rule(Move::edited_again).to);
    } else {
      CHECK(ch.state == rule(Move::capture).to);
      // The new change carries the refused change's field too.
      CHECK(ch.payload.find("city") != std::string::npos);
      CHECK(ch.payload.find("email") != std::string::npos);
    }
  }
}
