// The push, end to end: SQL edits made by other clients reach the sandbox API exactly once.
#include <catch2/catch.hpp>
#include <map>
#include <set>
#include <thread>

#include "support/sandbox_fixture.h"

using namespace gigasync;
using namespace gigasync::test;

namespace {

std::vector<std::string> ids_of_type(SandboxRun& run, int type, size_t n) {
  std::vector<std::string> out;
  for (const auto& [id, o] : run.remote())
    if (o.get("type") == std::to_string(type) && out.size() < n) out.push_back(id);
  REQUIRE(out.size() == n);
  return out;
}

// The sqlite3 shell, as a person would use it.
RunResult sqlite3(SandboxRun& run, const std::string& sql) {
  return run_gigasync_tool("sqlite3", {"-cmd", ".timeout 5000", run.db(), sql});  // waits for a running sync
}

std::vector<sandbox::RequestRecord> writes(SandboxRun& run, const std::string& method) {
  std::vector<sandbox::RequestRecord> out;
  for (const auto& r : run.server.requests())
    if (r.method == method) out.push_back(r);
  return out;
}

}  // namespace

TEST_CASE("an UPDATE made with the sqlite3 shell reaches the API as a PATCH with its idempotency key", "[push]") {
  SandboxRun run(sandbox_options(40));
  REQUIRE(run.sync().exit_code == 0);
  auto id = ids_of_type(run, 3, 1)[0];
  auto edit = sqlite3(run, "UPDATE integrations SET email = 'x@y.se' WHERE id = '" + id + "'");
  REQUIRE(edit.exit_code == 0);
  std::string key = run.text("SELECT idempotency_key FROM pending_changes");
  CHECK(key.size() == 36);
  auto r = run.sync();
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(run.remote().at(id).get("email") == "x@y.se");
  auto patches = writes(run, "PATCH");
  REQUIRE(patches.size() == 1);
  CHECK(patches[0].idempotency_key == key);
  CHECK(patches[0].path == "/v2/integrations/" + id + "/");
  CHECK(run.text("SELECT state FROM pending_changes") == "done");
  CHECK(run.count("SELECT count(*) FROM integration_changes WHERE source = 'local' AND field = 'email'") == 1);
  CHECK(differences(run.mirror(), run.remote()) == "");
  CHECK(run.sync().exit_code == 0);
  CHECK(writes(run, "PATCH").size() == 1);  // nothing sent twice
}

TEST_CASE("INSERT, INSERT OR REPLACE and DELETE become POST, PUT and DELETE", "[push]") {
  SandboxRun run(sandbox_options(30));
  REQUIRE(run.sync().exit_code == 0);
  auto ids = ids_of_type(run, 3, 2);
  REQUIRE(sqlite3(run, "INSERT INTO integrations (id, name, email, recipient, address_line_1, zip_code, city, logo) VALUES "
                       "('846291712', 'Pinestreet Tech', 'albin@pinestreet.tech', 'Pinestreet Technology AB', "
                       "'Malmvägen 8', '14171', 'Segeltorp', 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGNgYGD4DwABBAEAwS2OUAAAAABJRU5ErkJggg==')").exit_code == 0);
  REQUIRE(sqlite3(run, "INSERT INTO integrations (name, email, recipient, address_line_1, zip_code, city) VALUES "
                       "('Utan Id AB', 'a@utanid.se', 'Utan Id AB', 'Gatan 1', '11122', 'Västerås')").exit_code == 0);
  REQUIRE(sqlite3(run, "INSERT OR REPLACE INTO integrations (id, name, type, email, recipient, address_line_1, zip_code, city) "
                       "VALUES ('" + ids[0] + "', 'Helt Ny AB', 3, 'ny@ny.se', 'Helt Ny AB', 'Nyvägen 2', '22233', 'Lund')").exit_code == 0);
  REQUIRE(sqlite3(run, "DELETE FROM integrations WHERE id = '" + ids[1] + "'").exit_code == 0);
  CHECK(run.text("SELECT group_concat(op) FROM (SELECT op FROM pending_changes ORDER BY id)") == "create,create,replace,delete");
  auto r = run.sync();
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  auto remote = run.remote();
  REQUIRE(remote.count("846291712") == 1);
  CHECK(remote.at("846291712").get("type") == "3");
  CHECK(remote.at("846291712").get("logo").value_or("").rfind("http", 0) == 0);  // read back as a URL
  CHECK(run.text("SELECT logo FROM integrations WHERE id = '846291712'") == *remote.at("846291712").get("logo"));
  CHECK(remote.at(ids[0]).get("name") == "Helt Ny AB");
  CHECK(remote.count(ids[1]) == 0);
  CHECK(run.count("SELECT count(*) FROM integrations WHERE name = 'Utan Id AB' AND length(id) = 36") == 1);
  CHECK(writes(run, "POST").size() == 2);
  CHECK(writes(run, "PUT").size() == 1);
  CHECK(writes(run, "DELETE").size() == 1);
  CHECK(differences(run.mirror(), run.remote()) == "");
}

// A name the database takes and the API refuses (longer than 255 characters).
const std::string kTooLong = "substr(replace(hex(zeroblob(300)), '00', 'xy'), 1, 300)";

TEST_CASE("edits the API would refuse are refused by the database and nothing is queued", "[push]") {
  SandboxRun run(sandbox_options(40));
  REQUIRE(run.sync().exit_code == 0);
  auto t1 = ids_of_type(run, 1, 1)[0], t2 = ids_of_type(run, 2, 1)[0], t3 = ids_of_type(run, 3, 1)[0];
  auto before = run.mirror();
  for (const std::string& sql : {
           "UPDATE integrations SET id = '" + t1 + "' WHERE id = '" + t3 + "'",
           "UPDATE integrations SET metadata = NULL WHERE id = '" + t3 + "'",
           "UPDATE integrations SET email = 'not-an-email' WHERE id = '" + t3 + "'",
           "UPDATE integrations SET name = '   ' WHERE id = '" + t3 + "'",
           "UPDATE integrations SET type = 1 WHERE id = '" + t3 + "'",
           "UPDATE integrations SET email = 'a@b.se' WHERE id = '" + t2 + "'",
           "DELETE FROM integrations WHERE id = '" + t1 + "'",
           "UPDATE integrations SET metadata = '[1,2]' WHERE id = '" + t3 + "'",
           "UPDATE integrations SET metadata = 'not json' WHERE id = '" + t3 + "'",
           std::string("INSERT INTO integrations (id, name) VALUES ('half', 'Halv AB')")}) {
    INFO(sql);
    auto r = sqlite3(run, sql);
    CHECK(r.exit_code != 0);
    CHECK(r.err.find("gigasync:") != std::string::npos);
  }
  CHECK(run.count("SELECT count(*) FROM pending_changes") == 0);
  CHECK(run.mirror() == before);
}

TEST_CASE("a change the API refuses is failed with its field errors and not retried until changed again", "[push]") {
  SandboxRun run(sandbox_options(30));
  REQUIRE(run.sync().exit_code == 0);
  auto id = ids_of_type(run, 3, 1)[0];
  REQUIRE(sqlite3(run, "UPDATE integrations SET name = " + kTooLong + " WHERE id = '" + id + "'").exit_code == 0);
  auto r = run.sync();
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("name: Ensure this field has no more than 255 characters.") != std::string::npos);
  CHECK(run.text("SELECT state FROM pending_changes") == "failed");
  CHECK(run.text("SELECT last_error FROM pending_changes").find("name") != std::string::npos);
  CHECK(run.count("SELECT length(name) FROM integrations WHERE id = '" + id + "'") == 300);  // local value kept
  CHECK(run.sync().exit_code == 1);
  CHECK(writes(run, "PATCH").size() == 1);  // not retried
  auto list = run.gigasync({"changes", "list"});
  CHECK(list.out.find("failed") != std::string::npos);
  REQUIRE(sqlite3(run, "UPDATE integrations SET name = 'Fixed AB' WHERE id = '" + id + "'").exit_code == 0);
  auto fixed = run.sync();
  INFO(fixed.err);
  CHECK(fixed.exit_code == 0);
  CHECK(run.remote().at(id).get("name") == "Fixed AB");
  CHECK(run.count("SELECT count(*) FROM pending_changes WHERE state IN ('pending', 'in_flight', 'failed', 'conflict')") == 0);
}

TEST_CASE("changes retry and discard work on a failed change", "[push]") {
  SandboxRun run(sandbox_options(30));
  REQUIRE(run.sync().exit_code == 0);
  auto id = ids_of_type(run, 3, 1)[0];
  std::string original = *run.mirror().at(id).get("email");
  REQUIRE(sqlite3(run, "UPDATE integrations SET email = 'x@y.se', name = " + kTooLong + " WHERE id = '" + id + "'").exit_code == 0);
  CHECK(run.sync().exit_code == 1);
  auto retry = run.gigasync({"changes", "retry", "1"});
  CHECK(retry.exit_code == 0);
  CHECK(run.count("SELECT count(DISTINCT idempotency_key) FROM pending_changes") == 2);
  // The retried change was never applied: it is not `done` but `superseded` by the new one.
  CHECK(run.text("SELECT state FROM pending_changes WHERE id = 1") == "superseded");
  CHECK(run.sync().exit_code == 1);  // still refused, under a new key
  auto discard = run.gigasync({"changes", "discard", "2"});
  INFO(discard.err);
  CHECK(discard.exit_code == 0);
  CHECK(run.text("SELECT email FROM integrations WHERE id = '" + id + "'") == original);
  CHECK(run.text("SELECT state FROM pending_changes WHERE id = 2") == "discarded");
  auto all = run.gigasync({"changes", "list", "--all"});
  CHECK(all.out.find("discarded") != std::string::npos);
  CHECK(all.out.find("superseded") != std::string::npos);
  CHECK(run.sync().exit_code == 0);
  CHECK(run.gigasync({"changes", "retry", "99"}).exit_code == 64);
}

TEST_CASE("transient failures during a push are retried with the same key and applied once", "[push][faults]") {
  sandbox::Faults f;
  SECTION("429") { f.rate_limit_every = 2; f.retry_after_s = 1; }
  SECTION("5XX") { f.error_rate = 0.4; }
  SECTION("lost responses after the write was applied") { f.lose_response_rate = 0.5; }
  SandboxRun run(sandbox_options(30), "max_retries = 10");
  REQUIRE(run.sync().exit_code == 0);
  auto ids = ids_of_type(run, 3, 5);
  for (size_t i = 0; i < ids.size(); ++i)
    REQUIRE(sqlite3(run, "UPDATE integrations SET zip_code = 'Z" + std::to_string(i) + "' WHERE id = '" + ids[i] + "'").exit_code == 0);
  run.server.set_faults(f);
  auto r = run.sync({"--push-only"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  run.server.set_faults({});
  for (size_t i = 0; i < ids.size(); ++i) CHECK(run.remote().at(ids[i]).get("zip_code") == "Z" + std::to_string(i));
  std::map<std::string, int> applied;
  std::set<std::string> keys;
  for (const auto& req : writes(run, "PATCH")) {
    REQUIRE(req.idempotency_key);
    keys.insert(*req.idempotency_key);
    if (req.applied) applied[*req.idempotency_key]++;
  }
  CHECK(keys.size() == ids.size());
  for (const auto& [k, n] : applied) CHECK(n == 1);
  CHECK(applied.size() == ids.size());
}

TEST_CASE("a refused token stops the push with exit 77 and keeps the change", "[push]") {
  SandboxRun run(sandbox_options(20));
  REQUIRE(run.sync().exit_code == 0);
  auto id = ids_of_type(run, 3, 1)[0];
  REQUIRE(sqlite3(run, "UPDATE integrations SET city = 'Borås' WHERE id = '" + id + "'").exit_code == 0);
  sandbox::Faults f;
  f.forbid = true;
  run.server.set_faults(f);
  CHECK(run.sync({"--push-only"}).exit_code == 77);
  CHECK(run.text("SELECT state FROM pending_changes") == "pending");
  run.server.set_faults({});
  CHECK(run.sync().exit_code == 0);
  CHECK(run.remote().at(id).get("city") == "Borås");
}

TEST_CASE("changes to different fields on the two sides merge", "[push][conflicts]") {
  SandboxRun run(sandbox_options(20));
  REQUIRE(run.sync().exit_code == 0);
  auto id = ids_of_type(run, 3, 1)[0];
  remote_set(run.server, id, "city", "\"Sundsvall\"");
  REQUIRE(sqlite3(run, "UPDATE integrations SET email = 'lokal@ex.se' WHERE id = '" + id + "'").exit_code == 0);
  auto r = run.sync();
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(run.remote().at(id).get("city") == "Sundsvall");
  CHECK(run.remote().at(id).get("email") == "lokal@ex.se");
  CHECK(differences(run.mirror(), run.remote()) == "");
  CHECK(run.count("SELECT count(*) FROM conflicts") == 0);
}

TEST_CASE("the same field changed on both sides is a conflict, resolved either way to equal sides", "[push][conflicts]") {
  SandboxRun run(sandbox_options(20));
  REQUIRE(run.sync().exit_code == 0);
  auto id = ids_of_type(run, 3, 1)[0];
  std::string base = *run.mirror().at(id).get("city");
  remote_set(run.server, id, "city", "\"Remote stad\"");
  REQUIRE(sqlite3(run, "UPDATE integrations SET city = 'Lokal stad' WHERE id = '" + id + "'").exit_code == 0);
  auto r = run.sync();
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("conflict on integration " + id + " field city: base \"" + base +
                   "\", local \"Lokal stad\", remote \"Remote stad\"") != std::string::npos);
  CHECK(r.err.find("warn") != std::string::npos);
  CHECK(run.remote().at(id).get("city") == "Remote stad");  // manual: nothing pushed for the field
  auto list = run.gigasync({"conflicts", "list"});
  CHECK(list.out.find(id.substr(0, 20)) != std::string::npos);
  CHECK(run.count("SELECT count(*) FROM conflicts WHERE resolved_at IS NULL") == 1);
  CHECK(run.sync().exit_code == 1);  // still open
  std::string keep;
  SECTION("keep local") { keep = "local"; }
  SECTION("keep remote") { keep = "remote"; }
  auto res = run.gigasync({"conflicts", "resolve", "1", "--keep", keep});
  INFO(res.err);
  REQUIRE(res.exit_code == 0);
  auto after = run.sync();
  INFO(after.err);
  CHECK(after.exit_code == 0);
  CHECK(differences(run.mirror(), run.remote()) == "");
  CHECK(run.remote().at(id).get("city") == (keep == "local" ? "Lokal stad" : "Remote stad"));
  if (keep == "local") CHECK(writes(run, "PATCH").size() == 1);  // the field, not the whole row
  CHECK(writes(run, "PUT").empty());
}

TEST_CASE("remote-wins and local-wins resolve at once and still record the conflict", "[push][conflicts]") {
  std::string policy = GENERATE(std::string("remote-wins"), std::string("local-wins"));
  SandboxRun run(sandbox_options(20), "", "[sync]\nconflict_policy = \"" + policy + "\"");
  REQUIRE(run.sync().exit_code == 0);
  auto id = ids_of_type(run, 3, 1)[0];
  remote_set(run.server, id, "recipient", "\"R AB\"");
  REQUIRE(sqlite3(run, "UPDATE integrations SET recipient = 'L AB' WHERE id = '" + id + "'").exit_code == 0);
  auto r = run.sync();
  INFO(r.err);
  CHECK(r.exit_code == 0);
  CHECK(run.remote().at(id).get("recipient") == (policy == "local-wins" ? "L AB" : "R AB"));
  CHECK(differences(run.mirror(), run.remote()) == "");
  CHECK(run.text("SELECT resolution FROM conflicts") == policy);
}

TEST_CASE("a local edit of an integration deleted remotely is a conflict", "[push][conflicts]") {
  SandboxRun run(sandbox_options(50));
  REQUIRE(run.sync().exit_code == 0);
  auto id = ids_of_type(run, 3, 1)[0];
  REQUIRE(run.server.remove_object(id));
  REQUIRE(sqlite3(run, "UPDATE integrations SET name = 'Lever AB' WHERE id = '" + id + "'").exit_code == 0);
  auto r = run.sync();
  CHECK(r.exit_code == 1);
  CHECK(run.text("SELECT field FROM conflicts WHERE integration_id = '" + id + "'") == "(deleted)");
  CHECK(run.count("SELECT count(*) FROM integrations WHERE id = '" + id + "'") == 1);  // local kept for now
  REQUIRE(run.gigasync({"conflicts", "resolve", "1", "--keep", "local"}).exit_code == 0);
  CHECK(run.sync().exit_code == 0);
  CHECK(run.remote().at(id).get("name") == "Lever AB");  // re-created
  CHECK(differences(run.mirror(), run.remote()) == "");
}

TEST_CASE("a dry run lists what would be pushed and sends nothing", "[push]") {
  SandboxRun run(sandbox_options(20));
  REQUIRE(run.sync().exit_code == 0);
  auto id = ids_of_type(run, 3, 1)[0];
  REQUIRE(sqlite3(run, "UPDATE integrations SET zip_code = '99999' WHERE id = '" + id + "'").exit_code == 0);
  auto r = run.sync({"--dry-run"});
  CHECK(r.out.find("update of integration " + id) != std::string::npos);
  CHECK(writes(run, "PATCH").empty());
  CHECK(run.text("SELECT state FROM pending_changes") == "pending");
  auto status = run.gigasync({"status", "--json"});
  CHECK(status.out.find("\"pending\":1") != std::string::npos);
}

TEST_CASE("edits made by a separate sqlite3 process while a sync runs are all pushed", "[push]") {
  auto o = sandbox_options(200, 20);
  SandboxRun run(o, "page_size = 20\nconcurrency = 1");
  REQUIRE(run.sync().exit_code == 0);
  auto ids = ids_of_type(run, 3, 20);
  sandbox::Faults slow;
  slow.latency_ms = 40;
  run.server.set_faults(slow);
  Child sync(gigasync_binary(), {"sync", "-c", run.config}, {{"GIGAPAY_TOKEN", "\x01"}}, run.dir.path, "sync");
  for (size_t i = 0; i < ids.size(); ++i) {
    auto e = sqlite3(run, "UPDATE integrations SET address_line_2 = 'c/o " + std::to_string(i) + "' WHERE id = '" + ids[i] + "'");
    REQUIRE(e.exit_code == 0);
    std::this_thread::sleep_for(std::chrono::milliseconds(15));
  }
  CHECK(sync.wait(std::chrono::seconds(60)) == 0);
  run.server.set_faults({});
  auto r = run.sync();
  INFO(r.err);
  CHECK(r.exit_code == 0);
  for (size_t i = 0; i < ids.size(); ++i) CHECK(run.remote().at(ids[i]).get("address_line_2") == "c/o " + std::to_string(i));
  CHECK(differences(run.mirror(), run.remote()) == "");
}
