// The unit files in systemd/ and the install tree: `systemd-analyze verify` and `security`,
// and `cmake --install` into a temporary prefix. Named "daemon: ..." so that `ctest -R daemon`
// runs them with the daemon's own tests.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "support/process.h"

using namespace gigasync::test;

namespace {

const char* const kUnits[] = {"gigasync.service", "gigasync-sync.service", "gigasync-sync.timer"};

fs::path source_dir() { return GIGASYNC_SOURCE_DIR; }
fs::path build_dir() { return fs::path(gigasync_binary()).parent_path(); }

// The full path of `program` found on $PATH, or "" when it is not installed.
std::string which(const std::string& program) {
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path ? path : "/usr/bin:/bin");
  for (std::string dir; std::getline(dirs, dir, ':');) {
    auto candidate = fs::path(dir.empty() ? "." : dir) / program;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate.string();
  }
  return "";
}

// Fails the test case when systemd-analyze is not on $PATH: without it the units are not checked,
// and a test that passes then would say they were.
void require_systemd_analyze() {
  if (!which("systemd-analyze").empty()) return;
  FAIL("systemd-analyze is not installed, so the unit files can not be verified: install the Debian package "
       "\"systemd\" (scripts/install-deps.sh installs it)");
}

std::string replace_all(std::string text, const std::string& from, const std::string& to) {
  for (auto pos = text.find(from); pos != std::string::npos; pos = text.find(from, pos + to.size()))
    text.replace(pos, from.size(), to);
  return text;
}

// Copies the units into `dir` with ExecStart= pointing at the built binary; returns their paths.
std::vector<std::string> units_for_build(const fs::path& dir) {
  std::vector<std::string> out;
  for (const char* name : kUnits) {
    std::string text = read_file(source_dir() / "systemd" / name);
    REQUIRE((text.find("/usr/bin/gigasync") != std::string::npos || std::string(name).ends_with(".timer")));
    INFO(name);
    CHECK(text.find("\nDocumentation=man:gigasync(1)\n") != std::string::npos);  // systemctl help, status
    std::ofstream(dir / name) << replace_all(text, "/usr/bin/gigasync", gigasync_binary());
    out.push_back((dir / name).string());
  }
  return out;
}

// "→ Overall exposure level for gigasync.service: 1.1 OK" → 1.1 (or -1 when missing).
double exposure(const std::string& output) {
  auto at = output.find("Overall exposure level for ");
  if (at == std::string::npos) return -1.0;
  auto colon = output.find(": ", at);
  if (colon == std::string::npos) return -1.0;
  try {
    return std::stod(output.substr(colon + 2));
  } catch (const std::exception&) {
    return -1.0;
  }
}

RunResult verify(const std::vector<std::string>& units) {
  // --man=no: verify would run `man gigasync` for Documentation=, and the manual is installed only
  // with the package (the install test checks it is in the tree); the line itself is checked above.
  std::vector<std::string> args{"verify", "--man=no"};
  args.insert(args.end(), units.begin(), units.end());
  return run("systemd-analyze", args, {{"SYSTEMD_LOG_COLOR", "0"}});
}

}  // namespace

TEST_CASE("daemon: every unit file passes systemd-analyze verify", "[daemon][systemd]") {
  require_systemd_analyze();
  TempDir dir;
  auto units = units_for_build(dir.path);
  for (const auto& unit : units) {
    auto r = verify({unit});
    INFO(unit << "\n" << r.out << r.err);
    CHECK(r.exit_code == 0);
    CHECK(r.err.find(fs::path(unit).filename().string()) == std::string::npos);  // no warning about it
  }
}

TEST_CASE("daemon: gigasync.service is hardened: systemd-analyze security exposure <= 1.5", "[daemon][systemd]") {
  require_systemd_analyze();
  TempDir dir;
  units_for_build(dir.path);
  for (const char* name : {"gigasync.service", "gigasync-sync.service"}) {
    auto r = run("systemd-analyze", {"security", "--offline=true", "--no-pager", (dir.path / name).string()},
                 {{"SYSTEMD_LOG_COLOR", "0"}, {"SYSTEMD_COLORS", "0"}});
    INFO(name << "\n" << r.out << r.err);
    double level = exposure(r.out + r.err);
    CHECK(level >= 0);
    CHECK(level <= 1.5);
  }
}

TEST_CASE("daemon: the units say what the daemon needs", "[daemon][systemd]") {
  std::string service = read_file(source_dir() / "systemd" / "gigasync.service");
  for (const char* line : {"Type=notify", "ExecStart=/usr/bin/gigasync daemon", "WatchdogSec=", "Restart=on-failure",
                           "RestartPreventExitStatus=64 77 78", "StateDirectory=gigasync", "ConfigurationDirectory=gigasync",
                           "LoadCredential=gigapay-token:/etc/gigasync/token", "ExecReload=/bin/kill -HUP $MAINPID"}) {
    INFO(line);
    CHECK(service.find(std::string("\n") + line) != std::string::npos);
  }
  std::string oneshot = read_file(source_dir() / "systemd" / "gigasync-sync.service");
  CHECK(oneshot.find("\nType=oneshot") != std::string::npos);
  CHECK(oneshot.find("\nExecStart=/usr/bin/gigasync sync --wait 300") != std::string::npos);
  std::string timer = read_file(source_dir() / "systemd" / "gigasync-sync.timer");
  CHECK(timer.find("\nUnit=gigasync-sync.service") != std::string::npos);
  std::string cron = read_file(source_dir() / "config" / "gigasync.cron");
  CHECK(cron.find("gigasync sync --wait 600") != std::string::npos);
  CHECK(cron.find("logger") != std::string::npos);
  CHECK(cron.find("root  /usr/bin/flock") == std::string::npos);  // the sync takes its own lock
}

TEST_CASE("daemon: cmake --install puts the binary, units, example config and cron line in place", "[daemon][install]") {
  // Every install rule must be relative to the prefix: an absolute one would write into the
  // real system (e.g. /usr/local/lib/systemd/system) from a test.
  {
    std::string rules = read_file(build_dir() / "cmake_install.cmake");
    INFO("build/cmake_install.cmake installs to an absolute path: install(... DESTINATION lib/systemd/system) wanted");
    REQUIRE(rules.find("file(INSTALL DESTINATION \"/") == std::string::npos);
  }
  TempDir prefix;
  auto r = run("cmake", {"--install", build_dir().string(), "--prefix", prefix.path.string()});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  auto bin = prefix.path / "bin" / "gigasync";
  CHECK(::access(bin.c_str(), X_OK) == 0);
  CHECK(run(bin.string(), {"--version"}).exit_code == 0);
  CHECK(fs::exists(prefix.path / "etc" / "gigasync" / "gigasync.toml.example"));
  CHECK(fs::exists(prefix.path / "share" / "gigasync" / "gigasync.cron"));
  std::vector<std::string> installed;
  for (const char* name : kUnits) {
    auto unit = prefix.path / "lib" / "systemd" / "system" / name;
    INFO(unit);
    REQUIRE(fs::exists(unit));
    installed.push_back(unit.string());
  }
  // ExecStart= names the installed binary, so the installed units verify as they are.
  std::string service = read_file(installed[0]);
  CHECK(service.find("\nExecStart=" + bin.string() + " daemon") != std::string::npos);
  require_systemd_analyze();
  auto v = verify(installed);
  INFO(v.out << v.err);
  CHECK(v.exit_code == 0);
}
