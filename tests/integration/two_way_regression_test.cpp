// Two-way sync regressions: each TEST_CASE reproduces one reported bug with the real gigasync binary
// against the in-process sandbox, editing the mirror as a person would (a separate SQLite
// connection) and the API "remotely" (the sandbox's admin calls). The expected behaviour comes from
// the product contract ("Two-way merge rules"); only observable results are asserted: exit codes,
// database rows, the sandbox's objects and request log, and (through tests/support/fault_proxy.h)
// the request bodies gigasync sent.
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include "support/fault_proxy.h"
#include "support/sandbox_fixture.h"

using namespace gigasync;
using namespace gigasync::test;

namespace {

const std::string kManual = "[sync]\nconflict_policy = \"manual\"\n";

// An optional field as text for messages and comparisons ("<null>" for null).
std::string v(const std::optional<std::string>& x) { return x.value_or("<null>"); }

std::string sql_text(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("''") : std::string(1, c);
  return out + "'";
}

std::string item_path(const std::string& id) { return "/v2/integrations/" + id + "/"; }
const std::string kCollection = "/v2/integrations/";

// `n` custom (type 3) integrations without a logo, so a PUT or a rename never has to carry one.
std::vector<std::string> custom_ids(SandboxRun& run, size_t n) {
  std::vector<std::string> out;
  for (const auto& [id, o] : run.remote())
    if (o.get("type") == "3" && !o.get("logo") && out.size() < n) out.push_back(id);
  REQUIRE(out.size() == n);
  return out;
}

// The sandbox's request log: `method` requests (to `path` when not empty) from index `from` on.
std::vector<sandbox::RequestRecord> sandbox_requests(SandboxRun& run, const std::string& method,
                                                     const std::string& path = "", size_t from = 0) {
  std::vector<sandbox::RequestRecord> out;
  auto all = run.server.requests();
  for (size_t i = from; i < all.size(); ++i)
    if (all[i].method == method && (path.empty() || all[i].path == path)) out.push_back(all[i]);
  return out;
}

std::vector<ProxiedRequest> proxied(FaultProxy& proxy, const std::string& method, const std::string& path) {
  std::vector<ProxiedRequest> out;
  for (const auto& r : proxy.requests(method))
    if (r.path == path) out.push_back(r);
  return out;
}

// Points the run's config at the proxy instead of the sandbox (same token, database and extras).
void use_proxy(SandboxRun& run, const FaultProxy& proxy, const std::string& extra = kManual,
               const std::string& api_extra = "") {
  write_config(run.dir.path, proxy.base_url(), api_extra, extra);
}

// A JSON request body's member `field`: present = false when absent; "null" for JSON null; the text of a
// string; otherwise the member as compact JSON.
struct BodyField {
  bool present = false;
  std::string value;
};
BodyField body_field(const std::string& body, const char* field) {
  rapidjson::Document d;
  d.Parse(body.c_str());
  if (d.HasParseError() || !d.IsObject() || !d.HasMember(field)) return {};
  const auto& member = d[field];
  if (member.IsNull()) return {true, "null"};
  if (member.IsString()) return {true, std::string(member.GetString(), member.GetStringLength())};
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  member.Accept(w);
  return {true, buf.GetString()};
}

long long open_conflict_id(SandboxRun& run, const std::string& id, const std::string& field) {
  return run.count("SELECT coalesce((SELECT min(id) FROM conflicts WHERE integration_id = " + sql_text(id) +
                   " AND field = " + sql_text(field) + " AND resolved_at IS NULL), 0)");
}

long long open_conflicts(SandboxRun& run) { return run.count("SELECT count(*) FROM conflicts WHERE resolved_at IS NULL"); }

std::string mirror_field(SandboxRun& run, const std::string& id, const std::string& field) {
  return run.text("SELECT " + field + " FROM integrations WHERE id = " + sql_text(id));
}

std::string last_run_status(SandboxRun& run) { return run.text("SELECT status FROM sync_runs ORDER BY id DESC LIMIT 1"); }

// `gigasync verify` (a fresh listing compared with the mirror: 0 equal, 1 different). Kept in one
// place so that it is easy to drop; GIGASYNC_TEST_SKIP_VERIFY=1 skips it.
void expect_verify_ok(SandboxRun& run) {
  if (std::getenv("GIGASYNC_TEST_SKIP_VERIFY") != nullptr) return;
  auto r = run.gigasync({"verify"});
  INFO("gigasync verify: exit " << r.exit_code << "\n" << r.out << r.err);
  CHECK(r.exit_code == 0);
}

// Both sides hold the same objects, and gigasync itself agrees.
void expect_converged(SandboxRun& run) {
  CHECK(differences(run.mirror(), run.remote()) == "");
  expect_verify_ok(run);
}

std::string describe(const RunResult& r) {
  return "exit " + std::to_string(r.exit_code) + "\nstdout:\n" + r.out + "\nstderr:\n" + r.err;
}

// The first sync of a fresh mirror, which every scenario starts from.
void initial_sync(SandboxRun& run) {
  auto r = run.sync();
  INFO("initial sync: " << describe(r));
  REQUIRE(r.exit_code == 0);
}

}  // namespace

// 1. `sync --push-only` (the daemon's quick push) must read the remote version before it writes.
TEST_CASE("push-only reads the remote version first: a remote edit of the same field is a conflict, not overwritten",
          "[two-way]") {
  SandboxRun run(sandbox_options(20), "", kManual);
  initial_sync(run);
  auto id = custom_ids(run, 1)[0];
  std::string base_city = *run.mirror().at(id).get("city");
  remote_set(run.server, id, "city", "\"A\"");
  run.exec("UPDATE integrations SET city = 'B' WHERE id = " + sql_text(id));
  size_t mark = run.server.requests().size();
  auto r = run.sync({"--push-only"});
  INFO(describe(r));
  CHECK(r.exit_code == 1);
  CHECK(sandbox_requests(run, "PATCH", item_path(id), mark).empty());  // the only local change is city
  CHECK(sandbox_requests(run, "PUT", item_path(id), mark).empty());
  CHECK(!sandbox_requests(run, "GET", "", mark).empty());  // the remote version was read
  CHECK(v(run.remote().at(id).get("city")) == "A");
  CHECK(run.count("SELECT count(*) FROM conflicts WHERE integration_id = " + sql_text(id) +
                  " AND field = 'city' AND base_value = " + sql_text(base_city) +
                  " AND local_value = 'B' AND remote_value = 'A' AND resolved_at IS NULL") == 1);
  CHECK(mirror_field(run, id, "city") == "B");  // manual: the local value is kept, unpushed
  CHECK(run.count("SELECT count(*) FROM pending_changes WHERE integration_id = " + sql_text(id) +
                  " AND state = 'conflict'") >= 1);
}

TEST_CASE("push-only merges a remote edit of another field: only the local field is sent", "[two-way]") {
  SandboxRun run(sandbox_options(20), "", kManual);
  FaultProxy proxy(run.server.origin());
  use_proxy(run, proxy);
  initial_sync(run);
  auto id = custom_ids(run, 1)[0];
  remote_set(run.server, id, "zip_code", "\"999 99\"");
  run.exec("UPDATE integrations SET city = 'B' WHERE id = " + sql_text(id));
  auto r = run.sync({"--push-only"});
  INFO(describe(r));
  CHECK(r.exit_code == 0);
  auto patches = proxied(proxy, "PATCH", item_path(id));
  REQUIRE(patches.size() == 1);
  INFO("PATCH body: " << patches[0].body);
  CHECK(body_field(patches[0].body, "city").value == "B");
  CHECK_FALSE(body_field(patches[0].body, "zip_code").present);
  CHECK(proxied(proxy, "PUT", item_path(id)).empty());
  auto remote = run.remote().at(id);
  CHECK(v(remote.get("city")) == "B");
  CHECK(v(remote.get("zip_code")) == "999 99");
  CHECK(mirror_field(run, id, "city") == "B");
  CHECK(mirror_field(run, id, "zip_code") == "999 99");
  CHECK(open_conflicts(run) == 0);
  expect_converged(run);
}

// 2. A field edited and changed back is not a local change; the remote edit wins.
TEST_CASE("an edit undone before the sync sends nothing and the remote change wins", "[two-way]") {
  SandboxRun run(sandbox_options(20), "", kManual);
  initial_sync(run);
  auto id = custom_ids(run, 1)[0];
  std::string original = *run.mirror().at(id).get("city");
  run.exec("UPDATE integrations SET city = 'Tmp' WHERE id = " + sql_text(id));
  run.exec("UPDATE integrations SET city = " + sql_text(original) + " WHERE id = " + sql_text(id));
  remote_set(run.server, id, "city", "\"R\"");
  size_t mark = run.server.requests().size();
  auto r = run.sync();
  INFO(describe(r));
  CHECK(r.exit_code == 0);
  CHECK(sandbox_requests(run, "PATCH", item_path(id), mark).empty());  // city is the only field touched
  CHECK(sandbox_requests(run, "PUT", item_path(id), mark).empty());
  CHECK(v(run.remote().at(id).get("city")) == "R");
  CHECK(mirror_field(run, id, "city") == "R");
  CHECK(open_conflicts(run) == 0);
  CHECK(run.count("SELECT count(*) FROM pending_changes WHERE state IN ('pending', 'in_flight', 'failed', 'conflict')") == 0);
  expect_converged(run);
}

// 3. INSERT OR REPLACE → PUT of the merged object, never a stale field.
TEST_CASE("INSERT OR REPLACE that changes only the name sends a PUT carrying the remote's newer city", "[two-way]") {
  SandboxRun run(sandbox_options(20), "", kManual);
  FaultProxy proxy(run.server.origin());
  use_proxy(run, proxy);
  initial_sync(run);
  auto id = custom_ids(run, 1)[0];
  remote_set(run.server, id, "city", "\"Remote City\"");
  run.exec("INSERT OR REPLACE INTO integrations (id, name, type, logo, metadata, email, recipient, address_line_1, "
           "address_line_2, zip_code, city) SELECT id, 'Replaced Name AB', type, logo, metadata, email, recipient, "
           "address_line_1, address_line_2, zip_code, city FROM integrations WHERE id = " + sql_text(id));
  auto r = run.sync();
  INFO(describe(r));
  CHECK(r.exit_code == 0);
  auto puts = proxied(proxy, "PUT", item_path(id));
  REQUIRE(puts.size() == 1);
  INFO("PUT body: " << puts[0].body);
  CHECK(body_field(puts[0].body, "name").value == "Replaced Name AB");
  CHECK(body_field(puts[0].body, "city").value == "Remote City");
  auto remote = run.remote().at(id);
  CHECK(v(remote.get("name")) == "Replaced Name AB");
  CHECK(v(remote.get("city")) == "Remote City");
  CHECK(mirror_field(run, id, "name") == "Replaced Name AB");
  CHECK(mirror_field(run, id, "city") == "Remote City");
  CHECK(open_conflicts(run) == 0);
  expect_converged(run);
}

// 4. Keep remote for one field; the newest local edit of another field still wins.
TEST_CASE("keep remote after a newer local edit: the remote name and the newest local email both stay", "[two-way]") {
  SandboxRun run(sandbox_options(20), "", kManual);
  initial_sync(run);
  auto id = custom_ids(run, 1)[0];
  remote_set(run.server, id, "name", "\"R\"");
  run.exec("UPDATE integrations SET name = 'L', email = 'b@x.se' WHERE id = " + sql_text(id));
  auto first = run.sync();
  INFO(describe(first));
  CHECK(first.exit_code == 1);
  long long conflict = open_conflict_id(run, id, "name");
  REQUIRE(conflict > 0);
  run.exec("UPDATE integrations SET email = 'c@x.se' WHERE id = " + sql_text(id));
  auto res = run.gigasync({"conflicts", "resolve", std::to_string(conflict), "--keep", "remote"});
  INFO(describe(res));
  REQUIRE(res.exit_code == 0);
  auto r = run.sync();
  INFO(describe(r));
  CHECK(r.exit_code == 0);
  auto remote = run.remote().at(id);
  CHECK(v(remote.get("name")) == "R");
  CHECK(v(remote.get("email")) == "c@x.se");
  CHECK(mirror_field(run, id, "name") == "R");
  CHECK(mirror_field(run, id, "email") == "c@x.se");
  CHECK(open_conflicts(run) == 0);
  expect_converged(run);
}

// 5. Keep local sends the kept field (and other pending local fields), not a stale whole row.
TEST_CASE("keep local does not undo a remote edit of another field made after the conflict", "[two-way]") {
  SandboxRun run(sandbox_options(20), "", kManual);
  initial_sync(run);
  auto id = custom_ids(run, 1)[0];
  remote_set(run.server, id, "name", "\"R\"");
  run.exec("UPDATE integrations SET name = 'L' WHERE id = " + sql_text(id));
  auto first = run.sync();
  INFO(describe(first));
  CHECK(first.exit_code == 1);
  long long conflict = open_conflict_id(run, id, "name");
  REQUIRE(conflict > 0);
  remote_set(run.server, id, "city", "\"C2\"");
  auto res = run.gigasync({"conflicts", "resolve", std::to_string(conflict), "--keep", "local"});
  INFO(describe(res));
  REQUIRE(res.exit_code == 0);
  auto r = run.sync();
  INFO(describe(r));
  CHECK(r.exit_code == 0);
  auto remote = run.remote().at(id);
  CHECK(v(remote.get("name")) == "L");
  CHECK(v(remote.get("city")) == "C2");
  CHECK(mirror_field(run, id, "name") == "L");
  CHECK(mirror_field(run, id, "city") == "C2");
  CHECK(open_conflicts(run) == 0);
  expect_converged(run);
}

// 6. "changes discard N: its fields go back to the base only where no newer pending change carries them".
TEST_CASE("discarding an older held change keeps a field that a newer pending change carries", "[two-way]") {
  SandboxRun run(sandbox_options(20), "", kManual);
  initial_sync(run);
  auto id = custom_ids(run, 1)[0];
  // Change X carries name and email; a remote edit of name holds it in a conflict.
  remote_set(run.server, id, "name", "\"Remote Name\"");
  run.exec("UPDATE integrations SET name = 'Local Name', email = 'x1@x.se' WHERE id = " + sql_text(id));
  auto first = run.sync();
  INFO(describe(first));
  CHECK(first.exit_code == 1);
  REQUIRE(open_conflict_id(run, id, "name") > 0);
  long long x = run.count("SELECT coalesce(max(id), 0) FROM pending_changes WHERE integration_id = " + sql_text(id) +
                          " AND state = 'conflict'");
  REQUIRE(x > 0);
  // A newer edit of email: a held change is not folded into, so this is a newer pending change.
  run.exec("UPDATE integrations SET email = 'new@x.se' WHERE id = " + sql_text(id));
  CHECK(run.count("SELECT count(*) FROM pending_changes WHERE integration_id = " + sql_text(id) + " AND id > " +
                  std::to_string(x) + " AND state IN ('pending', 'in_flight', 'failed', 'conflict') AND json_extract(payload, '$.email') = 'new@x.se'") == 1);
  auto discard = run.gigasync({"changes", "discard", std::to_string(x)});
  INFO(describe(discard));
  REQUIRE(discard.exit_code == 0);
  CHECK(mirror_field(run, id, "email") == "new@x.se");
  auto r = run.sync();
  INFO(describe(r));
  CHECK(r.exit_code == 0);
  auto remote = run.remote().at(id);
  CHECK(v(remote.get("email")) == "new@x.se");
  CHECK(v(remote.get("name")) == "Remote Name");  // X (with the local name) was discarded
  CHECK(mirror_field(run, id, "email") == "new@x.se");
  CHECK(mirror_field(run, id, "name") == "Remote Name");
  CHECK(open_conflicts(run) == 0);
  expect_converged(run);
}

// 7. A create the API refused stays a create when the row is edited again.
TEST_CASE("a refused create followed by an UPDATE of the row is sent as a POST", "[two-way]") {
  SandboxRun run(sandbox_options(20), "", kManual);
  initial_sync(run);
  const std::string id = "failed-create-1";
  // The database accepts any logo text; the API refuses one that is not base64 image data.
  run.exec("INSERT INTO integrations (id, name, email, recipient, address_line_1, zip_code, city, logo) VALUES (" +
           sql_text(id) + ", 'Ny Firma AB', 'faktura@nyfirma.se', 'Ny Firma AB', 'Storgatan 1', '111 22', "
           "'Stockholm', '@@not-base64@@')");
  auto first = run.sync();
  INFO(describe(first));
  CHECK(first.exit_code == 1);
  CHECK(run.count("SELECT count(*) FROM pending_changes WHERE integration_id = " + sql_text(id) +
                  " AND state = 'failed'") == 1);
  CHECK(run.remote().count(id) == 0);
  REQUIRE(sandbox_requests(run, "POST", kCollection).size() == 1);
  size_t mark = run.server.requests().size();
  run.exec("UPDATE integrations SET logo = NULL WHERE id = " + sql_text(id));
  auto r = run.sync();
  INFO(describe(r));
  CHECK(r.exit_code == 0);
  auto posts = sandbox_requests(run, "POST", kCollection, mark);
  REQUIRE(posts.size() == 1);
  CHECK(posts[0].status == 201);
  CHECK(sandbox_requests(run, "PATCH", item_path(id), mark).empty());
  CHECK(sandbox_requests(run, "PUT", item_path(id), mark).empty());
  REQUIRE(run.remote().count(id) == 1);
  CHECK(v(run.remote().at(id).get("name")) == "Ny Firma AB");
  CHECK(!run.remote().at(id).get("logo"));
  CHECK(run.count("SELECT count(*) FROM conflicts") == 0);
  CHECK(run.count("SELECT count(*) FROM pending_changes WHERE state IN ('pending', 'in_flight', 'failed', 'conflict')") == 0);
  expect_converged(run);
}

// 8. A 2XX answer that does not parse fails that change only.
TEST_CASE("a 2XX answer with a body that does not parse fails only that change, and later edits still go",
          "[two-way]") {
  SandboxRun run(sandbox_options(20), "", kManual);
  FaultProxy proxy(run.server.origin());
  use_proxy(run, proxy);
  initial_sync(run);
  auto ids = custom_ids(run, 2);
  const std::string a = ids[0], b = ids[1];
  run.exec("UPDATE integrations SET city = 'Garbled City' WHERE id = " + sql_text(a));
  run.exec("UPDATE integrations SET city = 'Fine City' WHERE id = " + sql_text(b));
  // Every answer to a PATCH of `a` in this sync (retries included) keeps its 200 but loses its JSON.
  proxy.garble_next("PATCH", -1, "this is <b>not</b> JSON {", item_path(a));
  auto first = run.sync();
  INFO(describe(first));
  proxy.clear();
  // A change refused is exit 1; 65 (the API sent data that does not fit its contract) is also read
  // as acceptable here. Never 70 (internal error), never a hang.
  CHECK((first.exit_code == 1 || first.exit_code == 65));
  REQUIRE(!proxied(proxy, "PATCH", item_path(a)).empty());
  CHECK(proxied(proxy, "PATCH", item_path(a)).back().action == "garbled");
  CHECK(run.text("SELECT state FROM pending_changes WHERE integration_id = " + sql_text(a) + " ORDER BY id DESC LIMIT 1") ==
        "failed");
  CHECK(!run.text("SELECT coalesce(last_error, '') FROM pending_changes WHERE integration_id = " + sql_text(a) +
                  " ORDER BY id DESC LIMIT 1").empty());
  CHECK(run.text("SELECT state FROM pending_changes WHERE integration_id = " + sql_text(b) + " ORDER BY id DESC LIMIT 1") ==
        "done");
  CHECK(v(run.remote().at(b).get("city")) == "Fine City");
  CHECK(run.count("SELECT count(*) FROM pending_changes WHERE state = 'in_flight'") == 0);

  // The proxy answers normally again: a later edit of `a` is pushed as usual.
  run.exec("UPDATE integrations SET zip_code = '123 45' WHERE id = " + sql_text(a));
  auto second = run.sync();
  INFO(describe(second));
  CHECK((second.exit_code == 0 || second.exit_code == 1));
  CHECK(v(run.remote().at(a).get("zip_code")) == "123 45");
  CHECK(run.count("SELECT count(*) FROM pending_changes WHERE state = 'in_flight'") == 0);
  CHECK(run.count("SELECT count(*) FROM pending_changes WHERE integration_id = " + sql_text(a) +
                  " AND json_extract(payload, '$.zip_code') = '123 45' AND state = 'done'") >= 1);
  CHECK(v(run.remote().at(a).get("city")) == "Garbled City");  // the first PATCH did reach the API
  expect_converged(run);
}

// 9. A local DELETE of a row edited remotely since the base is a conflict.
TEST_CASE("a local DELETE of a row the API edited is a conflict: keep remote restores it, keep local deletes it",
          "[two-way]") {
  SandboxRun run(sandbox_options(20), "", kManual);
  initial_sync(run);
  auto id = custom_ids(run, 1)[0];
  remote_set(run.server, id, "city", "\"Remote Edited\"");
  run.exec("DELETE FROM integrations WHERE id = " + sql_text(id));
  auto first = run.sync();
  INFO(describe(first));
  CHECK(first.exit_code == 1);
  CHECK(sandbox_requests(run, "DELETE", item_path(id)).empty());
  CHECK(run.remote().count(id) == 1);
  long long conflict = run.count("SELECT coalesce((SELECT min(id) FROM conflicts WHERE integration_id = " + sql_text(id) +
                                 " AND resolved_at IS NULL), 0)");
  REQUIRE(conflict > 0);
  SECTION("keep remote") {
    auto res = run.gigasync({"conflicts", "resolve", std::to_string(conflict), "--keep", "remote"});
    INFO(describe(res));
    REQUIRE(res.exit_code == 0);
    auto r = run.sync();
    INFO(describe(r));
    CHECK(r.exit_code == 0);
    CHECK(sandbox_requests(run, "DELETE", item_path(id)).empty());
    REQUIRE(run.remote().count(id) == 1);
    REQUIRE(run.mirror().count(id) == 1);
    CHECK(differences({{id, run.mirror().at(id)}}, {{id, run.remote().at(id)}}) == "");
    CHECK(mirror_field(run, id, "city") == "Remote Edited");
    CHECK(open_conflicts(run) == 0);
    expect_converged(run);
  }
  SECTION("keep local") {
    auto res = run.gigasync({"conflicts", "resolve", std::to_string(conflict), "--keep", "local"});
    INFO(describe(res));
    REQUIRE(res.exit_code == 0);
    auto r = run.sync();
    INFO(describe(r));
    CHECK(r.exit_code == 0);
    CHECK(sandbox_requests(run, "DELETE", item_path(id)).size() == 1);
    CHECK(run.remote().count(id) == 0);
    CHECK(run.mirror().count(id) == 0);
    CHECK(open_conflicts(run) == 0);
    expect_converged(run);
  }
}

// 10. Writes that keep failing after their retries are exit 69, and the run is not recorded as ok.
TEST_CASE("pushes that give up after their retries exit 69 and the run is not recorded as ok", "[two-way]") {
  SandboxRun run(sandbox_options(20), "", kManual);
  FaultProxy proxy(run.server.origin());
  use_proxy(run, proxy);
  initial_sync(run);
  auto id = custom_ids(run, 1)[0];
  run.exec("UPDATE integrations SET city = 'Unpushed' WHERE id = " + sql_text(id));
  SECTION("every PATCH answered 503 with an HTML body (reads work)") {
    proxy.fail_next("PATCH", -1, 503, "<html><body><h1>503 Service Unavailable</h1></body></html>", "text/html");
    auto r = run.sync();
    INFO(describe(r));
    CHECK(r.exit_code == 69);
    CHECK(proxy.requests("PATCH").size() >= 2);  // retried
    proxy.clear();
  }
  SECTION("the sandbox fails every request after a good pull, with --push-only") {
    sandbox::Faults f;
    f.error_rate = 1.0;
    run.server.set_faults(f);
    auto r = run.sync({"--push-only"});
    INFO(describe(r));
    CHECK(r.exit_code == 69);
    run.server.set_faults({});
  }
  CHECK(last_run_status(run) != "ok");
  CHECK(last_run_status(run) != "");
  CHECK(v(run.remote().at(id).get("city")) != "Unpushed");
  // Nothing is lost: the next sync, with the API answering, pushes it.
  CHECK(run.count("SELECT count(*) FROM pending_changes WHERE state IN ('pending', 'in_flight')") == 1);
  auto after = run.sync();
  INFO(describe(after));
  CHECK(after.exit_code == 0);
  CHECK(v(run.remote().at(id).get("city")) == "Unpushed");
  CHECK(last_run_status(run) == "ok");
  expect_converged(run);
}

// 11. The deletion guard: small deletions are exempt (sync.min_delete_guard), larger ones still refused.
TEST_CASE("the remote deletion guard exempts small deletions and still refuses large ones", "[two-way]") {
  SECTION("4 mirrored, 1 deleted remotely: applied") {
    SandboxRun run(sandbox_options(4), "", kManual + "max_delete_fraction = 0.2\n");
    initial_sync(run);
    REQUIRE(run.mirror().size() == 4);
    std::string gone;
    for (const auto& [id, o] : run.remote())
      if (o.get("type") != "1") gone = id;
    REQUIRE(!gone.empty());
    REQUIRE(run.server.remove_object(gone));
    auto r = run.sync();
    INFO(describe(r));
    CHECK(r.exit_code == 0);
    CHECK(run.mirror().count(gone) == 0);
    CHECK(run.mirror().size() == 3);
    expect_converged(run);
  }
  SECTION("40 mirrored, min_delete_guard = 2, 20 deleted remotely: refused until --force-deletes") {
    SandboxRun run(sandbox_options(40), "", kManual + "max_delete_fraction = 0.2\nmin_delete_guard = 2\n");
    initial_sync(run);
    std::vector<std::string> gone;
    for (const auto& [id, o] : run.remote())
      if (o.get("type") != "1" && gone.size() < 20) gone.push_back(id);
    REQUIRE(gone.size() == 20);
    for (const auto& id : gone) REQUIRE(run.server.remove_object(id));
    auto r = run.sync();
    INFO(describe(r));
    CHECK(r.exit_code == 1);
    CHECK(run.mirror().size() == 40);
    auto forced = run.sync({"--force-deletes"});
    INFO(describe(forced));
    CHECK(forced.exit_code == 0);
    auto mirror = run.mirror();
    CHECK(mirror.size() == 20);
    for (const auto& id : gone) CHECK(mirror.count(id) == 0);
    expect_converged(run);
  }
}

// 12. metadata must be a JSON object: NULL included.
TEST_CASE("metadata that is not a JSON object, NULL included, is refused by the database and nothing is queued",
          "[two-way]") {
  SandboxRun run(sandbox_options(20), "", kManual);
  initial_sync(run);
  auto id = custom_ids(run, 1)[0];
  auto before = run.mirror();
  for (const std::string value : {"NULL", "'[1,2]'", "'not json'"}) {
    INFO("metadata = " << value);
    CHECK_THROWS_WITH(run.exec("UPDATE integrations SET metadata = " + value + " WHERE id = " + sql_text(id)),
                      Catch::Matchers::StartsWith("gigasync:"));
  }
  CHECK(run.count("SELECT count(*) FROM pending_changes") == 0);
  CHECK(differences(before, run.mirror()) == "");
  expect_converged(run);
}

// 13. Renames: local (PATCH {"id": new} to the old URL) and remote (seen as a delete plus a create).
TEST_CASE("renames: a local id change is pushed as a PATCH to the old URL, and a remote rename keeps the local edit",
          "[two-way]") {
  SandboxRun run(sandbox_options(20), "", kManual);
  FaultProxy proxy(run.server.origin());
  use_proxy(run, proxy);
  initial_sync(run);
  auto old_id = custom_ids(run, 1)[0];
  auto before = run.remote().at(old_id);

  SECTION("UPDATE ... SET id") {
    const std::string new_id = "renamed-1";
    REQUIRE_NOTHROW(run.exec("UPDATE integrations SET id = " + sql_text(new_id) + " WHERE id = " + sql_text(old_id)));
    auto r = run.sync();
    INFO(describe(r));
    CHECK(r.exit_code == 0);
    auto patches = proxied(proxy, "PATCH", item_path(old_id));
    REQUIRE(patches.size() == 1);
    INFO("PATCH body: " << patches[0].body);
    CHECK(body_field(patches[0].body, "id").value == new_id);
    auto remote = run.remote();
    CHECK(remote.count(old_id) == 0);
    REQUIRE(remote.count(new_id) == 1);
    Integration expected = before;
    expected.id = new_id;
    CHECK(differences({{new_id, expected}}, {{new_id, remote.at(new_id)}}) == "");
    auto mirror = run.mirror();
    CHECK(mirror.count(old_id) == 0);
    CHECK(mirror.count(new_id) == 1);
    CHECK(run.count("SELECT count(*) FROM pending_changes WHERE integration_id = " + sql_text(old_id)) == 0);
    CHECK(run.count("SELECT count(*) FROM pending_changes WHERE integration_id = " + sql_text(new_id)) >= 1);
    CHECK(run.count("SELECT count(*) FROM integration_changes WHERE integration_id = " + sql_text(old_id)) == 0);
    CHECK(run.count("SELECT count(*) FROM integration_changes WHERE integration_id = " + sql_text(new_id)) >= 1);
    CHECK(run.count("SELECT count(*) FROM pending_changes WHERE state IN ('pending', 'in_flight', 'failed', 'conflict')") == 0);
    expect_converged(run);
  }
  SECTION("UPDATE ... SET id and city in one statement") {
    const std::string new_id = "renamed-2";
    REQUIRE_NOTHROW(run.exec("UPDATE integrations SET id = " + sql_text(new_id) +
                             ", city = 'Renamed City' WHERE id = " + sql_text(old_id)));
    auto r = run.sync();
    INFO(describe(r));
    CHECK(r.exit_code == 0);
    auto patches = proxied(proxy, "PATCH", item_path(old_id));
    REQUIRE(!patches.empty());
    INFO("PATCH body: " << patches[0].body);
    CHECK(body_field(patches[0].body, "id").value == new_id);
    auto remote = run.remote();
    CHECK(remote.count(old_id) == 0);
    REQUIRE(remote.count(new_id) == 1);
    CHECK(v(remote.at(new_id).get("city")) == "Renamed City");
    CHECK(v(remote.at(new_id).get("name")) == v(before.get("name")));
    auto mirror = run.mirror();
    CHECK(mirror.count(old_id) == 0);
    REQUIRE(mirror.count(new_id) == 1);
    CHECK(v(mirror.at(new_id).get("city")) == "Renamed City");
    CHECK(run.count("SELECT count(*) FROM pending_changes WHERE integration_id = " + sql_text(old_id)) == 0);
    CHECK(run.count("SELECT count(*) FROM integration_changes WHERE integration_id = " + sql_text(old_id)) == 0);
    CHECK(run.count("SELECT count(*) FROM pending_changes WHERE state IN ('pending', 'in_flight', 'failed', 'conflict')") == 0);
    expect_converged(run);
  }
  SECTION("the API renames it while the city is edited locally") {
    const std::string new_id = "renamed-remotely-1";
    Integration renamed = before;
    renamed.id = new_id;
    // The same object under a new id: every other field as it was.
    rapidjson::Document all;
    all.Parse(run.server.objects_json().c_str());
    for (auto& o : all.GetArray()) {
      if (std::string(o["id"].GetString()) != old_id) continue;
      o["id"].SetString(new_id.c_str(), static_cast<rapidjson::SizeType>(new_id.size()), all.GetAllocator());
      rapidjson::StringBuffer buf;
      rapidjson::Writer<rapidjson::StringBuffer> w(buf);
      o.Accept(w);
      REQUIRE(run.server.put_object(buf.GetString()));
    }
    REQUIRE(run.server.remove_object(old_id));
    REQUIRE(differences({{new_id, renamed}}, {{new_id, run.remote().at(new_id)}}) == "");
    run.exec("UPDATE integrations SET city = 'Local City' WHERE id = " + sql_text(old_id));
    auto r = run.sync();
    INFO(describe(r));
    CHECK(r.exit_code == 0);
    auto remote = run.remote();
    CHECK(remote.count(old_id) == 0);
    REQUIRE(remote.count(new_id) == 1);
    CHECK(v(remote.at(new_id).get("city")) == "Local City");
    auto mirror = run.mirror();
    CHECK(mirror.count(old_id) == 0);
    REQUIRE(mirror.count(new_id) == 1);
    CHECK(v(mirror.at(new_id).get("city")) == "Local City");
    CHECK(open_conflicts(run) == 0);
    expect_converged(run);
  }
}
