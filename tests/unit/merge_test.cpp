// Three-way merge, the Reconciler's conflict policies, and the hand-operated outbox commands.
#include <SQLiteCpp/SQLiteCpp.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "gigasync/json.h"
#include "gigasync/outbox.h"
#include "gigasync/store.h"
#include "store/internals.h"
#include "support/process.h"
#include "sync/merge.h"
#include "sync/reconcile.h"
#include "outbox/history.h"
#include "support/outbox_text.h"

using gigasync::Change;
using gigasync::Conflict;
using gigasync::ConflictPolicy;
using gigasync::ExitCode;
using gigasync::Integration;
using gigasync::Reconciler;
using gigasync::Store;
using gigasync::StoreInternals;
using gigasync::Table;
using gigasync::test::TempDir;

namespace {

Integration sample(const std::string& id = "a") {
  Integration o;
  o.id = id;
  o.set("name", "Base name");
  o.set("type", "3");
  o.set("logo", std::nullopt);
  o.set("metadata", R"({"k":1})");
  o.set("email", "base@acme.example");
  o.set("recipient", "Acme AB");
  o.set("address_line_1", "Storgatan 1");
  o.set("address_line_2", std::nullopt);
  o.set("zip_code", "111 22");
  o.set("city", "Stockholm");
  return o;
}

Integration with(Integration o, const std::string& field, std::optional<std::string> value) {
  o.set(field, std::move(value));
  return o;
}

// A store whose mirror and base hold `base`, with a shell connection for people's edits.
struct Fixture {
  explicit Fixture(const Integration& base = sample()) {
    auto s = Store::open(dir.str("mirror.db"));
    REQUIRE(s.ok());
    store = std::move(s.value());
    Store::Txn txn(*store);
    REQUIRE(txn.begin().ok());
    REQUIRE(txn.upsert(Table::base, base).ok());
    REQUIRE(txn.upsert(Table::mirror, base).ok());
    REQUIRE(txn.commit().ok());
    sh = std::make_unique<SQLite::Database>(dir.str("mirror.db"), SQLite::OPEN_READWRITE);
    sh->setBusyTimeout(5000);
  }

  // Applies a fresh remote version inside one transaction, as a pull does.
  gigasync::ReconcileCounts pull(ConflictPolicy policy, const std::optional<Integration>& base, const Integration& remote) {
    Store::Txn txn(*store);
    REQUIRE(txn.begin().ok());
    auto active = txn.active_change_ids();
    REQUIRE(active.ok());
    Reconciler rec(txn, policy, active.value());
    auto s = rec.apply_remote(base, remote);
    INFO((s.ok() ? "" : s.error().message));
    REQUIRE(s.ok());
    REQUIRE(txn.commit().ok());
    return rec.counts();
  }

  gigasync::ReconcileCounts pull_delete(ConflictPolicy policy, const Integration& base) {
    Store::Txn txn(*store);
    REQUIRE(txn.begin().ok());
    auto active = txn.active_change_ids();
    REQUIRE(active.ok());
    Reconciler rec(txn, policy, active.value());
    REQUIRE(rec.apply_remote_delete(base).ok());
    REQUIRE(txn.commit().ok());
    return rec.counts();
  }

  std::optional<Integration> row(Table t, const std::string& id = "a") {
    auto r = store->load_one(t, id);
    REQUIRE(r.ok());
    return r.value();
  }

  std::vector<Change> changes(bool include_done = true) {
    auto c = store->list_changes(include_done);
    REQUIRE(c.ok());
    return c.value();
  }

  std::vector<Conflict> conflicts(bool include_resolved = true) {
    auto c = store->list_conflicts(include_resolved);
    REQUIRE(c.ok());
    return c.value();
  }

  void set_change(const Change& c) {
    Store::Txn txn(*store);
    REQUIRE(txn.begin().ok());
    REQUIRE(txn.write_change(c).ok());
    REQUIRE(txn.commit().ok());
  }

  long long history_count(const std::string& where) {
    return StoreInternals::db(*store).execAndGet("SELECT count(*) FROM integration_changes WHERE " + where).getInt64();
  }

  TempDir dir;
  std::unique_ptr<Store> store;
  std::unique_ptr<SQLite::Database> sh;
};

std::vector<std::string> sorted_fields(const std::string& payload) {
  auto f = gigasync::json::payload_fields(payload);
  std::sort(f.begin(), f.end());
  return f;
}

std::vector<Change> live(const std::vector<Change>& all) {
  std::vector<Change> out;
  for (const auto& c : all)
    if (c.state != "done" && c.state != "superseded" && c.state != "discarded") out.push_back(c);
  return out;
}

}  // namespace

// --- three_way ---------------------------------------------------------------------------------

TEST_CASE("three_way takes a change made only remotely", "[merge]") {
  auto base = sample();
  auto remote = with(base, "city", "Lund");
  auto m = gigasync::three_way(base, base, remote);
  CHECK(m.merged.get("city") == "Lund");
  CHECK(m.remote_fields == std::vector<std::string>{"city"});
  CHECK(m.conflicts.empty());
}

TEST_CASE("three_way keeps a change made only locally", "[merge]") {
  auto base = sample();
  auto local = with(base, "name", "Local");
  auto m = gigasync::three_way(base, local, base);
  CHECK(m.merged == local);
  CHECK(m.remote_fields.empty());
  CHECK(m.conflicts.empty());
}

TEST_CASE("three_way lets the same change on both sides converge without a conflict", "[merge]") {
  auto base = sample();
  auto both = with(base, "email", "same@acme.example");
  auto m = gigasync::three_way(base, both, both);
  CHECK(m.merged.get("email") == "same@acme.example");
  CHECK(m.conflicts.empty());
}

TEST_CASE("three_way reports different changes of one field as a conflict with all three values", "[merge]") {
  auto base = sample();
  auto local = with(base, "name", "Local");
  auto remote = with(base, "name", "Remote");
  auto m = gigasync::three_way(base, local, remote);
  REQUIRE(m.conflicts.size() == 1);
  CHECK(m.conflicts[0].field == "name");
  CHECK(m.conflicts[0].base == "Base name");
  CHECK(m.conflicts[0].local == "Local");
  CHECK(m.conflicts[0].remote == "Remote");
  CHECK(m.merged.get("name") == "Local");  // the local value is kept until the conflict is resolved
  CHECK(m.remote_fields.empty());
}

TEST_CASE("three_way treats null as a value like any other", "[merge]") {
  auto base = sample();
  auto local = with(base, "address_line_2", "c/o Lena");
  auto remote = with(with(base, "address_line_2", "Box 3"), "logo", "https://cdn/x.png");
  auto m = gigasync::three_way(base, local, remote);
  REQUIRE(m.conflicts.size() == 1);
  CHECK(m.conflicts[0].field == "address_line_2");
  CHECK_FALSE(m.conflicts[0].base.has_value());
  CHECK(m.merged.get("logo") == "https://cdn/x.png");
}

TEST_CASE("three_way merges changes of different fields", "[merge]") {
  auto base = sample();
  auto local = with(base, "name", "Local");
  auto remote = with(with(base, "city", "Lund"), "metadata", R"({"k":2})");
  auto m = gigasync::three_way(base, local, remote);
  CHECK(m.conflicts.empty());
  CHECK(m.merged.get("name") == "Local");
  CHECK(m.merged.get("city") == "Lund");
  CHECK(m.merged.get("metadata") == R"({"k":2})");
  auto fields = m.remote_fields;
  std::sort(fields.begin(), fields.end());
  CHECK(fields == std::vector<std::string>{"city", "metadata"});
}

TEST_CASE("diff_fields names every field that differs", "[merge]") {
  auto a = sample();
  auto b = with(with(a, "city", "Lund"), "logo", "x");
  CHECK(gigasync::diff_fields(a, b) == std::vector<std::string>{"logo", "city"});
  CHECK(gigasync::diff_fields(a, a).empty());
}

// --- Reconciler --------------------------------------------------------------------------------

TEST_CASE("without local changes a remote change is copied to the mirror and the base, with history", "[reconcile]") {
  Fixture f;
  auto remote = with(sample(), "city", "Lund");
  auto counts = f.pull(ConflictPolicy::manual, sample(), remote);
  CHECK(counts.updated == 1);
  CHECK(counts.conflicts == 0);
  CHECK(f.row(Table::mirror) == remote);
  CHECK(f.row(Table::base) == remote);
  CHECK(f.changes().empty());
  CHECK(f.history_count("source = 'remote' AND op = 'update' AND field = 'city' AND new_value = 'Lund'") == 1);
}

TEST_CASE("a new remote integration is inserted into the mirror and the base", "[reconcile]") {
  Fixture f;
  auto remote = sample("b");
  auto counts = f.pull(ConflictPolicy::manual, std::nullopt, remote);
  CHECK(counts.inserted == 1);
  CHECK(f.row(Table::mirror, "b") == remote);
  CHECK(f.row(Table::base, "b") == remote);
  CHECK(f.history_count("integration_id = 'b' AND source = 'remote' AND op = 'insert'") == 1);
  CHECK(f.changes().empty());
}

TEST_CASE("a remote change to another field than the local one merges without a conflict", "[reconcile]") {
  Fixture f;
  f.sh->exec("UPDATE integrations SET name = 'Local' WHERE id = 'a'");
  auto remote = with(sample(), "city", "Lund");
  auto counts = f.pull(ConflictPolicy::manual, sample(), remote);
  CHECK(counts.conflicts == 0);
  auto mirror = f.row(Table::mirror);
  REQUIRE(mirror);
  CHECK(mirror->get("name") == "Local");
  CHECK(mirror->get("city") == "Lund");
  CHECK(f.row(Table::base) == remote);
  auto changes = f.changes();
  REQUIRE(changes.size() == 1);
  CHECK(changes[0].state == "pending");
  CHECK(sorted_fields(changes[0].payload) == std::vector<std::string>{"name"});
  CHECK(f.conflicts().empty());
  CHECK(f.changes().size() == 1);  // the merge itself was not captured as a local change
}

TEST_CASE("the same change on both sides converges without a conflict", "[reconcile]") {
  Fixture f;
  f.sh->exec("UPDATE integrations SET name = 'Agreed' WHERE id = 'a'");
  auto counts = f.pull(ConflictPolicy::manual, sample(), with(sample(), "name", "Agreed"));
  CHECK(counts.conflicts == 0);
  CHECK(f.conflicts().empty());
  CHECK(f.row(Table::mirror)->get("name") == "Agreed");
  CHECK(f.changes().at(0).state == "done");  // the API has the local value: nothing left to send
}

TEST_CASE("manual: a conflict holds the change and records an open conflict", "[reconcile]") {
  Fixture f;
  f.sh->exec("UPDATE integrations SET name = 'Local' WHERE id = 'a'");
  auto remote = with(sample(), "name", "Remote");
  auto counts = f.pull(ConflictPolicy::manual, sample(), remote);
  CHECK(counts.conflicts == 1);
  auto changes = f.changes();
  REQUIRE(changes.size() == 1);
  CHECK(changes[0].state == "conflict");
  CHECK_THAT(changes[0].last_error, Catch::Contains("name"));
  auto conflicts = f.conflicts();
  REQUIRE(conflicts.size() == 1);
  CHECK(conflicts[0].integration_id == "a");
  CHECK(conflicts[0].field == "name");
  CHECK(conflicts[0].base_value == "Base name");
  CHECK(conflicts[0].local_value == "Local");
  CHECK(conflicts[0].remote_value == "Remote");
  CHECK(conflicts[0].resolved_at.empty());
  CHECK(f.row(Table::mirror)->get("name") == "Local");
  CHECK(f.row(Table::base) == remote);
  auto status = f.store->status_counts();
  REQUIRE(status.ok());
  CHECK(status->open_conflicts == 1);
  CHECK(status->pending == 0);
}

TEST_CASE("manual: the same conflict seen again updates the open row instead of adding one", "[reconcile]") {
  Fixture f;
  f.sh->exec("UPDATE integrations SET name = 'Local' WHERE id = 'a'");
  f.pull(ConflictPolicy::manual, sample(), with(sample(), "name", "Remote"));
  f.pull(ConflictPolicy::manual, with(sample(), "name", "Remote"), with(sample(), "name", "Remote 2"));
  auto conflicts = f.conflicts();
  REQUIRE(conflicts.size() == 1);
  CHECK(conflicts[0].remote_value == "Remote 2");
}

TEST_CASE("remote-wins: the mirror takes the remote value, the field leaves the outbox, the conflict is recorded resolved",
          "[reconcile]") {
  Fixture f;
  f.sh->exec("UPDATE integrations SET name = 'Local', city = 'Lund' WHERE id = 'a'");
  const Change before = f.changes().at(0);
  auto remote = with(sample(), "name", "Remote");
  auto counts = f.pull(ConflictPolicy::remote_wins, sample(), remote);
  CHECK(counts.conflicts == 1);
  auto mirror = f.row(Table::mirror);
  REQUIRE(mirror);
  CHECK(mirror->get("name") == "Remote");
  CHECK(mirror->get("city") == "Lund");  // the other local change stays
  auto changes = live(f.changes());
  REQUIRE(changes.size() == 1);
  CHECK(changes[0].state == "pending");
  CHECK(sorted_fields(changes[0].payload) == std::vector<std::string>{"city"});
  CHECK(changes[0].idempotency_key == before.idempotency_key);  // never sent: same change, same key
  auto conflicts = f.conflicts();
  REQUIRE(conflicts.size() == 1);
  CHECK(conflicts[0].field == "name");
  CHECK(conflicts[0].resolution == "remote-wins");
  CHECK_FALSE(conflicts[0].resolved_at.empty());
  CHECK(f.conflicts(false).empty());
}

TEST_CASE("remote-wins: a change left empty is closed", "[reconcile]") {
  Fixture f;
  f.sh->exec("UPDATE integrations SET name = 'Local' WHERE id = 'a'");
  f.pull(ConflictPolicy::remote_wins, sample(), with(sample(), "name", "Remote"));
  CHECK(live(f.changes()).empty());
  CHECK(f.row(Table::mirror) == with(sample(), "name", "Remote"));
}

TEST_CASE("remote-wins: a change already sent is closed and its rest queued under a new key", "[reconcile]") {
  Fixture f;
  f.sh->exec("UPDATE integrations SET name = 'Local', city = 'Lund' WHERE id = 'a'");
  Change sent = f.changes().at(0);
  sent.attempts = 1;
  sent.sent_body = sent.payload;
  f.set_change(sent);
  f.pull(ConflictPolicy::remote_wins, sample(), with(sample(), "name", "Remote"));
  auto all = f.changes();
  REQUIRE(all.size() == 2);
  CHECK(all[0].state == "superseded");
  CHECK(all[0].payload == sent.payload);
  CHECK(all[1].state == "pending");
  CHECK(all[1].idempotency_key != sent.idempotency_key);
  CHECK(sorted_fields(all[1].payload) == std::vector<std::string>{"city"});
}

TEST_CASE("local-wins: the local value stays, the change stays pending, the conflict is recorded resolved", "[reconcile]") {
  Fixture f;
  f.sh->exec("UPDATE integrations SET name = 'Local' WHERE id = 'a'");
  auto counts = f.pull(ConflictPolicy::local_wins, sample(), with(sample(), "name", "Remote"));
  CHECK(counts.conflicts == 1);
  CHECK(f.row(Table::mirror)->get("name") == "Local");
  CHECK(f.row(Table::base)->get("name") == "Remote");
  auto changes = f.changes();
  REQUIRE(changes.size() == 1);
  CHECK(changes[0].state == "pending");
  CHECK(sorted_fields(changes[0].payload) == std::vector<std::string>{"name"});
  auto conflicts = f.conflicts();
  REQUIRE(conflicts.size() == 1);
  CHECK(conflicts[0].resolution == "local-wins");
  CHECK(conflicts[0].local_value == "Local");
  CHECK(conflicts[0].remote_value == "Remote");
  CHECK_FALSE(conflicts[0].resolved_at.empty());
}

TEST_CASE("a remote delete of a row with local changes is a conflict", "[reconcile]") {
  Fixture f;
  f.sh->exec("UPDATE integrations SET name = 'Local' WHERE id = 'a'");
  auto counts = f.pull_delete(ConflictPolicy::manual, sample());
  CHECK(counts.conflicts == 1);
  auto conflicts = f.conflicts();
  REQUIRE(conflicts.size() == 1);
  CHECK(conflicts[0].integration_id == "a");
  CHECK(conflicts[0].field == "(deleted)");
  CHECK(conflicts[0].resolved_at.empty());
  CHECK_FALSE(conflicts[0].remote_value.has_value());
  CHECK(f.changes().at(0).state == "conflict");
  CHECK(f.row(Table::mirror).has_value());  // the local edit is not lost
  CHECK_FALSE(f.row(Table::base).has_value());
}

TEST_CASE("remote-wins: a remote delete of an edited row removes it and drops the change", "[reconcile]") {
  Fixture f;
  f.sh->exec("UPDATE integrations SET name = 'Local' WHERE id = 'a'");
  f.pull_delete(ConflictPolicy::remote_wins, sample());
  CHECK_FALSE(f.row(Table::mirror).has_value());
  CHECK(live(f.changes()).empty());
  REQUIRE(f.conflicts().size() == 1);
  CHECK(f.conflicts()[0].resolution == "remote-wins");
}

TEST_CASE("local-wins: a remote delete of an edited row queues the row to be created again", "[reconcile]") {
  Fixture f;
  f.sh->exec("UPDATE integrations SET name = 'Local' WHERE id = 'a'");
  f.pull_delete(ConflictPolicy::local_wins, sample());
  CHECK(f.row(Table::mirror).has_value());
  auto changes = live(f.changes());
  REQUIRE(changes.size() == 1);
  CHECK(changes[0].op == "create");
  CHECK_THAT(changes[0].payload, Catch::Contains("\"Local\""));
}

TEST_CASE("a remote delete without local changes removes the row from mirror and base and writes history", "[reconcile]") {
  Fixture f;
  auto counts = f.pull_delete(ConflictPolicy::manual, sample());
  CHECK(counts.deleted == 1);
  CHECK(counts.conflicts == 0);
  CHECK_FALSE(f.row(Table::mirror).has_value());
  CHECK_FALSE(f.row(Table::base).has_value());
  CHECK(f.history_count("integration_id = 'a' AND source = 'remote' AND op = 'delete'") == 1);
  CHECK(f.changes().empty());
  CHECK(f.conflicts().empty());
}

// --- outbox commands ---------------------------------------------------------------------------

TEST_CASE("retry_change queues a failed change again as a new change with a new key", "[outbox]") {
  Fixture f;
  f.sh->exec("UPDATE integrations SET email = 'bad@x.se' WHERE id = 'a'");
  Change failed = f.changes().at(0);
  failed.state = gigasync::ChangeState::failed;
  failed.attempts = 1;
  failed.sent_body = failed.payload;
  failed.last_error = "email: Enter a valid email address.";
  f.set_change(failed);
  auto fresh = gigasync::retry_change(*f.store, failed.id);
  REQUIRE(fresh.ok());
  CHECK(fresh.value() != failed.id);
  auto all = f.changes();
  REQUIRE(all.size() == 2);
  CHECK(all[0].state == "superseded");
  CHECK(all[1].id == fresh.value());
  CHECK(all[1].state == "pending");
  CHECK(all[1].attempts == 0);
  CHECK(all[1].op == "update");
  CHECK(all[1].payload == failed.payload);
  CHECK(all[1].idempotency_key != failed.idempotency_key);
  CHECK_FALSE(all[1].idempotency_key.empty());
}

TEST_CASE("retry_change refuses a change that is not failed, or does not exist", "[outbox]") {
  Fixture f;
  f.sh->exec("UPDATE integrations SET email = 'x@y.example' WHERE id = 'a'");
  auto pending = f.changes().at(0);
  auto r = gigasync::retry_change(*f.store, pending.id);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == ExitCode::usage);
  auto missing = gigasync::retry_change(*f.store, 999);
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().code == ExitCode::usage);
  CHECK(f.changes().size() == 1);
}

TEST_CASE("discard_change puts the mirror row back to the base and closes the change", "[outbox]") {
  Fixture f;
  f.sh->exec("UPDATE integrations SET name = 'Oops', city = 'Lund' WHERE id = 'a'");
  auto c = f.changes().at(0);
  REQUIRE(gigasync::discard_change(*f.store, c.id).ok());
  CHECK(f.row(Table::mirror) == sample());
  auto all = f.changes();
  REQUIRE(all.size() == 1);  // putting the row back was not captured as a new change
  CHECK(all[0].state == "discarded");
}

TEST_CASE("discard_change of a create that never reached the API removes the row", "[outbox]") {
  Fixture f;
  f.sh->exec("INSERT INTO integrations (id, name, email, recipient, address_line_1, zip_code, city) VALUES "
             "('new', 'N', 'n@example.com', 'N AB', 'G 1', '11122', 'Sthlm')");
  auto c = f.changes().at(0);
  REQUIRE(c.op == "create");
  REQUIRE(gigasync::discard_change(*f.store, c.id).ok());
  CHECK_FALSE(f.row(Table::mirror, "new").has_value());
  CHECK(live(f.changes()).empty());
}

TEST_CASE("discard_change of a deleted row brings it back", "[outbox]") {
  Fixture f;
  f.sh->exec("DELETE FROM integrations WHERE id = 'a'");
  auto c = f.changes().at(0);
  REQUIRE(c.op == "delete");
  REQUIRE(gigasync::discard_change(*f.store, c.id).ok());
  CHECK(f.row(Table::mirror) == sample());
  CHECK(live(f.changes()).empty());
}

TEST_CASE("discard_change refuses a change that may already have reached the API", "[outbox]") {
  Fixture f;
  f.sh->exec("UPDATE integrations SET name = 'Sent' WHERE id = 'a'");
  auto c = f.changes().at(0);
  c.state = gigasync::ChangeState::in_flight;
  c.attempts = 1;
  c.sent_body = c.payload;
  f.set_change(c);
  auto s = gigasync::discard_change(*f.store, c.id);
  REQUIRE_FALSE(s.ok());
  CHECK(s.error().code == ExitCode::usage);
  CHECK(f.row(Table::mirror)->get("name") == "Sent");
  CHECK(f.changes().at(0).state == "in_flight");
}

TEST_CASE("discard_change of a conflicted change closes its conflict", "[outbox]") {
  Fixture f;
  f.sh->exec("UPDATE integrations SET name = 'Local' WHERE id = 'a'");
  f.pull(ConflictPolicy::manual, sample(), with(sample(), "name", "Remote"));
  auto c = f.changes().at(0);
  REQUIRE(c.state == "conflict");
  REQUIRE(gigasync::discard_change(*f.store, c.id).ok());
  CHECK(f.row(Table::mirror)->get("name") == "Remote");  // the base, which the pull moved to the remote value
  CHECK(live(f.changes()).empty());
  CHECK(f.conflicts(false).empty());
}

TEST_CASE("discarding one change leaves the conflict that holds another change open", "[outbox]") {
  // Change 1 (name) was sent once and waits for a retry, so the city edit became change 2. A pull
  // finds name changed remotely: change 1 is held by the conflict. Discarding change 2 must not close
  // that conflict, or change 1 stays in state 'conflict' with no open conflict left to resolve it.
  Fixture f;
  f.sh->exec("UPDATE integrations SET name = 'Local' WHERE id = 'a'");
  Change one = f.changes().at(0);
  one.attempts = 1;
  one.sent_body = one.payload;
  f.set_change(one);
  f.sh->exec("UPDATE integrations SET city = 'Lund' WHERE id = 'a'");
  f.pull(ConflictPolicy::manual, sample(), with(sample(), "name", "Remote"));
  auto all = f.changes();
  REQUIRE(all.size() == 2);
  REQUIRE(all[0].state == "conflict");
  REQUIRE(all[1].state == "conflict");  // every change of a held integration waits
  REQUIRE(gigasync::discard_change(*f.store, all[1].id).ok());
  CHECK(f.row(Table::mirror)->get("city") == "Stockholm");
  auto held = f.store->get_change(all[0].id);
  REQUIRE(held.ok());
  REQUIRE(held.value().has_value());
  // Either the conflict is still open (and can be resolved), or the change is no longer held by it.
  bool consistent = !f.conflicts(false).empty() || held.value()->state != "conflict";
  CHECK(consistent);
  CHECK(f.conflicts(false).size() == 1);
}

TEST_CASE("resolve_conflict --keep remote gives the mirror the API's value and takes the field out of the outbox",
          "[outbox]") {
  Fixture f;
  f.sh->exec("UPDATE integrations SET name = 'Local', city = 'Lund' WHERE id = 'a'");
  f.pull(ConflictPolicy::manual, sample(), with(sample(), "name", "Remote"));
  auto k = f.conflicts().at(0);
  auto what = gigasync::resolve_conflict(*f.store, k.id, "remote");
  REQUIRE(what.ok());
  CHECK_FALSE(what.value().empty());
  auto mirror = f.row(Table::mirror);
  REQUIRE(mirror);
  CHECK(mirror->get("name") == "Remote");
  CHECK(mirror->get("city") == "Lund");
  auto changes = live(f.changes());
  REQUIRE(changes.size() == 1);
  CHECK(changes[0].state == "pending");
  CHECK(sorted_fields(changes[0].payload) == std::vector<std::string>{"city"});
  auto conflicts = f.conflicts();
  REQUIRE(conflicts.size() == 1);
  CHECK_FALSE(conflicts[0].resolved_at.empty());
  CHECK(conflicts[0].resolution == "kept remote");
}

TEST_CASE("resolve_conflict --keep local releases the held change to send the field, not the whole row", "[outbox]") {
  Fixture f;
  f.sh->exec("UPDATE integrations SET name = 'Local' WHERE id = 'a'");
  f.pull(ConflictPolicy::manual, sample(), with(with(sample(), "name", "Remote"), "city", "Remote City"));
  auto k = f.conflicts().at(0);
  auto what = gigasync::resolve_conflict(*f.store, k.id, "local");
  REQUIRE(what.ok());
  CHECK(f.row(Table::mirror)->get("name") == "Local");
  CHECK(f.row(Table::mirror)->get("city") == "Remote City");  // the remote's change to another field stays
  auto changes = live(f.changes());
  REQUIRE(changes.size() == 1);
  CHECK(changes[0].op == "update");
  CHECK(changes[0].state == "pending");
  CHECK(sorted_fields(changes[0].payload) == std::vector<std::string>{"name"});
  auto conflicts = f.conflicts();
  REQUIRE(conflicts.size() == 1);
  CHECK(conflicts[0].resolution == "kept local");
  CHECK(f.conflicts(false).empty());
}

TEST_CASE("resolve_conflict --keep local of a row deleted remotely queues a create", "[outbox]") {
  Fixture f;
  f.sh->exec("UPDATE integrations SET name = 'Local' WHERE id = 'a'");
  f.pull_delete(ConflictPolicy::manual, sample());
  auto k = f.conflicts().at(0);
  REQUIRE(gigasync::resolve_conflict(*f.store, k.id, "local").ok());
  auto changes = live(f.changes());
  REQUIRE(changes.size() == 1);
  CHECK(changes[0].op == "create");
  CHECK(f.conflicts(false).empty());
}

TEST_CASE("resolve_conflict --keep remote of a row deleted remotely removes it from the mirror", "[outbox]") {
  Fixture f;
  f.sh->exec("UPDATE integrations SET name = 'Local' WHERE id = 'a'");
  f.pull_delete(ConflictPolicy::manual, sample());
  auto k = f.conflicts().at(0);
  REQUIRE(gigasync::resolve_conflict(*f.store, k.id, "remote").ok());
  CHECK_FALSE(f.row(Table::mirror).has_value());
  CHECK(live(f.changes()).empty());
  CHECK(f.conflicts(false).empty());
}

TEST_CASE("resolve_conflict refuses a conflict that does not exist or is already resolved", "[outbox]") {
  Fixture f;
  auto missing = gigasync::resolve_conflict(*f.store, 42, "local");
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().code == ExitCode::usage);
  f.sh->exec("UPDATE integrations SET name = 'Local' WHERE id = 'a'");
  f.pull(ConflictPolicy::manual, sample(), with(sample(), "name", "Remote"));
  auto k = f.conflicts().at(0);
  REQUIRE(gigasync::resolve_conflict(*f.store, k.id, "remote").ok());
  auto again = gigasync::resolve_conflict(*f.store, k.id, "local");
  REQUIRE_FALSE(again.ok());
  CHECK(again.error().code == ExitCode::usage);
}

TEST_CASE("resolving one of two conflicts with --keep remote keeps the other field's change held",
          "[outbox]") {
  // name and city both conflict. Keeping the remote name must not release the local city to the
  // API while its own conflict is still open (manual keeps the local value unpushed until resolved).
  Fixture f;
  f.sh->exec("UPDATE integrations SET name = 'Local', city = 'Lund' WHERE id = 'a'");
  f.pull(ConflictPolicy::manual, sample(), with(with(sample(), "name", "Remote"), "city", "Umeå"));
  auto open = f.conflicts(false);
  REQUIRE(open.size() == 2);
  const auto name_conflict = open[0].field == "name" ? open[0] : open[1];
  REQUIRE(name_conflict.field == "name");
  REQUIRE(gigasync::resolve_conflict(*f.store, name_conflict.id, "remote").ok());
  REQUIRE(f.conflicts(false).size() == 1);  // city is still open
  auto changes = live(f.changes());
  REQUIRE(changes.size() == 1);
  CHECK(sorted_fields(changes[0].payload) == std::vector<std::string>{"city"});
  CHECK(changes[0].state == "conflict");
  auto pending = f.store->integrations_with_pending();
  REQUIRE(pending.ok());
  CHECK(pending->empty());
}
