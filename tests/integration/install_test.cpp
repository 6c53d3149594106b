// The README's install sequence, run as written but under DESTDIR (a temporary root), and the
// pieces of the .deb that can be checked without building one: the man page and the
// staging-tree script of cmake/Packaging.cmake (packaging/deb-layout.cmake).
// The full .deb (cpack + lintian) is scripts/package.sh.
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "support/process.h"
#include "support/sandbox_fixture.h"

using namespace gigasync::test;

namespace {

fs::path source_dir() { return GIGASYNC_SOURCE_DIR; }

const char* const kUnits[] = {"gigasync.service", "gigasync-sync.service", "gigasync-sync.timer"};

bool on_path(const std::string& program) {
  return run("sh", {"-c", "command -v " + program + " >/dev/null"}).exit_code == 0;
}

unsigned mode_of(const fs::path& p) {
  struct stat st {};
  REQUIRE(::stat(p.c_str(), &st) == 0);
  return st.st_mode & 07777U;
}

// Replaces the one line of `text` that starts with `key = ` (the example config's form).
std::string set_key(std::string text, const std::string& key, const std::string& value) {
  auto at = text.find("\n" + key + " = ");
  INFO("the example config has no line \"" << key << " = ...\"");
  REQUIRE(at != std::string::npos);
  auto end = text.find('\n', at + 1);
  text.replace(at + 1, end - at - 1, key + " = \"" + value + "\"");
  return text;
}

// The documented install: configure as the README says into `build`, install with DESTDIR=`root`.
// `cmake --build` of the whole project is replaced by the binary this test suite was built with
// (the same sources, already compiled) plus the build-time files of the install (the man page).
void documented_install(const fs::path& build, const fs::path& root) {
  auto conf = run("cmake", {"-S", source_dir().string(), "-B", build.string(), "-DCMAKE_BUILD_TYPE=Release",
                            "-DCMAKE_INSTALL_PREFIX=/usr", "-DGIGASYNC_TESTS=OFF"});
  INFO("cmake configure:\n" << conf.out << conf.err);
  REQUIRE(conf.exit_code == 0);
  CHECK(conf.err.find("CMAKE_INSTALL_SYSCONFDIR") == std::string::npos);  // no /usr/etc warning
  auto docs = run("cmake", {"--build", build.string(), "--target", "gigasync_docs"});
  INFO("cmake --build --target gigasync_docs:\n" << docs.out << docs.err);
  REQUIRE(docs.exit_code == 0);
  fs::copy_file(gigasync_binary(), build / "gigasync", fs::copy_options::overwrite_existing);
  auto inst = run("cmake", {"--install", build.string()}, {{"DESTDIR", root.string()}});
  INFO("DESTDIR=" << root << " cmake --install:\n" << inst.out << inst.err);
  REQUIRE(inst.exit_code == 0);
  CHECK(inst.out.find("/usr/etc") == std::string::npos);
}

}  // namespace

TEST_CASE("install: the README's install sequence works as written under DESTDIR", "[install]") {
  TempDir work;
  const fs::path root = work.path / "root";
  documented_install(work.path / "build", root);

  // cmake --install: /usr/bin/gigasync, /etc/gigasync/gigasync.toml.example, the units in
  // /usr/lib/systemd/system, /usr/share/gigasync/gigasync.cron, the man page, the copyright.
  const fs::path bin = root / "usr/bin/gigasync";
  REQUIRE(::access(bin.c_str(), X_OK) == 0);
  auto version = run(bin.string(), {"--version"});
  CHECK(version.exit_code == 0);
  CHECK(version.out.find("gigasync ") != std::string::npos);
  CHECK(read_file(root / "etc/gigasync/gigasync.toml.example") == read_file(source_dir() / "config/gigasync.toml"));
  CHECK_FALSE(fs::exists(root / "usr/etc"));
  CHECK(read_file(root / "usr/share/gigasync/gigasync.cron") == read_file(source_dir() / "config/gigasync.cron"));
  CHECK(fs::exists(root / "usr/share/doc/gigasync/copyright"));
  auto man = run("gzip", {"-dc", (root / "usr/share/man/man1/gigasync.1.gz").string()});
  CHECK(man.exit_code == 0);
  CHECK(man.out == read_file(source_dir() / "man/gigasync.1"));
  for (const char* name : kUnits) {
    auto unit = root / "usr/lib/systemd/system" / name;
    INFO(unit);
    REQUIRE(fs::exists(unit));
    std::string text = read_file(unit);
    CHECK(text.find(root.string()) == std::string::npos);  // DESTDIR never leaks into a unit
    std::smatch m;
    if (std::regex_search(text, m, std::regex("\nExecStart=(\\S+)"))) {
      CHECK(m[1].str() == "/usr/bin/gigasync");  // the installed binary
    } else {
      CHECK(std::string(name).ends_with(".timer"));
    }
  }
  // The directory holds the token (0600) and the config, which the service's dynamic user must
  // read (systemd leaves the mode of an existing ConfigurationDirectory= alone).
  CHECK(mode_of(root / "etc/gigasync") == 0755U);

  // Then: the token in a file only root can read, and a config.
  const fs::path etc = root / "etc/gigasync";
  auto token = run("install", {"-m", "600", "/dev/null", (etc / "token").string()});
  INFO(token.err);
  REQUIRE(token.exit_code == 0);
  SandboxRun sandbox(sandbox_options(3));
  { std::ofstream(etc / "token", std::ios::app) << "sandbox-token\n"; }  // "paste the API token"
  CHECK(mode_of(etc / "token") == 0600U);
  auto cp = run("cp", {(etc / "gigasync.toml.example").string(), (etc / "gigasync.toml").string()});
  REQUIRE(cp.exit_code == 0);
  CHECK((mode_of(etc / "gigasync.toml") & 0004U) != 0);  // readable by the dynamic user
  // "edit base_url etc.": here the sandbox, and the files under the temporary root.
  std::string config = read_file(etc / "gigasync.toml");
  config = set_key(config, "base_url", sandbox.server.base_url());
  config = set_key(config, "token_file", (etc / "token").string());
  config = set_key(config, "path", (work.path / "var-lib-gigasync" / "mirror.db").string());
  fs::create_directories(work.path / "var-lib-gigasync");
  std::ofstream(etc / "gigasync.toml") << config;

  // gigasync check: config valid, database writable, token accepted by the API.
  Env clean{{"GIGAPAY_TOKEN", "\x01"}, {"GIGAPAY_BASE_URL", "\x01"}, {"GIGASYNC_DB", "\x01"}, {"GIGASYNC_CONFIG", "\x01"}};
  auto check = run(bin.string(), {"check", "-c", (etc / "gigasync.toml").string()}, clean);
  INFO("gigasync check:\n" << check.out << check.err);
  CHECK(check.exit_code == 0);
  CHECK((check.out + check.err).find("sandbox-token") == std::string::npos);
  auto sync = run(bin.string(), {"sync", "-c", (etc / "gigasync.toml").string()}, clean);
  INFO("gigasync sync:\n" << sync.out << sync.err);
  CHECK(sync.exit_code == 0);
  auto rows = run("sqlite3", {(work.path / "var-lib-gigasync" / "mirror.db").string(), "SELECT count(*) FROM integrations"});
  CHECK(rows.out == "3\n");  // the mirror is where the edited config says
}

TEST_CASE("install: a build configured with the prefix /usr alone installs the example config in /etc", "[install]") {
  // GNUInstallDirs' full sysconfdir rule: /etc for the prefixes / and /usr, prefix/etc for others.
  TempDir work;
  for (const auto& [prefix, dir] : std::vector<std::pair<std::string, std::string>>{
           {"/usr", "/etc/gigasync"}, {"/opt/gigasync", "etc/gigasync"}}) {
    const fs::path build = work.path / ("build" + std::to_string(prefix.size()));
    auto conf = run("cmake", {"-S", source_dir().string(), "-B", build.string(), "-DCMAKE_INSTALL_PREFIX=" + prefix,
                              "-DGIGASYNC_TESTS=OFF"});
    INFO(prefix << ": " << conf.out << conf.err);
    REQUIRE(conf.exit_code == 0);
    CHECK(conf.err.find("Warning") == std::string::npos);
    const std::string rules = read_file(build / "cmake_install.cmake");
    CHECK(rules.find("\"${CMAKE_INSTALL_PREFIX}/usr/etc") == std::string::npos);
    const std::string want = dir[0] == '/' ? "DESTINATION \"" + dir + "\"" : "DESTINATION \"${CMAKE_INSTALL_PREFIX}/" + dir + "\"";
    CHECK(rules.find(want) != std::string::npos);
  }
}

TEST_CASE("install: the man page renders without warnings and covers every command and exit code", "[install]") {
  const std::string page = read_file(source_dir() / "man/gigasync.1");
  if (on_path("groff")) {
    auto g = run("groff", {"-man", "-Tutf8", "-ww", "-z", (source_dir() / "man/gigasync.1").string()});
    INFO(g.err);
    CHECK(g.exit_code == 0);
    CHECK(g.err.empty());
  } else {
    WARN("groff is not installed: the man page was not rendered");
  }

  // Every subcommand `gigasync --help` lists has an entry under COMMANDS (".B name" or ".BI name").
  auto help = run_gigasync({"--help"});
  REQUIRE(help.exit_code == 0);
  auto commands_at = page.find("\n.SH COMMANDS\n");
  auto options_at = page.find("\n.SH OPTIONS\n");
  REQUIRE(commands_at != std::string::npos);
  REQUIRE(options_at != std::string::npos);
  const std::string commands = page.substr(commands_at, options_at - commands_at);
  std::istringstream lines(help.out.substr(help.out.find("Subcommands:")));
  std::string line;
  std::getline(lines, line);
  int seen = 0;
  while (std::getline(lines, line) && !line.empty()) {  // the list ends at a blank line
    std::smatch m;
    if (!std::regex_match(line, m, std::regex(R"(\s+([a-z]+)\s+.*)"))) continue;
    ++seen;
    INFO("command " << m[1] << " has no entry under COMMANDS in man/gigasync.1");
    CHECK(std::regex_search(commands, std::regex("\n\\.BI? \"?" + m[1].str() + "[ \"\\n]")));
  }
  CHECK(seen >= 13);

  // Every exit code of the README's table is under EXIT STATUS.
  const std::string readme = read_file(source_dir() / "README.md");
  auto table_at = readme.find("## Exit codes");
  REQUIRE(table_at != std::string::npos);
  auto exit_at = page.find("\n.SH EXIT STATUS\n");
  auto env_at = page.find("\n.SH ENVIRONMENT\n");
  REQUIRE(exit_at != std::string::npos);
  REQUIRE(env_at != std::string::npos);
  const std::string exit_status = page.substr(exit_at, env_at - exit_at);
  std::set<std::string> codes;
  std::istringstream table(readme.substr(table_at, readme.find("\n## ", table_at + 1) - table_at));
  while (std::getline(table, line)) {
    std::smatch m;
    if (std::regex_match(line, m, std::regex(R"(\| (\d+) \|.*)"))) codes.insert(m[1]);
  }
  CHECK(codes.size() >= 12);
  for (const auto& code : codes) {
    INFO("exit code " << code << " (README) is not under EXIT STATUS in man/gigasync.1");
    CHECK(exit_status.find("\n.TP\n.B " + code + "\n") != std::string::npos);
  }
}

TEST_CASE("install: the .deb staging script moves the units to /lib, strips, and refuses /usr/etc", "[install]") {
  TempDir work;
  const fs::path stage = work.path / "stage";
  documented_install(work.path / "build", stage);
  auto cache = read_file(work.path / "build" / "CPackConfig.cmake");
  std::smatch m;
  REQUIRE(std::regex_search(cache, m, std::regex(R"re(set\(CPACK_GIGASYNC_STRIP "([^"]+)"\))re")));
  const std::string strip = m[1];
  auto layout = [&](const fs::path& root) {
    return run("cmake", {"-DCPACK_GENERATOR=DEB", "-DCPACK_TEMPORARY_DIRECTORY=" + root.string(),
                         "-DCPACK_GIGASYNC_STRIP=" + strip, "-P", (source_dir() / "packaging/deb-layout.cmake").string()});
  };
  const auto size_before = fs::file_size(stage / "usr/bin/gigasync");

  auto r = layout(stage);
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  for (const char* name : kUnits) {
    INFO(name);
    CHECK(fs::exists(stage / "lib/systemd/system" / name));
  }
  CHECK_FALSE(fs::exists(stage / "usr/lib"));  // nothing else was there: no empty directory left
  CHECK(fs::file_size(stage / "usr/bin/gigasync") < size_before);
  CHECK(run((stage / "usr/bin/gigasync").string(), {"--version"}).exit_code == 0);
  auto sections = run("readelf", {"-S", "-W", (stage / "usr/bin/gigasync").string()});
  if (sections.exit_code == 0) {
    CHECK(sections.out.find(".debug_info") == std::string::npos);
    CHECK(sections.out.find(" .comment ") == std::string::npos);
  }

  // A tree with /usr/etc (a build whose sysconfdir is not /etc) is refused, naming the way out.
  fs::create_directories(stage / "usr/etc/gigasync");
  auto refused = layout(stage);
  CHECK(refused.exit_code != 0);
  CHECK(refused.err.find("-DCMAKE_INSTALL_SYSCONFDIR=/etc") != std::string::npos);
}
