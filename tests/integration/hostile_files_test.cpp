// Hostile files and disks (issue 9, point 6), with the real binary: a database that is not SQLite
// or is from a newer schema, a read-only database, a --db that does not exist, a disk that fills
// during a cycle, bad token files, a config with every key misspelled. Each case checks the exit
// code, the message, and that nothing was lost or overwritten.
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <string>
#include <vector>

#include "support/sandbox_fixture.h"

using namespace gigasync;
using namespace gigasync::test;

namespace {

// `sqlite3 DB SQL` as a person would run it; its standard output.
std::string sql_out(const std::string& db, const std::string& sql) {
  auto r = run_gigasync_tool("sqlite3", {db, sql});
  REQUIRE(r.exit_code == 0);
  return r.out;
}

// Everything a cycle must not lose: the mirror, the base and the outbox, row by row.
std::string durable_state(const std::string& db) {
  return sql_out(db, "SELECT * FROM integrations ORDER BY id") + "\n--\n" +
         sql_out(db, "SELECT * FROM integration_base ORDER BY id") + "\n--\n" +
         sql_out(db, "SELECT * FROM pending_changes ORDER BY id");
}

// gigasync ARGS -c CONFIG as an unprivileged user when this test runs as root (root ignores file
// modes), else as ourselves. The token file is not readable then: only reading commands work.
RunResult as_reader(SandboxRun& sandbox, std::vector<std::string> args) {
  args.push_back("-c");
  args.push_back(sandbox.config);
  Env env{{"GIGAPAY_TOKEN", "\x01"}, {"GIGASYNC_DB", "\x01"}, {"GIGASYNC_CONFIG", "\x01"}};
  if (::geteuid() != 0) return run_gigasync(args, env);
  std::vector<std::string> wrapped{"--reuid=65534", "--regid=65534", "--clear-groups", "--", gigasync_binary()};
  wrapped.insert(wrapped.end(), args.begin(), args.end());
  return gigasync::test::run("setpriv", wrapped, env);
}

std::string first_id(SandboxRun& run) { return run.text("SELECT min(id) FROM integrations WHERE type = 3"); }

}  // namespace

TEST_CASE("a database file that is not SQLite is refused with exit 73 and left as it is", "[hostile][files]") {
  SandboxRun run(sandbox_options(11));
  std::string junk;
  for (int i = 0; i < 400; ++i) junk += "these are someone's notes, not a database " + std::to_string(i) + "\n";
  std::ofstream(run.db()) << junk;
  for (const std::vector<std::string>& cmd : {std::vector<std::string>{"sync"}, {"status"}, {"changes", "list"}}) {
    auto r = run.gigasync(cmd);
    INFO(cmd[0] << ": " << r.err);
    CHECK(r.exit_code == 73);
    CHECK(r.err.find("not a SQLite database") != std::string::npos);
    CHECK(r.err.find(run.db()) != std::string::npos);
  }
  CHECK(read_file(run.db()) == junk);
  CHECK_FALSE(fs::exists(run.db() + "-wal"));
}

TEST_CASE("a database from a newer schema version is refused, not downgraded", "[hostile][files]") {
  SandboxRun run(sandbox_options(12));
  REQUIRE(run.sync().exit_code == 0);
  sql_out(run.db(), "PRAGMA user_version = 99");
  const std::string before = durable_state(run.db());
  for (const std::vector<std::string>& cmd : {std::vector<std::string>{"sync"}, {"status"}, {"conflicts", "list"}}) {
    auto r = run.gigasync(cmd);
    INFO(cmd[0] << ": " << r.err);
    CHECK(r.exit_code == 70);
    CHECK(r.err.find("schema version 99, newer than this gigasync understands") != std::string::npos);
  }
  CHECK(sql_out(run.db(), "PRAGMA user_version") == "99\n");
  CHECK(durable_state(run.db()) == before);
}

TEST_CASE("a read-only database still answers status and changes list, and a sync is refused with 73", "[hostile][files]") {
  SandboxRun run(sandbox_options(13));
  REQUIRE(run.sync().exit_code == 0);
  const std::string id = first_id(run);
  run.exec("UPDATE integrations SET city = 'Read Only Town' WHERE id = '" + id + "'");
  const std::string before = durable_state(run.db());
  ::chmod(run.db().c_str(), 0444);
  ::chmod(run.config.c_str(), 0644);

  SECTION("the folder is read-only too (no -shm file can be made)") { ::chmod(run.dir.path.c_str(), 0555); }
  SECTION("the folder is writable") { ::chmod(run.dir.path.c_str(), 0777); }

  auto status = as_reader(run, {"status"});
  INFO(status.err);
  CHECK(status.exit_code == 0);
  CHECK(status.out.find("outbox:        1 pending") != std::string::npos);
  auto list = as_reader(run, {"changes", "list"});
  INFO(list.err);
  CHECK(list.exit_code == 0);
  CHECK(list.out.find("Read Only Town") != std::string::npos);
  CHECK(as_reader(run, {"conflicts", "list"}).exit_code == 0);
  auto sync = as_reader(run, {"sync"});
  CHECK(sync.exit_code != 0);
  ::chmod(run.dir.path.c_str(), 0755);
  ::chmod(run.db().c_str(), 0600);
  CHECK(durable_state(run.db()) == before);
}

TEST_CASE("a read-only database makes a writing command exit 73 with a message", "[hostile][files]") {
  if (::geteuid() != 0) {
    SandboxRun run(sandbox_options(14));
    REQUIRE(run.sync().exit_code == 0);
    ::chmod(run.db().c_str(), 0444);
    auto r = run.sync();
    CHECK(r.exit_code == 73);
    CHECK(r.err.find("read-only") != std::string::npos);
    ::chmod(run.db().c_str(), 0600);
  } else {
    SandboxRun run(sandbox_options(14));
    REQUIRE(run.sync().exit_code == 0);
    ::chmod(run.db().c_str(), 0444);
    ::chmod(run.dir.path.c_str(), 0777);
    ::chmod(run.config.c_str(), 0644);
    // As nobody the token file (0600, root's) is unreadable: `check` reaches the database first.
    auto r = as_reader(run, {"check"});
    INFO(r.err);
    CHECK(r.exit_code == 73);
    CHECK(r.err.find("read-only") != std::string::npos);
    ::chmod(run.dir.path.c_str(), 0755);
    ::chmod(run.db().c_str(), 0600);
  }
}

TEST_CASE("reading commands refuse a --db naming a missing file and do not create it", "[hostile][files]") {
  SandboxRun run(sandbox_options(15));
  const std::string missing = run.dir.str("typo/mirorr.db");
  for (const std::vector<std::string>& cmd :
       {std::vector<std::string>{"status"}, {"changes", "list"}, {"conflicts", "list"}, {"verify"}}) {
    std::vector<std::string> args = cmd;
    args.insert(args.end(), {"--db", missing});
    auto r = run.gigasync(args);
    INFO(cmd[0] << ": " << r.err);
    CHECK(r.exit_code == 73);
    CHECK(r.err.find(missing + " does not exist") != std::string::npos);
    CHECK_FALSE(fs::exists(missing));
    CHECK_FALSE(fs::exists(run.dir.path / "typo"));
  }
  CHECK(run.gigasync({"sync", "--db", missing}).exit_code == 0);  // a sync creates it
  CHECK(fs::exists(missing));
}

TEST_CASE("a disk that fills during a cycle fails it cleanly; the next cycle with room recovers", "[hostile][disk]") {
  SandboxRun run(sandbox_options(16));
  REQUIRE(run.sync().exit_code == 0);
  const std::string id = first_id(run);
  run.exec("UPDATE integrations SET city = 'Full Disk City' WHERE id = '" + id + "'");
  // Every remote object grows by 30 kB: the pull needs far more pages than are left.
  const std::string big = "{\"notes\": \"" + std::string(30000, 'n') + "\"}";
  for (const auto& [rid, o] : run.remote()) {
    if (o.get("type") == "3" && rid != id) remote_set(run.server, rid, "metadata", big);
  }
  const std::string before = durable_state(run.db());
  const long long pages = std::stoll(sql_out(run.db(), "PRAGMA page_count"));

  auto full = run.gigasync({"sync"}, {{"GIGASYNC_TEST_MAX_PAGE_COUNT", std::to_string(pages + 8)}});
  INFO(full.err);
  CHECK(full.exit_code == 73);  // the database can not be written
  CHECK(full.err.find("full") != std::string::npos);
  CHECK(durable_state(run.db()) == before);
  CHECK(run.remote().at(id).get("city") != std::optional<std::string>("Full Disk City"));

  auto recovered = run.sync();
  INFO(recovered.err);
  CHECK(recovered.exit_code == 0);
  CHECK(differences(run.mirror(), run.remote()) == "");
  CHECK(run.remote().at(id).get("city") == std::optional<std::string>("Full Disk City"));
  CHECK(run.count("SELECT count(*) FROM pending_changes WHERE state IN ('pending', 'in_flight', 'failed', 'conflict')") == 0);
}

TEST_CASE("a token file that is empty, a folder, or readable by others is refused with 78", "[hostile][token]") {
  SandboxRun run(sandbox_options(17));
  const std::string token = run.dir.str("token");
  SECTION("empty") {
    std::ofstream(token, std::ios::trunc) << "  \n";
    ::chmod(token.c_str(), 0600);
  }
  SECTION("a folder") {
    fs::remove(token);
    fs::create_directory(token);
  }
  SECTION("readable by others only") { ::chmod(token.c_str(), 0604); }
  auto r = run.sync();
  INFO(r.err);
  CHECK(r.exit_code == 78);
  CHECK(r.err.find(token) != std::string::npos);
  CHECK(r.err.find("sandbox-token") == std::string::npos);
  CHECK_FALSE(fs::exists(run.db()));
}

TEST_CASE("a config with every key misspelled is refused with 78 naming each key and its line", "[hostile][config]") {
  TempDir dir;
  const std::string cfg = dir.str("gigasync.toml");
  const std::vector<std::pair<std::string, std::vector<std::string>>> sections = {
      {"api", {"base_url", "token_file", "integration_id", "page_size", "concurrency", "timeout_s", "max_retries",
               "max_body_bytes"}},
      {"database", {"path"}},
      {"sync", {"interval_s", "jitter_s", "conflict_policy", "max_delete_fraction", "min_delete_guard", "push_delay_s"}},
      {"log", {"level", "format"}},
      {"metrics", {"file"}}};
  std::string text;
  std::vector<std::pair<std::string, int>> expected;  // misspelled key, its line
  int line = 0;
  for (const auto& [section, keys] : sections) {
    text += "[" + section + "]\n";
    ++line;
    for (const auto& key : keys) {
      text += key + "_x = 1\n";
      expected.emplace_back(section + "." + key + "_x", ++line);
    }
  }
  std::ofstream(cfg) << text;
  auto r = run_gigasync({"sync", "-c", cfg}, {{"GIGAPAY_TOKEN", "t-123456"}});
  CHECK(r.exit_code == 78);
  for (const auto& [key, at] : expected) {
    INFO(key);
    CHECK(r.err.find(cfg + ":" + std::to_string(at) + ": unknown key '" + key + "'") != std::string::npos);
  }
}
