// Small user-visible promises, each checked on the real binary: a conflict seen again logs its true
// base; a `partial` run says why; status names deletions the delete guard held; `demo --db` never
// touches an existing file; every usage line lists exactly the options its command accepts.
#include <catch2/catch.hpp>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "support/sandbox_fixture.h"

using namespace gigasync;
using namespace gigasync::test;

namespace {

std::string first_custom_id(SandboxRun& run) {
  for (const auto& [id, o] : run.remote())
    if (o.get("type") == "3") return id;
  FAIL("no type 3 integration in the sandbox");
  return "";
}

RunResult sqlite3(SandboxRun& run, const std::string& sql) {
  return run_gigasync_tool("sqlite3", {"-cmd", ".timeout 5000", run.db(), sql});
}

std::string last_run_error(SandboxRun& run) {
  return run.text("SELECT coalesce(error, '') FROM sync_runs ORDER BY id DESC LIMIT 1");
}

std::string last_run_status(SandboxRun& run) {
  return run.text("SELECT status FROM sync_runs ORDER BY id DESC LIMIT 1");
}

}  // namespace

TEST_CASE("a conflict seen again in a later cycle logs the base both sides last agreed on", "[polish][conflicts]") {
  SandboxRun run(sandbox_options(20));
  REQUIRE(run.sync().exit_code == 0);
  const std::string id = first_custom_id(run);
  const std::string base = *run.mirror().at(id).get("city");
  remote_set(run.server, id, "city", "\"Remote ett\"");
  REQUIRE(sqlite3(run, "UPDATE integrations SET city = 'Lokal' WHERE id = '" + id + "'").exit_code == 0);
  auto first = run.sync();
  INFO(first.err);
  REQUIRE(first.exit_code == 1);
  const std::string expected = "conflict on integration " + id + " field city: base \"" + base + "\", local \"Lokal\"";
  CHECK(first.err.find(expected + ", remote \"Remote ett\"") != std::string::npos);

  SECTION("the API changes the field again") {
    remote_set(run.server, id, "city", "\"Remote tva\"");
    auto second = run.sync();
    INFO(second.err);
    CHECK(second.exit_code == 1);
    CHECK(second.err.find(expected + ", remote \"Remote tva\"") != std::string::npos);
    CHECK(second.err.find("base \"Remote ett\"") == std::string::npos);  // not the last cycle's remote value
    CHECK(second.err.find("as conflict 1") != std::string::npos);
  }
  SECTION("the API puts the field back to the base") {
    remote_set(run.server, id, "city", "\"" + base + "\"");
    auto second = run.sync();
    INFO(second.err);
    CHECK(second.exit_code == 1);
    CHECK(second.err.find(expected + ", remote \"" + base + "\"") != std::string::npos);
  }
  CHECK(run.count("SELECT count(*) FROM conflicts") == 1);
  CHECK(run.text("SELECT base_value FROM conflicts") == base);
}

TEST_CASE("a partial run says why in sync_runs.error, counts by kind", "[polish][runs]") {
  SandboxRun run(sandbox_options(20));
  REQUIRE(run.sync().exit_code == 0);
  CHECK(last_run_error(run).empty());  // an ok run has no error
  const std::string id = first_custom_id(run);

  SECTION("a change the API refuses") {
    const std::string too_long = "substr(replace(hex(zeroblob(300)), '00', 'xy'), 1, 300)";
    REQUIRE(sqlite3(run, "UPDATE integrations SET name = " + too_long + " WHERE id = '" + id + "'").exit_code == 0);
    CHECK(run.sync().exit_code == 1);
    CHECK(last_run_status(run) == "partial");
    CHECK(last_run_error(run) == "1 change refused by the API ('gigasync changes list')");
    CHECK(run.sync().exit_code == 1);  // still there in the next run, refused earlier
    CHECK(last_run_error(run) == "1 change refused earlier ('gigasync changes list')");
  }
  SECTION("an open conflict") {
    remote_set(run.server, id, "city", "\"Remote\"");
    REQUIRE(sqlite3(run, "UPDATE integrations SET city = 'Lokal' WHERE id = '" + id + "'").exit_code == 0);
    CHECK(run.sync().exit_code == 1);
    CHECK(last_run_status(run) == "partial");
    CHECK(last_run_error(run) == "1 open conflict ('gigasync conflicts list')");
    auto status = run.gigasync({"status"});
    CHECK(status.out.find("why:   1 open conflict") != std::string::npos);
  }
}

TEST_CASE("remote deletions held by the delete guard are named in the run and in status, with the command",
          "[polish][runs][status]") {
  SandboxRun run(sandbox_options(100, 100));
  REQUIRE(run.sync().exit_code == 0);
  auto before = run.gigasync({"status", "--json"});
  CHECK(before.out.find("\"deletions_held\":null") != std::string::npos);
  CHECK(run.gigasync({"status"}).out.find("deletions:") == std::string::npos);
  int removed = 0;
  for (const auto& [id, o] : run.remote())
    if (o.get("type") == "3" && removed < 30 && run.server.remove_object(id)) removed++;
  REQUIRE(removed == 30);
  auto held = run.sync();
  INFO(held.err);
  CHECK(held.exit_code == 1);
  CHECK(last_run_status(run) == "partial");
  const std::string error = last_run_error(run);
  INFO(error);
  CHECK(error.find("remote deletions held by the delete guard ('gigasync sync --force-deletes' applies them)") !=
        std::string::npos);
  CHECK(error.find('\n') == std::string::npos);  // one line

  auto text = run.gigasync({"status"});
  INFO(text.out);
  CHECK(text.exit_code == 0);
  CHECK(text.out.find("deletions:") != std::string::npos);
  CHECK(text.out.find("held back by the delete guard in the last run ('gigasync sync --force-deletes' applies them)") !=
        std::string::npos);
  auto json = run.gigasync({"status", "--json"});
  INFO(json.out);
  CHECK(json.out.find("\"deletions_held\":{\"count\":") != std::string::npos);
  CHECK(json.out.find("\"allow_with\":\"gigasync sync --force-deletes\"") != std::string::npos);

  REQUIRE(run.sync({"--force-deletes"}).exit_code == 0);
  CHECK(run.gigasync({"status"}).out.find("deletions:") == std::string::npos);
  CHECK(run.gigasync({"status", "--json"}).out.find("\"deletions_held\":null") != std::string::npos);
}

TEST_CASE("demo --db refuses a path that exists, says why and names it, and leaves it alone", "[polish][demo]") {
  TempDir dir;
  const std::string existing = dir.str("mirror.db");
  { std::ofstream(existing) << "somebody's data\n"; }
  auto r = run_gigasync({"demo", "--db", existing}, {}, std::chrono::seconds(30));
  INFO(r.out << r.err);
  CHECK(r.exit_code == 73);
  CHECK(r.err.find("gigasync: error: demo --db " + existing + ": a file is already there") != std::string::npos);
  CHECK(r.err.find("never touches an existing one") != std::string::npos);
  CHECK(r.out.find("sandbox") == std::string::npos);  // nothing started
  std::ifstream in(existing);
  std::stringstream content;
  content << in.rdbuf();
  CHECK(content.str() == "somebody's data\n");
  CHECK_FALSE(fs::exists(existing + "-wal"));

  auto folder = run_gigasync({"demo", "--db", dir.path.string()}, {}, std::chrono::seconds(30));
  CHECK(folder.exit_code == 73);
  CHECK(folder.err.find("a folder is already there") != std::string::npos);
  auto nowhere = run_gigasync({"demo", "--db", dir.str("missing/mirror.db")}, {}, std::chrono::seconds(30));
  CHECK(nowhere.exit_code == 73);
  CHECK(nowhere.err.find("the folder " + dir.str("missing") + " does not exist") != std::string::npos);
}

namespace {

// One element of a usage line: alternatives ("-c|--config FILE", "--pull-only"), required or not.
struct UsageItem {
  std::vector<std::vector<std::string>> alternatives;  // each: names (or a positional name), then a metavar
  bool required = false;
};

std::vector<std::string> words(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::string w;
  std::istringstream in(s);
  while (std::getline(in, w, sep))
    if (!w.empty()) out.push_back(w);
  return out;
}

// "gigasync conflicts resolve [-c|--config FILE] ID --keep local|remote" -> the command and its items.
std::pair<std::string, std::vector<UsageItem>> parse_usage(const std::string& line) {
  std::vector<UsageItem> items;
  std::string command;
  size_t i = std::string("gigasync ").size();
  while (i < line.size()) {
    while (i < line.size() && line[i] == ' ') i++;
    if (i >= line.size()) break;
    UsageItem item;
    std::string body;
    if (line[i] == '[') {
      auto close = line.find(']', i);
      body = line.substr(i + 1, close - i - 1);
      i = close + 1;
    } else {
      // a bare word, with its metavar when it is an option ("--keep local|remote")
      auto end = line.find(' ', i);
      body = line.substr(i, end == std::string::npos ? std::string::npos : end - i);
      i = end == std::string::npos ? line.size() : end;
      if (body[0] == '-' && i < line.size() && line[i] == ' ' && i + 1 < line.size() && line[i + 1] != '-' &&
          line[i + 1] != '[') {
        auto end2 = line.find(' ', i + 1);
        body += line.substr(i, end2 == std::string::npos ? std::string::npos : end2 - i);
        i = end2 == std::string::npos ? line.size() : end2;
      }
      item.required = true;
      if (body[0] != '-' && !std::isupper(static_cast<unsigned char>(body[0]))) {  // a subcommand word
        command += (command.empty() ? "" : " ") + body;
        continue;
      }
    }
    size_t start = 0;
    while (true) {
      auto bar = body.find(" | ", start);
      item.alternatives.push_back(words(body.substr(start, bar == std::string::npos ? std::string::npos : bar - start), ' '));
      if (bar == std::string::npos) break;
      start = bar + 3;
    }
    items.push_back(item);
  }
  return {command, items};
}

// The option names `gigasync COMMAND --help` lists under "Options:" (what CLI11 accepts), without help.
std::set<std::string> listed_options(const std::string& help) {
  std::set<std::string> out;
  std::istringstream in(help);
  std::string line;
  bool in_options = false;
  while (std::getline(in, line)) {
    if (line.rfind("Options:", 0) == 0) { in_options = true; continue; }
    if (in_options && (line.empty() || line[0] != ' ')) in_options = false;
    if (!in_options) continue;
    auto first = line.find_first_not_of(' ');
    if (first == std::string::npos || line[first] != '-') continue;
    auto names = line.substr(first, line.find(' ', first) - first);
    for (const auto& n : words(names, ','))
      if (n != "-h" && n != "--help") out.insert(n);
  }
  return out;
}

// A value a command takes for an option without doing anything: every path leads nowhere, so each
// command stops at its first step (config, token file, database folder) with its own exit code.
std::string value_for(const std::string& metavar) {
  if (metavar == "FILE" || metavar == "PATH" || metavar == "TEXT") return "/nonexistent-gigasync-polish/x";
  if (metavar == "local|remote") return "local";
  if (metavar == "TIME") return "2026-01-01T00:00:00Z";
  return "1";  // SECONDS, N, INT, FLOAT, UINT
}

std::vector<std::string> args_for(const std::vector<std::string>& alternative) {
  std::vector<std::string> out;
  const auto& head = alternative[0];
  if (head[0] != '-') return {head.find("FILE") != std::string::npos ? "/nonexistent-gigasync-polish/b.db" : "1"};
  out.push_back(words(head, '|')[0]);
  if (alternative.size() > 1) out.push_back(value_for(alternative[1]));
  return out;
}

// The command line was accepted: no CLI11 parse error (exit 64 without gigasync's own message, which
// a command's own check of its arguments prints, e.g. refresh with neither ids nor --all).
bool parsed(const RunResult& r) { return r.exit_code != 64 || r.err.rfind("gigasync: error:", 0) == 0; }

}  // namespace

TEST_CASE("every usage line lists exactly the options its command accepts", "[polish][cli]") {
  const Env env{{"GIGASYNC_CONFIG", "/nonexistent-gigasync-polish/gigasync.toml"},
                {"GIGAPAY_TOKEN", "\x01"}, {"GIGASYNC_DB", "\x01"}};
  auto top = run_gigasync({"--help"}, env);
  REQUIRE(top.exit_code == 0);
  std::vector<std::string> lines;
  for (const auto& l : words(top.out, '\n'))
    if (l.rfind("  gigasync ", 0) == 0 && l.find("--version") == std::string::npos) lines.push_back(l.substr(2));
  INFO(top.out);
  REQUIRE(lines.size() >= 18);
  std::set<std::string> commands;
  for (const auto& line : lines) {
    INFO(line);
    auto [command, items] = parse_usage(line);
    commands.insert(command);
    // The command's own --help starts with the same line.
    std::vector<std::string> help_args = words(command, ' ');
    help_args.push_back("--help");
    auto help = run_gigasync(help_args, env);
    REQUIRE(help.exit_code == 0);
    CHECK(help.out.find("Usage: " + line + "\n") != std::string::npos);

    std::set<std::string> in_usage;
    // What every run of the command needs besides the item tried: the other required items.
    auto required_except = [&](size_t skip) {
      std::vector<std::string> out;
      for (size_t j = 0; j < items.size(); ++j)
        if (j != skip && items[j].required)
          for (const auto& a : args_for(items[j].alternatives[0])) out.push_back(a);
      if (command == "sandbox" && skip == items.size()) out = {"--token-file", "/nonexistent-gigasync-polish/token"};
      else if (command == "sandbox") out.insert(out.end(), {"--token-file", "/nonexistent-gigasync-polish/token"});
      return out;  // the sandbox never gets as far as binding a port
    };
    const std::vector<std::string> required = required_except(items.size());
    for (size_t k = 0; k < items.size(); ++k) {
      for (const auto& alt : items[k].alternatives) {
        const bool is_option = alt[0][0] == '-';
        const auto names = is_option ? words(alt[0], '|') : std::vector<std::string>{alt[0]};
        if (is_option) in_usage.insert(names.begin(), names.end());
        // Accepted: a run with it is no usage error (64), whatever else stops the command.
        for (const auto& name : names) {
          std::vector<std::string> named = alt;
          named[0] = name;
          std::vector<std::string> args = words(command, ' ');
          for (const auto& a : args_for(named)) args.push_back(a);
          if (!(command == "sandbox" && name == "--token-file"))  // given once only
            for (const auto& a : required_except(k)) args.push_back(a);
          auto r = run_gigasync(args, env, std::chrono::seconds(20));
          std::string shown;
          for (const auto& a : args) shown += a + " ";
          INFO("gigasync " << shown << "-> " << r.exit_code << ": " << r.err);
          CHECK(parsed(r));
          CHECK(r.exit_code != 137);  // not left running until killed
        }
      }
    }
    // Every option CLI11 lists for the command (and for the command above it) that the command
    // accepts is on its usage line.
    std::set<std::string> offered = listed_options(help.out);
    auto parts = words(command, ' ');
    if (parts.size() > 1) {
      auto parent = run_gigasync({parts[0], "--help"}, env);
      for (const auto& n : listed_options(parent.out)) {
        std::vector<std::string> args = parts;
        args.push_back(n);
        args.push_back("/nonexistent-gigasync-polish/x");
        args.insert(args.end(), required.begin(), required.end());
        if (parsed(run_gigasync(args, env, std::chrono::seconds(20)))) offered.insert(n);
      }
    }
    for (const auto& n : offered) {
      INFO(n);
      CHECK(in_usage.count(n) == 1);
    }
    for (const auto& n : in_usage) {
      INFO(n);
      CHECK(offered.count(n) == 1);
    }
  }
  for (const char* c : {"sync", "daemon", "status", "changes list", "changes show", "changes retry", "changes discard",
                        "changes approve", "conflicts list", "conflicts show", "conflicts resolve", "refresh", "backup",
                        "pause", "resume", "verify", "check", "sandbox", "demo"}) {
    INFO(c);
    CHECK(commands.count(c) == 1);
  }
  // -c and --db appear where they are accepted.
  for (const auto& line : lines) {
    INFO(line);
    if (line.rfind("gigasync sandbox", 0) == 0 || line.rfind("gigasync demo", 0) == 0) continue;
    CHECK(line.find("[-c|--config FILE]") != std::string::npos);
    if (line.rfind("gigasync daemon", 0) != 0) CHECK(line.find("[--db PATH]") != std::string::npos);
  }
}
