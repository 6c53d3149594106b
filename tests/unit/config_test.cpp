// The configuration: the TOML file, the environment overrides and the API token.
#include <stdlib.h>  // mkdtemp, setenv, unsetenv
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "gigasync/config.h"
#include "gigasync/http.h"

namespace fs = std::filesystem;
using gigasync::Config;
using gigasync::ConflictPolicy;
using gigasync::ExitCode;
using gigasync::LogFormat;

namespace {

// A fresh directory per test, removed with everything in it at the end.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "gigasync-config-test-XXXXXX").string();
    REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
    path_ = tmpl;
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }

  // Writes `name` with `content` and permissions `mode`; returns its path.
  std::string write(const std::string& name, const std::string& content, mode_t mode = 0600) const {
    const fs::path p = path_ / name;
    fs::create_directories(p.parent_path());
    {
      std::ofstream out(p, std::ios::binary | std::ios::trunc);
      out << content;
      REQUIRE(out.good());
    }
    REQUIRE(::chmod(p.c_str(), mode) == 0);
    return p.string();
  }

 private:
  fs::path path_;
};

// Clears every variable the configuration reads, lets a test set some, and puts all of them
// back as they were when the test ends.
class EnvGuard {
 public:
  EnvGuard() {
    for (const char* name : kNames) {
      const char* v = std::getenv(name);
      saved_[name] = v ? std::optional<std::string>(v) : std::nullopt;
      ::unsetenv(name);
    }
  }
  EnvGuard(const EnvGuard&) = delete;
  EnvGuard& operator=(const EnvGuard&) = delete;
  ~EnvGuard() {
    for (const auto& [name, value] : saved_) {
      if (value) {
        ::setenv(name.c_str(), value->c_str(), 1);
      } else {
        ::unsetenv(name.c_str());
      }
    }
  }
  void set(const std::string& name, const std::string& value) const {
    REQUIRE(saved_.count(name) == 1);  // only variables that will be restored
    REQUIRE(::setenv(name.c_str(), value.c_str(), 1) == 0);
  }

 private:
  static constexpr const char* kNames[] = {"GIGASYNC_CONFIG", "GIGAPAY_TOKEN", "GIGAPAY_BASE_URL", "GIGASYNC_DB",
                                           "CREDENTIALS_DIRECTORY"};
  std::map<std::string, std::optional<std::string>> saved_;
};

// The error message parse_config gives for `text` read from "gigasync.toml" (it must fail).
std::string parse_error_of(const std::string& text) {
  auto result = gigasync::parse_config(text, "gigasync.toml");
  REQUIRE_FALSE(result.ok());
  CHECK(result.error().code == ExitCode::config);
  CHECK(result.error().message.find('\n') == std::string::npos);
  return result.error().message;
}

Config parse_ok(const std::string& text) {
  auto result = gigasync::parse_config(text, "gigasync.toml");
  if (!result.ok()) FAIL(result.error().message);
  return result.value();
}

fs::path source_dir() {
#ifdef GIGASYNC_SOURCE_DIR
  return fs::path(GIGASYNC_SOURCE_DIR);
#else
  return fs::path(__FILE__).parent_path().parent_path().parent_path();  // tests/unit/ -> the repository
#endif
}

std::string read_text(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Defaults and where the file is

TEST_CASE("An empty config file gives every default", "[config]") {
  const Config cfg = parse_ok("");
  CHECK(cfg == Config{});
  CHECK(cfg.api.base_url == "https://api.gigapay.se/v2/");
  CHECK(cfg.api.token_file == "/etc/gigasync/token");
  CHECK(cfg.api.integration_id.empty());
  CHECK(cfg.api.page_size == 100);
  CHECK(cfg.api.concurrency == 4);
  CHECK(cfg.api.timeout_s == 30);
  CHECK(cfg.api.max_retries == 5);
  CHECK(cfg.database.path == "/var/lib/gigasync/mirror.db");
  CHECK(cfg.sync.interval_s == 300);
  CHECK(cfg.sync.jitter_s == 30);
  CHECK(cfg.sync.conflict_policy == ConflictPolicy::manual);
  CHECK(cfg.sync.max_delete_fraction == Approx(0.2));
  CHECK(cfg.sync.push_delay_s == Approx(2.0));
  CHECK(cfg.log.level == "info");
  CHECK(cfg.log.format == LogFormat::text);
  CHECK(cfg.metrics.file.empty());
}

TEST_CASE("The config path is -c, else GIGASYNC_CONFIG, else /etc/gigasync/gigasync.toml", "[config]") {
  EnvGuard env;
  CHECK(gigasync::config_path(std::nullopt) == "/etc/gigasync/gigasync.toml");
  env.set("GIGASYNC_CONFIG", "/srv/from-env.toml");
  CHECK(gigasync::config_path(std::nullopt) == "/srv/from-env.toml");
  CHECK(gigasync::config_path(std::string("/srv/explicit.toml")) == "/srv/explicit.toml");
}

TEST_CASE("Without a config file at the default path the defaults are used silently", "[config]") {
  if (fs::exists("/etc/gigasync/gigasync.toml")) {
    WARN("skipped: /etc/gigasync/gigasync.toml exists on this machine");
    return;
  }
  EnvGuard env;
  auto cfg = gigasync::load_config(std::nullopt);
  REQUIRE(cfg.ok());
  CHECK(cfg->source_path.empty());
  CHECK(*cfg == Config{});
}

TEST_CASE("A missing config file named by -c is an error", "[config]") {
  EnvGuard env;
  TempDir dir;
  const std::string path = (dir.path() / "absent.toml").string();
  auto cfg = gigasync::load_config(path);
  REQUIRE_FALSE(cfg.ok());
  CHECK(cfg.error().code == ExitCode::config);
  CHECK(cfg.error().message == "cannot read config " + path + ": No such file or directory");
}

TEST_CASE("A missing config file named by GIGASYNC_CONFIG is an error", "[config]") {
  EnvGuard env;
  TempDir dir;
  const std::string path = (dir.path() / "absent.toml").string();
  env.set("GIGASYNC_CONFIG", path);
  auto cfg = gigasync::load_config(std::nullopt);
  REQUIRE_FALSE(cfg.ok());
  CHECK(cfg.error().code == ExitCode::config);
  CHECK(cfg.error().message == "cannot read config " + path + ": No such file or directory");
}

TEST_CASE("load_config reads the named file and records where it came from", "[config]") {
  EnvGuard env;
  TempDir dir;
  const std::string path = dir.write("gigasync.toml", "[api]\npage_size = 7\n", 0644);
  SECTION("named by -c") {
    auto cfg = gigasync::load_config(path);
    REQUIRE(cfg.ok());
    CHECK(cfg->api.page_size == 7);
    CHECK(cfg->source_path == path);
  }
  SECTION("named by GIGASYNC_CONFIG") {
    env.set("GIGASYNC_CONFIG", path);
    auto cfg = gigasync::load_config(std::nullopt);
    REQUIRE(cfg.ok());
    CHECK(cfg->api.page_size == 7);
    CHECK(cfg->source_path == path);
  }
}

TEST_CASE("A bad config file makes load_config fail naming that file and line", "[config]") {
  EnvGuard env;
  TempDir dir;
  const std::string path = dir.write("bad.toml", "[api]\n\npage_size = 0\n");
  auto cfg = gigasync::load_config(path);
  REQUIRE_FALSE(cfg.ok());
  CHECK(cfg.error().code == ExitCode::config);
  CHECK(cfg.error().message == path + ":3: api.page_size must be an integer from 1 to 1000, got 0");
}

// ---------------------------------------------------------------------------------------------
// Every key

TEST_CASE("Every key of the config file is read", "[config]") {
  const Config cfg = parse_ok(R"(
[api]
base_url = "http://127.0.0.1:8080/api/v2"
token_file = "/run/secrets/gigapay"
integration_id = "acme"
page_size = 1000
concurrency = 64
timeout_s = 3600
max_retries = 0

[database]
path = "/tmp/mirror.db"

[sync]
interval_s = 60
jitter_s = 0
conflict_policy = "remote-wins"
max_delete_fraction = 0.5
push_delay_s = 0.25

[log]
level = "debug"
format = "json"

[metrics]
file = "/var/lib/node-exporter/gigasync.prom"
)");
  CHECK(cfg.api.base_url == "http://127.0.0.1:8080/api/v2/");
  CHECK(cfg.api.token_file == "/run/secrets/gigapay");
  CHECK(cfg.api.integration_id == "acme");
  CHECK(cfg.api.page_size == 1000);
  CHECK(cfg.api.concurrency == 64);
  CHECK(cfg.api.timeout_s == 3600);
  CHECK(cfg.api.max_retries == 0);
  CHECK(cfg.database.path == "/tmp/mirror.db");
  CHECK(cfg.sync.interval_s == 60);
  CHECK(cfg.sync.jitter_s == 0);
  CHECK(cfg.sync.conflict_policy == ConflictPolicy::remote_wins);
  CHECK(cfg.sync.max_delete_fraction == Approx(0.5));
  CHECK(cfg.sync.push_delay_s == Approx(0.25));
  CHECK(cfg.log.level == "debug");
  CHECK(cfg.log.format == LogFormat::json);
  CHECK(cfg.metrics.file == "/var/lib/node-exporter/gigasync.prom");
  CHECK(cfg.source_path.empty());
  CHECK(cfg.token_source.empty());
}

TEST_CASE("Every conflict policy and log level is accepted", "[config]") {
  CHECK(parse_ok("[sync]\nconflict_policy = \"manual\"").sync.conflict_policy == ConflictPolicy::manual);
  CHECK(parse_ok("[sync]\nconflict_policy = \"remote-wins\"").sync.conflict_policy == ConflictPolicy::remote_wins);
  CHECK(parse_ok("[sync]\nconflict_policy = \"local-wins\"").sync.conflict_policy == ConflictPolicy::local_wins);
  for (const std::string level : {"trace", "debug", "info", "warn", "error", "critical", "off"}) {
    CHECK(parse_ok("[log]\nlevel = \"" + level + "\"").log.level == level);
  }
  CHECK(parse_ok("[log]\nformat = \"text\"").log.format == LogFormat::text);
}

TEST_CASE("Integers are accepted where numbers with fractions are expected", "[config]") {
  const Config cfg = parse_ok("[sync]\nmax_delete_fraction = 1\npush_delay_s = 2\n");
  CHECK(cfg.sync.max_delete_fraction == 1.0);
  CHECK(cfg.sync.push_delay_s == 2.0);
  CHECK(parse_ok("[sync]\nmax_delete_fraction = 0").sync.max_delete_fraction == 0.0);
}

TEST_CASE("Inline tables and dotted keys are read like sections", "[config]") {
  CHECK(parse_ok("api = { page_size = 5 }").api.page_size == 5);
  CHECK(parse_ok("sync.interval_s = 9").sync.interval_s == 9);
}

TEST_CASE("base_url is given a trailing slash and a lower-case scheme", "[config]") {
  CHECK(parse_ok("[api]\nbase_url = \"https://api.gigapay.se/v2\"").api.base_url == "https://api.gigapay.se/v2/");
  CHECK(parse_ok("[api]\nbase_url = \"http://localhost:8080\"").api.base_url == "http://localhost:8080/");
  CHECK(parse_ok("[api]\nbase_url = \"HTTPS://example.com/v2/\"").api.base_url == "https://example.com/v2/");
  CHECK(gigasync::normalize_base_url("https://x/v2/") == std::optional<std::string>("https://x/v2/"));
  CHECK_FALSE(gigasync::normalize_base_url("ftp://x/"));
  CHECK_FALSE(gigasync::normalize_base_url("https://"));
  CHECK_FALSE(gigasync::normalize_base_url("https:///v2/"));
  CHECK_FALSE(gigasync::normalize_base_url("https://x/v2/?a=b"));
  CHECK_FALSE(gigasync::normalize_base_url("https://x/v2/#frag"));
  CHECK_FALSE(gigasync::normalize_base_url("https://x y/"));
  CHECK_FALSE(gigasync::normalize_base_url("api.gigapay.se/v2/"));
}

TEST_CASE("to_string names the conflict policies as the config file does", "[config]") {
  CHECK(std::string(gigasync::to_string(ConflictPolicy::manual)) == "manual");
  CHECK(std::string(gigasync::to_string(ConflictPolicy::remote_wins)) == "remote-wins");
  CHECK(std::string(gigasync::to_string(ConflictPolicy::local_wins)) == "local-wins");
}

// ---------------------------------------------------------------------------------------------
// Errors name the file and the line

TEST_CASE("An unknown key is an error naming the file, the line and the known keys", "[config]") {
  CHECK(parse_error_of("# comment\n[api]\nbase_url = \"https://x/\"\ntokn = \"/etc/x\"\n") ==
        "gigasync.toml:4: unknown key 'api.tokn' (known keys in [api]: base_url, token_file, integration_id, "
        "page_size, concurrency, timeout_s, max_retries, allow_insecure_http, max_body_bytes)");
  CHECK(parse_error_of("[sync]\n\n\nconflict = \"manual\"\n") ==
        "gigasync.toml:4: unknown key 'sync.conflict' (known keys in [sync]: interval_s, jitter_s, conflict_policy, "
        "max_delete_fraction, min_delete_guard, max_push_fraction, min_push_guard, push_delay_s, max_backoff_s, "
        "cycle_deadline_s)");
  CHECK(parse_error_of("[database]\npath = \"/x\"\nfile = \"/y\"\n") ==
        "gigasync.toml:3: unknown key 'database.file' (known keys in [database]: path, keep_history_days)");
}

TEST_CASE("A table inside a section is an unknown key", "[config]") {
  CHECK(parse_error_of("[api]\npage_size = 5\n[api.retry]\nmax = 3\n").rfind(
            "gigasync.toml:3: unknown key 'api.retry' (known keys in [api]: ", 0) == 0);
}

TEST_CASE("An unknown section is an error naming the file and the line", "[config]") {
  CHECK(parse_error_of("[api]\npage_size = 5\n\n[apis]\npage_size = 5\n") ==
        "gigasync.toml:4: unknown section [apis] (known sections: api, database, sync, log, metrics, notify, account, "
        "webhooks)");
}

TEST_CASE("A key outside any section is an error naming the file and the line", "[config]") {
  CHECK(parse_error_of("\npage_size = 5\n") ==
        "gigasync.toml:2: unknown key 'page_size' outside any section (known sections: api, database, sync, log, "
        "metrics, notify, account, webhooks)");
}

TEST_CASE("A section given as a plain value is an error", "[config]") {
  CHECK(parse_error_of("api = 5\n") == "gigasync.toml:1: api must be a section [api], got 5");
  CHECK(parse_error_of("\n[[log]]\nlevel = \"info\"\n") ==
        "gigasync.toml:2: log must be a section [log], got an array");
}

TEST_CASE("An out-of-range value is an error naming the file, the line and the value", "[config]") {
  struct Case {
    std::string section, assignment, message;
  };
  const std::vector<Case> cases = {
      {"api", "page_size = 0", "api.page_size must be an integer from 1 to 1000, got 0"},
      {"api", "page_size = 1001", "api.page_size must be an integer from 1 to 1000, got 1001"},
      {"api", "concurrency = 0", "api.concurrency must be an integer from 1 to 64, got 0"},
      {"api", "concurrency = 65", "api.concurrency must be an integer from 1 to 64, got 65"},
      {"api", "timeout_s = 0", "api.timeout_s must be an integer from 1 to 3600, got 0"},
      {"api", "timeout_s = 3601", "api.timeout_s must be an integer from 1 to 3600, got 3601"},
      {"api", "max_retries = -1", "api.max_retries must be an integer from 0 to 100, got -1"},
      {"api", "max_retries = 101", "api.max_retries must be an integer from 0 to 100, got 101"},
      {"sync", "interval_s = 0", "sync.interval_s must be an integer >= 1, got 0"},
      {"sync", "interval_s = 4294967296", "sync.interval_s must be an integer >= 1, got 4294967296"},
      {"sync", "jitter_s = -1", "sync.jitter_s must be an integer >= 0, got -1"},
      {"sync", "max_delete_fraction = 1.5", "sync.max_delete_fraction must be a number from 0 to 1, got 1.5"},
      {"sync", "max_delete_fraction = -0.1", "sync.max_delete_fraction must be a number from 0 to 1, got -0.1"},
      {"sync", "max_delete_fraction = nan", "sync.max_delete_fraction must be a number from 0 to 1, got nan"},
      {"sync", "push_delay_s = -1", "sync.push_delay_s must be a number >= 0, got -1"},
      {"sync", "push_delay_s = inf", "sync.push_delay_s must be a number >= 0, got inf"},
      {"sync", "conflict_policy = \"x\"",
       "sync.conflict_policy must be one of manual, remote-wins, local-wins, got \"x\""},
      {"sync", "conflict_policy = \"remote_wins\"",
       "sync.conflict_policy must be one of manual, remote-wins, local-wins, got \"remote_wins\""},
      {"log", "level = \"verbose\"",
       "log.level must be one of trace, debug, info, warn, error, critical, off, got \"verbose\""},
      {"log", "format = \"xml\"", "log.format must be one of text, json, got \"xml\""},
      {"api", "base_url = \"ftp://api.gigapay.se/v2/\"",
       "api.base_url must be an http:// or https:// URL without query or fragment, got \"ftp://api.gigapay.se/v2/\""},
      {"database", "path = \"\"", "database.path must be a non-empty string, got an empty string"},
  };
  for (const auto& c : cases) {
    INFO(c.assignment);
    // Two lines of padding so the value is on line 4, not on a line a wrong count would hit.
    CHECK(parse_error_of("[" + c.section + "]\n\n# padding\n" + c.assignment + "\n") ==
          "gigasync.toml:4: " + c.message);
  }
}

TEST_CASE("A value of the wrong type is an error naming its type", "[config]") {
  CHECK(parse_error_of("[api]\npage_size = \"100\"\n") ==
        "gigasync.toml:2: api.page_size must be an integer from 1 to 1000, got a string");
  CHECK(parse_error_of("[api]\npage_size = 2.5\n") ==
        "gigasync.toml:2: api.page_size must be an integer from 1 to 1000, got 2.5");
  CHECK(parse_error_of("[api]\nbase_url = 5\n") ==
        "gigasync.toml:2: api.base_url must be an http:// or https:// URL without query or fragment, got 5");
  CHECK(parse_error_of("[api]\ntoken_file = true\n") == "gigasync.toml:2: api.token_file must be a string, got true");
  CHECK(parse_error_of("[metrics]\nfile = [\"a\"]\n") == "gigasync.toml:2: metrics.file must be a string, got an array");
  CHECK(parse_error_of("[sync]\npush_delay_s = \"2\"\n") ==
        "gigasync.toml:2: sync.push_delay_s must be a number >= 0, got a string");
  CHECK(parse_error_of("[sync]\ninterval_s = 1979-05-27\n") ==
        "gigasync.toml:2: sync.interval_s must be an integer >= 1, got a date");
}

TEST_CASE("A string in a key that wants a number is not repeated in the message", "[config]") {
  const std::string message = parse_error_of("[api]\ntimeout_s = \"s3cr3t-t0ken\"\n");
  CHECK(message.find("s3cr3t") == std::string::npos);
}

TEST_CASE("Of several problems every one is reported, the first in the file first", "[config]") {
  CHECK(parse_error_of("[sync]\ninterval_s = 0\n[api]\npage_size = 0\nzzz = 1\n")
            .rfind("gigasync.toml:2: sync.interval_s must be an integer >= 1, got 0", 0) == 0);
  CHECK(parse_error_of("[api]\nzzz = 1\npage_size = 0\n").rfind("gigasync.toml:2: unknown key 'api.zzz'", 0) == 0);
}

TEST_CASE("A TOML syntax error names the file, the line and the column", "[config]") {
  CHECK(parse_error_of("[api]\npage_size = 12abc\n") ==
        "gigasync.toml:2:15: TOML syntax error: Error while parsing decimal integer: expected digit, saw 'a'");
  const std::string dup = parse_error_of("[api]\npage_size = 1\npage_size = 2\n");
  CHECK(dup.rfind("gigasync.toml:3:", 0) == 0);
  CHECK(dup.find("TOML syntax error: ") != std::string::npos);
  const std::string unclosed = parse_error_of("[log]\nlevel = \"info\n");
  CHECK(unclosed.rfind("gigasync.toml:2:", 0) == 0);
}

TEST_CASE("A syntax error message stays on one line", "[config]") {
  // toml++ quotes the rest of the line here, newline included.
  const std::string message = parse_error_of("[log]\nformat = tru\n");
  CHECK(message.rfind("gigasync.toml:2:", 0) == 0);
  CHECK(message.find('\n') == std::string::npos);
}

// ---------------------------------------------------------------------------------------------
// The token is never in the config file, in Config or in a message

TEST_CASE("A token key is refused without repeating its value", "[config]") {
  const std::string secret = "gp_live_9f8e7d6c5b4a";
  SECTION("in [api]") {
    const std::string message = parse_error_of("[api]\nbase_url = \"https://x/\"\ntoken = \"" + secret + "\"\n");
    CHECK(message.rfind("gigasync.toml:3: api.token is not allowed: ", 0) == 0);
    CHECK(message.find("token_file") != std::string::npos);
    CHECK(message.find("GIGAPAY_TOKEN") != std::string::npos);
    CHECK(message.find(secret) == std::string::npos);
  }
  SECTION("outside any section") {
    const std::string message = parse_error_of("token = \"" + secret + "\"\n");
    CHECK(message.rfind("gigasync.toml:1: token is not allowed: ", 0) == 0);
    CHECK(message.find("GIGAPAY_TOKEN") != std::string::npos);
    CHECK(message.find(secret) == std::string::npos);
  }
  SECTION("in another section") {
    const std::string message = parse_error_of("[sync]\n\"token\" = '" + secret + "'\n");
    CHECK(message.rfind("gigasync.toml:2: sync.token is not allowed: ", 0) == 0);
    CHECK(message.find(secret) == std::string::npos);
  }
  SECTION("written without quotes, a syntax error") {
    for (const std::string& line : {"token = " + secret, "token = tru" + secret, "api.token = 12" + secret,
                                   "api = { token = " + secret + " }"}) {
      INFO(line);
      const std::string message = parse_error_of("\n" + line + "\n");
      CHECK(message.rfind("gigasync.toml:2:", 0) == 0);
      CHECK(message.find("GIGAPAY_TOKEN") != std::string::npos);
      CHECK(message.find(secret) == std::string::npos);
      CHECK(message.find("tru") == std::string::npos);
    }
  }
}

TEST_CASE("The token is read from GIGAPAY_TOKEN first", "[config][token]") {
  EnvGuard env;
  TempDir dir;
  env.set("GIGAPAY_TOKEN", "env-token\n");
  env.set("CREDENTIALS_DIRECTORY", dir.path().string());
  dir.write("gigapay-token", "credential-token");
  Config cfg;
  cfg.api.token_file = dir.write("token", "file-token");
  auto token = gigasync::load_token(cfg);
  REQUIRE(token.ok());
  CHECK(token->value == "env-token");
  CHECK(cfg.token_source == "environment GIGAPAY_TOKEN");
}

TEST_CASE("An empty GIGAPAY_TOKEN counts as not set", "[config][token]") {
  EnvGuard env;
  TempDir dir;
  env.set("GIGAPAY_TOKEN", "");
  Config cfg;
  cfg.api.token_file = dir.write("token", "file-token\n");
  auto token = gigasync::load_token(cfg);
  REQUIRE(token.ok());
  CHECK(token->value == "file-token");
}

TEST_CASE("The token is read from the systemd credential when GIGAPAY_TOKEN is unset", "[config][token]") {
  EnvGuard env;
  TempDir dir;
  env.set("CREDENTIALS_DIRECTORY", (dir.path() / "creds").string());
  // systemd manages the credential's permissions: a 0644 file there is fine.
  dir.write("creds/gigapay-token", "credential-token\n", 0644);
  Config cfg;
  cfg.api.token_file = dir.write("token", "file-token");
  auto token = gigasync::load_token(cfg);
  REQUIRE(token.ok());
  CHECK(token->value == "credential-token");
  CHECK(cfg.token_source == "systemd credential gigapay-token");
}

TEST_CASE("Without a gigapay-token credential the token file is used", "[config][token]") {
  EnvGuard env;
  TempDir dir;
  env.set("CREDENTIALS_DIRECTORY", (dir.path() / "creds").string());
  dir.write("creds/other-credential", "x");
  Config cfg;
  cfg.api.token_file = dir.write("token", "file-token");
  auto token = gigasync::load_token(cfg);
  REQUIRE(token.ok());
  CHECK(token->value == "file-token");
  CHECK(cfg.token_source == "file " + cfg.api.token_file);
}

TEST_CASE("The token is read from token_file without its trailing whitespace", "[config][token]") {
  EnvGuard env;
  TempDir dir;
  Config cfg;
  cfg.api.token_file = dir.write("token", "  abc123.def456 \r\n\n");
  auto token = gigasync::load_token(cfg);
  REQUIRE(token.ok());
  CHECK(token->value == "abc123.def456");
  CHECK(cfg.token_source == "file " + cfg.api.token_file);
}

TEST_CASE("A token file readable by group or others is refused", "[config][token]") {
  EnvGuard env;
  TempDir dir;
  Config cfg;
  SECTION("mode 0644") {
    cfg.api.token_file = dir.write("token", "world-readable-secret", 0644);
    auto token = gigasync::load_token(cfg);
    REQUIRE_FALSE(token.ok());
    CHECK(token.error().code == ExitCode::config);
    CHECK(token.error().message == "token file " + cfg.api.token_file +
                                       " is readable by group or others (mode 0644); run: chmod 600 " +
                                       cfg.api.token_file);
    CHECK(token.error().message.find("world-readable-secret") == std::string::npos);
  }
  SECTION("mode 0640") {
    cfg.api.token_file = dir.write("token", "group-readable-secret", 0640);
    auto token = gigasync::load_token(cfg);
    REQUIRE_FALSE(token.ok());
    CHECK(token.error().message.find("(mode 0640)") != std::string::npos);
  }
  SECTION("mode 0400 is fine") {
    cfg.api.token_file = dir.write("token", "owner-only", 0400);
    auto token = gigasync::load_token(cfg);
    REQUIRE(token.ok());
    CHECK(token->value == "owner-only");
  }
}

TEST_CASE("A missing token file is an error naming it", "[config][token]") {
  EnvGuard env;
  TempDir dir;
  Config cfg;
  cfg.api.token_file = (dir.path() / "absent").string();
  auto token = gigasync::load_token(cfg);
  REQUIRE_FALSE(token.ok());
  CHECK(token.error().code == ExitCode::config);
  CHECK(token.error().message == "cannot read token file " + cfg.api.token_file + ": No such file or directory");
}

TEST_CASE("An empty token is an error", "[config][token]") {
  EnvGuard env;
  TempDir dir;
  Config cfg;
  SECTION("an empty file") { cfg.api.token_file = dir.write("token", ""); }
  SECTION("a file of whitespace") { cfg.api.token_file = dir.write("token", " \n\t\n"); }
  SECTION("GIGAPAY_TOKEN of whitespace") { env.set("GIGAPAY_TOKEN", "  \n"); }
  SECTION("an empty systemd credential") {
    env.set("CREDENTIALS_DIRECTORY", dir.path().string());
    dir.write("gigapay-token", "\n");
  }
  auto token = gigasync::load_token(cfg);
  REQUIRE_FALSE(token.ok());
  CHECK(token.error().code == ExitCode::config);
  CHECK(token.error().message.find("is empty") != std::string::npos);
}

TEST_CASE("No token anywhere is an error", "[config][token]") {
  EnvGuard env;
  Config cfg;
  cfg.api.token_file.clear();
  auto token = gigasync::load_token(cfg);
  REQUIRE_FALSE(token.ok());
  CHECK(token.error().code == ExitCode::config);
  CHECK(token.error().message.find("GIGAPAY_TOKEN") != std::string::npos);
}

TEST_CASE("A token with whitespace inside is refused without showing it", "[config][token]") {
  EnvGuard env;
  env.set("GIGAPAY_TOKEN", "first-half\nInjected: header");
  Config cfg;
  auto token = gigasync::load_token(cfg);
  REQUIRE_FALSE(token.ok());
  CHECK(token.error().code == ExitCode::config);
  CHECK(token.error().message.find("first-half") == std::string::npos);
  CHECK(token.error().message.find("Injected") == std::string::npos);
}

// ---------------------------------------------------------------------------------------------
// The environment overrides

TEST_CASE("GIGAPAY_BASE_URL and GIGASYNC_DB override the config file", "[config]") {
  EnvGuard env;
  TempDir dir;
  const std::string path =
      dir.write("gigasync.toml", "[api]\nbase_url = \"https://file.example/v2/\"\n[database]\npath = \"/file.db\"\n");
  env.set("GIGAPAY_BASE_URL", "http://127.0.0.1:9999/v2");
  env.set("GIGASYNC_DB", (dir.path() / "env.db").string());
  auto cfg = gigasync::load_config(path);
  REQUIRE(cfg.ok());
  CHECK(cfg->api.base_url == "http://127.0.0.1:9999/v2/");
  CHECK(cfg->database.path == (dir.path() / "env.db").string());
  CHECK(cfg->source_path == path);
}

TEST_CASE("The environment overrides apply without a config file too", "[config]") {
  if (fs::exists("/etc/gigasync/gigasync.toml")) {
    WARN("skipped: /etc/gigasync/gigasync.toml exists on this machine");
    return;
  }
  EnvGuard env;
  env.set("GIGAPAY_BASE_URL", "https://sandbox.example");
  env.set("GIGASYNC_DB", "/tmp/x.db");
  auto cfg = gigasync::load_config(std::nullopt);
  REQUIRE(cfg.ok());
  CHECK(cfg->api.base_url == "https://sandbox.example/");
  CHECK(cfg->database.path == "/tmp/x.db");
}

TEST_CASE("A bad GIGAPAY_BASE_URL is refused like a bad base_url", "[config]") {
  EnvGuard env;
  TempDir dir;
  const std::string path = dir.write("gigasync.toml", "");
  env.set("GIGAPAY_BASE_URL", "api.gigapay.se/v2/");
  auto cfg = gigasync::load_config(path);
  REQUIRE_FALSE(cfg.ok());
  CHECK(cfg.error().code == ExitCode::config);
  CHECK(cfg.error().message ==
        "GIGAPAY_BASE_URL must be an http:// or https:// URL without query or fragment, got \"api.gigapay.se/v2/\"");
}

// ---------------------------------------------------------------------------------------------
// The documented example

TEST_CASE("The example config/gigasync.toml parses cleanly and holds exactly the defaults", "[config]") {
  const fs::path example = source_dir() / "config" / "gigasync.toml";
  INFO(example.string());
  REQUIRE(fs::exists(example));
  const std::string text = read_text(example);
  auto cfg = gigasync::parse_config(text, example.string());
  if (!cfg.ok()) FAIL(cfg.error().message);
  CHECK(cfg.value() == Config{});
}

TEST_CASE("The example config/gigasync.toml sets every key once, each after a comment", "[config]") {
  const std::string text = read_text(source_dir() / "config" / "gigasync.toml");
  const std::vector<std::string> keys = {"base_url",   "token_file",          "integration_id", "page_size",
                                         "concurrency", "timeout_s",          "max_retries",    "allow_insecure_http", "max_body_bytes", "path", "keep_history_days",
                                         "interval_s",  "jitter_s",           "conflict_policy",
                                         "max_delete_fraction", "min_delete_guard", "max_push_fraction", "min_push_guard",
                                         "push_delay_s", "max_backoff_s",
                                         "cycle_deadline_s", "level", "format",
                                         "file", "listen", "heartbeat_url",
                                         "resources", "full_every_s", "listen", "public_url", "tolerance_s"};
  std::istringstream lines(text);
  std::string line;
  std::string previous;
  std::vector<std::string> assigned;
  const std::regex assignment(R"(^([A-Za-z_]+)\s*=)");
  while (std::getline(lines, line)) {
    std::smatch m;
    if (std::regex_search(line, m, assignment)) {
      assigned.push_back(m[1]);
      INFO(line);
      CHECK(previous.rfind("#", 0) == 0);  // documented right above
    }
    previous = line;
  }
  CHECK(assigned == keys);
}

// ---------------------------------------------------------------------------------------------
// Reliability keys and plain http (issue 9)

TEST_CASE("max_backoff_s, cycle_deadline_s and allow_insecure_http are read and checked", "[config]") {
  const Config defaults;
  CHECK(defaults.sync.max_backoff_s == 3600);
  CHECK(defaults.sync.cycle_deadline_s == 0);
  CHECK_FALSE(defaults.api.allow_insecure_http);
  CHECK(gigasync::cycle_deadline_s(defaults) == 4 * 30 * 6);  // 4 × timeout_s × (max_retries + 1)
  const Config cfg = parse_ok(
      "[api]\nallow_insecure_http = true\ntimeout_s = 5\nmax_retries = 1\n[sync]\nmax_backoff_s = 900\n"
      "cycle_deadline_s = 0\n");
  CHECK(cfg.api.allow_insecure_http);
  CHECK(cfg.sync.max_backoff_s == 900);
  CHECK(gigasync::cycle_deadline_s(cfg) == 40);
  CHECK(gigasync::cycle_deadline_s(parse_ok("[sync]\ncycle_deadline_s = 90\n")) == 90);
  CHECK(parse_error_of("[sync]\nmax_backoff_s = 0\n") ==
        "gigasync.toml:2: sync.max_backoff_s must be an integer >= 1, got 0");
  CHECK(parse_error_of("[sync]\ncycle_deadline_s = -1\n") ==
        "gigasync.toml:2: sync.cycle_deadline_s must be an integer >= 0, got -1");
  CHECK(parse_error_of("[api]\nallow_insecure_http = \"yes\"\n") ==
        "gigasync.toml:2: api.allow_insecure_http must be true or false, got a string");
}

TEST_CASE("Plain http is allowed to loopback hosts as libcurl reads them, and look-alikes are refused", "[config]") {
  auto allowed = [](const char* url) {
    gigasync::Config cfg;
    cfg.api.base_url = url;
    return gigasync::check_transport_security(cfg).ok();
  };
  for (const char* url : {"http://127.0.0.1:8700/v2/", "http://127.1.2.3/", "http://localhost:80/", "http://LOCALHOST/",
                          "http://[::1]:8080/v2/", "http://[::ffff:127.0.0.1]/", "http://localhost./v2/",
                          "http://127.1/", "http://0x7f.1/"}) {  // libcurl's reading: 127.0.0.1
    INFO(url);
    CHECK(allowed(url));
  }
  for (const char* url : {"http://api.gigapay.se/v2/", "http://127.evil.example/", "http://localhost.evil.example/",
                          "http://10.0.0.1/", "http://[::2]/", "http://127.0.0.1.nip.io/", "http://128.0.0.1/",
                          "http://127.0.0.1@api.gigapay.se/", "http://user@127.0.0.1:9/" /* credentials: refused */,
                          "not a url", "http://[::1/"}) {
    INFO(url);
    CHECK_FALSE(allowed(url));
  }
}

TEST_CASE("A plain http base_url to a host that is not loopback is refused unless allowed", "[config]") {
  EnvGuard env;
  TempDir dir;
  const std::string path = dir.write("gigasync.toml", "[api]\nbase_url = \"http://api.gigapay.se/v2/\"\n");
  auto refused = gigasync::load_config(path);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().code == ExitCode::config);
  INFO(refused.error().message);
  CHECK(refused.error().message.find(path) != std::string::npos);
  CHECK(refused.error().message.find("http://api.gigapay.se/v2/") != std::string::npos);
  CHECK(refused.error().message.find("unencrypted") != std::string::npos);
  CHECK(refused.error().message.find("allow_insecure_http") != std::string::npos);

  dir.write("gigasync.toml", "[api]\nbase_url = \"http://api.gigapay.se/v2/\"\nallow_insecure_http = true\n");
  CHECK(gigasync::load_config(path).ok());
  dir.write("gigasync.toml", "[api]\nbase_url = \"http://127.0.0.1:8700/v2/\"\n");
  CHECK(gigasync::load_config(path).ok());
  dir.write("gigasync.toml", "[api]\nbase_url = \"https://api.gigapay.se/v2/\"\n");
  CHECK(gigasync::load_config(path).ok());

  env.set("GIGAPAY_BASE_URL", "http://api.demo.gigapay.se/v2/");  // the environment too
  auto from_env = gigasync::load_config(path);
  REQUIRE_FALSE(from_env.ok());
  CHECK(from_env.error().code == ExitCode::config);
  CHECK(from_env.error().message.rfind("GIGAPAY_BASE_URL", 0) == 0);
}

TEST_CASE("A base_url libcurl would not take is refused when the config is read, naming where", "[config]") {
  EnvGuard env;
  TempDir dir;
  // Credentials: the host would be hard to read for a person, and the token goes in a header anyway.
  const std::string path = dir.write("gigasync.toml", "[api]\nbase_url = \"https://user:pw@api.gigapay.se/v2/\"\n");
  auto refused = gigasync::load_config(path);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().code == ExitCode::config);
  INFO(refused.error().message);
  CHECK(refused.error().message.rfind("api.base_url in " + path + ": invalid URL", 0) == 0);
  CHECK(refused.error().message.find("credentials") != std::string::npos);
}

TEST_CASE("Loopback hosts as a listen address or a parsed URL spells them", "[config]") {
  for (const char* host : {"127.0.0.1", "127.255.0.9", "localhost", "LocalHost.", "::1", "[::1]", "[::1%25lo]",
                           "::ffff:127.0.0.2", "[0:0:0:0:0:0:0:1]"}) {
    INFO(host);
    CHECK(gigasync::http::is_loopback_host(host));
  }
  for (const char* host : {"", "0.0.0.0", "::", "[::]", "128.0.0.1", "10.0.0.1", "localhost.example", "::ffff:10.0.0.1",
                           "127.0.0.1.nip.io", "[::2]"}) {
    INFO(host);
    CHECK_FALSE(gigasync::http::is_loopback_host(host));
  }
}

// ---------------------------------------------------------------------------------------------
// The account's read-only mirrors ([account]) and the webhook listener ([webhooks])

namespace {

// How account.resources' errors end, after the key: what it must be.
const std::string kResourcesMust =
    "account.resources must be an array of distinct names from employees, payouts, payruns, invoices ([] for "
    "integrations only), got ";

}  // namespace

TEST_CASE("[account] and [webhooks] default to every resource, a daily full list and no listener", "[config]") {
  const Config defaults;
  CHECK(defaults.account.resources == std::vector<std::string>{"employees", "payouts", "payruns", "invoices"});
  CHECK(defaults.account.full_every_s == 86400);
  CHECK(defaults.webhooks.listen.empty());
  CHECK(defaults.webhooks.public_url.empty());
  CHECK(defaults.webhooks.tolerance_s == 300);
  CHECK(gigasync::webhooks_public_url(defaults).empty());  // no listener, no URL: no webhooks
  const Config parsed = parse_ok("[account]\n[webhooks]\n");
  CHECK(parsed == defaults);
  // Every new member takes part in operator== (the daemon's SIGHUP compares configs).
  Config other = defaults;
  other.account.resources.pop_back();
  CHECK_FALSE(other == defaults);
  other = defaults;
  other.account.full_every_s = 3600;
  CHECK_FALSE(other == defaults);
  other = defaults;
  other.webhooks.listen = "127.0.0.1:9181";
  CHECK_FALSE(other == defaults);
  other = defaults;
  other.webhooks.public_url = "https://hooks.example/";
  CHECK_FALSE(other == defaults);
  other = defaults;
  other.webhooks.tolerance_s = 60;
  CHECK_FALSE(other == defaults);
}

TEST_CASE("Every [account] and [webhooks] key is read", "[config]") {
  const Config cfg = parse_ok(R"(
[account]
resources = [
  "payruns",   # kept in the order written
  "employees",
]
full_every_s = 3600

[webhooks]
listen = "0.0.0.0:9181"        # not loopback: allowed, every request is signed
public_url = "HTTPS://hooks.example.com/gigasync"
tolerance_s = 60
)");
  CHECK(cfg.account.resources == std::vector<std::string>{"payruns", "employees"});
  CHECK(cfg.account.full_every_s == 3600);
  CHECK(cfg.webhooks.listen == "0.0.0.0:9181");
  CHECK(cfg.webhooks.public_url == "https://hooks.example.com/gigasync/");  // as normalize_base_url gives it
  CHECK(cfg.webhooks.tolerance_s == 60);
  // Nothing else moved from its default.
  Config expected;
  expected.account = cfg.account;
  expected.webhooks = cfg.webhooks;
  CHECK(cfg == expected);

  CHECK(parse_ok("[account]\nresources = []\n").account.resources.empty());  // integrations only
  CHECK(parse_ok("account.resources = [\"invoices\"]").account.resources == std::vector<std::string>{"invoices"});
  CHECK(parse_ok("account = { resources = [\"payouts\", \"employees\", \"invoices\", \"payruns\"] }")
            .account.resources == std::vector<std::string>{"payouts", "employees", "invoices", "payruns"});
  // The bounds themselves are accepted.
  CHECK(parse_ok("[account]\nfull_every_s = 60\n").account.full_every_s == 60);
  CHECK(parse_ok("[account]\nfull_every_s = 31536000\n").account.full_every_s == 31536000);
  CHECK(parse_ok("[webhooks]\ntolerance_s = 1\n").webhooks.tolerance_s == 1);
  CHECK(parse_ok("[webhooks]\ntolerance_s = 86400\n").webhooks.tolerance_s == 86400);
  for (const std::string listen : {"127.0.0.1:9181", "localhost:9181", "[::1]:9181", "[::]:9181", "10.1.2.3:80", ""}) {
    INFO(listen);
    CHECK(parse_ok("[webhooks]\nlisten = \"" + listen + "\"\n").webhooks.listen == listen);
  }
  CHECK(parse_ok("[webhooks]\npublic_url = \"\"\n").webhooks.public_url.empty());
  CHECK(parse_ok("[webhooks]\npublic_url = \"http://10.0.0.5:8080\"\n").webhooks.public_url == "http://10.0.0.5:8080/");
}

TEST_CASE("account.resources: a name gigasync does not mirror is an error at its own line, naming the key and the "
          "accepted names", "[config]") {
  // The bad element is on line 6, two lines below the key.
  CHECK(parse_error_of("[account]\n\n# padding\nresources = [\n  \"employees\",\n  \"payout\",\n]\n") ==
        "gigasync.toml:6: " + kResourcesMust + "\"payout\"");
  CHECK(parse_error_of("[account]\nresources = [\"employees\", \"Payouts\"]\n") ==
        "gigasync.toml:2: " + kResourcesMust + "\"Payouts\"");
  // integrations is a resource gigasync describes, but not one read per integration.
  CHECK(parse_error_of("[account]\nresources = [\"integrations\", \"payouts\"]\n") ==
        "gigasync.toml:2: " + kResourcesMust + "\"integrations\" (integrations are always mirrored)");
  CHECK(parse_error_of("[account]\nresources = [\"\"]\n") == "gigasync.toml:2: " + kResourcesMust + "\"\"");
  // Control characters are shown escaped: the message stays on one line.
  CHECK(parse_error_of("[account]\nresources = [\"pay\\nouts\"]\n") ==
        "gigasync.toml:2: " + kResourcesMust + "\"pay\\nouts\"");
  // Every bad element is reported, each at its line, in file order.
  CHECK(parse_error_of("[account]\nresources = [\n  \"a\",\n  \"payouts\",\n  \"b\",\n]\nfull_every_s = 1\n") ==
        "gigasync.toml:3: " + kResourcesMust + "\"a\"; gigasync.toml:5: " + kResourcesMust +
            "\"b\"; gigasync.toml:7: account.full_every_s must be an integer from 60 to 31536000, got 1");
}

TEST_CASE("account.resources: an element that is not a string is an error at its line", "[config]") {
  CHECK(parse_error_of("[account]\nresources = [\n  \"payouts\",\n  5,\n]\n") == "gigasync.toml:4: " + kResourcesMust + "5");
  CHECK(parse_error_of("[account]\nresources = [[\"payouts\"]]\n") ==
        "gigasync.toml:2: " + kResourcesMust + "an array");
  CHECK(parse_error_of("[account]\nresources = [{ name = \"payouts\" }]\n") ==
        "gigasync.toml:2: " + kResourcesMust + "a table");
  CHECK(parse_error_of("[account]\nresources = [true]\n") == "gigasync.toml:2: " + kResourcesMust + "true");
}

TEST_CASE("account.resources: a name listed twice is an error at the second one", "[config]") {
  CHECK(parse_error_of("[account]\nresources = [\n  \"payouts\",\n  \"invoices\",\n  \"payouts\",\n]\n") ==
        "gigasync.toml:5: " + kResourcesMust + "\"payouts\" twice");
}

TEST_CASE("account.resources: a value that is not an array is an error naming the key", "[config]") {
  CHECK(parse_error_of("[account]\n\nresources = \"payouts\"\n") ==
        "gigasync.toml:3: " + kResourcesMust + "\"payouts\"");
  CHECK(parse_error_of("[account]\nresources = \"\"\n") == "gigasync.toml:2: " + kResourcesMust + "\"\"");
  CHECK(parse_error_of("[account]\nresources = 4\n") == "gigasync.toml:2: " + kResourcesMust + "4");
  CHECK(parse_error_of("[account]\nresources = true\n") == "gigasync.toml:2: " + kResourcesMust + "true");
  CHECK(parse_error_of("[account.resources]\npayouts = true\n") == "gigasync.toml:1: " + kResourcesMust + "a table");
}

TEST_CASE("account.resources: an error in a named file names that file", "[config]") {
  EnvGuard env;
  TempDir dir;
  const std::string path = dir.write("gigasync.toml", "[account]\nresources = [\"employees\",\n  \"payslips\"]\n");
  auto cfg = gigasync::load_config(path);
  REQUIRE_FALSE(cfg.ok());
  CHECK(cfg.error().code == ExitCode::config);
  CHECK(cfg.error().message == path + ":3: " + kResourcesMust + "\"payslips\"");
}

TEST_CASE("[account] and [webhooks] integers out of range are errors naming the file, the line and the value",
          "[config]") {
  struct Case {
    std::string section, assignment, message;
  };
  const std::vector<Case> cases = {
      {"account", "full_every_s = 59", "account.full_every_s must be an integer from 60 to 31536000, got 59"},
      {"account", "full_every_s = 31536001",
       "account.full_every_s must be an integer from 60 to 31536000, got 31536001"},
      {"account", "full_every_s = 0", "account.full_every_s must be an integer from 60 to 31536000, got 0"},
      {"account", "full_every_s = \"86400\"",
       "account.full_every_s must be an integer from 60 to 31536000, got a string"},
      {"webhooks", "tolerance_s = 0", "webhooks.tolerance_s must be an integer from 1 to 86400, got 0"},
      {"webhooks", "tolerance_s = 86401", "webhooks.tolerance_s must be an integer from 1 to 86400, got 86401"},
      {"webhooks", "tolerance_s = -300", "webhooks.tolerance_s must be an integer from 1 to 86400, got -300"},
      {"webhooks", "tolerance_s = 4294967596", "webhooks.tolerance_s must be an integer from 1 to 86400, got 4294967596"},
      {"webhooks", "tolerance_s = true", "webhooks.tolerance_s must be an integer from 1 to 86400, got true"},
  };
  for (const auto& c : cases) {
    INFO(c.assignment);
    CHECK(parse_error_of("[" + c.section + "]\n\n# padding\n" + c.assignment + "\n") ==
          "gigasync.toml:4: " + c.message);
  }
}

TEST_CASE("webhooks.listen: HOST:PORT with an IP address, or empty; anything else names the key and the value",
          "[config]") {
  const std::string must =
      "webhooks.listen must be \"HOST:PORT\" with HOST an IP address (e.g. \"127.0.0.1:9464\", \"[::1]:9464\"), or "
      "\"\" for off, got ";
  for (const std::string bad : {"localhost", "9181", ":9181", "hooks.example.com:9181", "127.0.0.1:0",
                                "127.0.0.1:65536", "127.0.0.1:09181", "::1:9181", "[::1]", "127.0.0.1:9181 "}) {
    INFO(bad);
    CHECK(parse_error_of("[webhooks]\n\n# padding\nlisten = \"" + bad + "\"\n") ==
          "gigasync.toml:4: " + must + "\"" + bad + "\"");
  }
  CHECK(parse_error_of("[webhooks]\nlisten = 9181\n") == "gigasync.toml:2: " + must + "9181");
}

TEST_CASE("webhooks.public_url: empty or an http(s) URL; anything else names the key and the value", "[config]") {
  const std::string must =
      "webhooks.public_url must be an http:// or https:// URL without query or fragment, or \"\" for "
      "http://LISTEN/, got ";
  for (const std::string bad : {"ftp://hooks.example.com/", "hooks.example.com/gigasync", "https://",
                                "https://hooks.example.com/?integration=1", "https://hooks.example.com/#x",
                                "https://hooks example.com/", " "}) {
    INFO(bad);
    CHECK(parse_error_of("[webhooks]\n\n# padding\npublic_url = \"" + bad + "\"\n") ==
          "gigasync.toml:4: " + must + "\"" + bad + "\"");
  }
  CHECK(parse_error_of("[webhooks]\npublic_url = 5\n") == "gigasync.toml:2: " + must + "5");
  CHECK(parse_error_of("[webhooks]\npublic_url = [\"https://a/\"]\n") == "gigasync.toml:2: " + must + "an array");
}

TEST_CASE("An unknown key in [account] or [webhooks] is an error naming the file, the line and the known keys",
          "[config]") {
  CHECK(parse_error_of("[account]\nresources = []\nresource = [\"payouts\"]\n") ==
        "gigasync.toml:3: unknown key 'account.resource' (known keys in [account]: resources, full_every_s)");
  CHECK(parse_error_of("[webhooks]\n\nsecret = \"whsec\"\n") ==
        "gigasync.toml:3: unknown key 'webhooks.secret' (known keys in [webhooks]: listen, public_url, tolerance_s)");
  CHECK(parse_error_of("account = 5\n") == "gigasync.toml:1: account must be a section [account], got 5");
  CHECK(parse_error_of("\n[[webhooks]]\nlisten = \"\"\n") ==
        "gigasync.toml:2: webhooks must be a section [webhooks], got an array");
}

TEST_CASE("webhooks_public_url: public_url with a final '/', else http://<listen>/, else empty", "[config]") {
  Config cfg;
  CHECK(gigasync::webhooks_public_url(cfg).empty());
  cfg.webhooks.listen = "127.0.0.1:9181";
  CHECK(gigasync::webhooks_public_url(cfg) == "http://127.0.0.1:9181/");
  cfg.webhooks.listen = "[::1]:9181";
  CHECK(gigasync::webhooks_public_url(cfg) == "http://[::1]:9181/");
  cfg.webhooks.public_url = "https://hooks.example.com/gigasync/";
  CHECK(gigasync::webhooks_public_url(cfg) == "https://hooks.example.com/gigasync/");
  cfg.webhooks.public_url = "https://hooks.example.com/gigasync";  // set by code, not normalized
  CHECK(gigasync::webhooks_public_url(cfg) == "https://hooks.example.com/gigasync/");
  cfg.webhooks.listen.clear();  // public_url alone (e.g. `webhooks register` run outside the daemon)
  CHECK(gigasync::webhooks_public_url(cfg) == "https://hooks.example.com/gigasync/");
  // As read from a file.
  CHECK(gigasync::webhooks_public_url(parse_ok("[webhooks]\nlisten = \"localhost:9181\"\n")) ==
        "http://localhost:9181/");
  CHECK(gigasync::webhooks_public_url(
            parse_ok("[webhooks]\nlisten = \"127.0.0.1:9181\"\npublic_url = \"https://proxy.example/hooks\"\n")) ==
        "https://proxy.example/hooks/");
}
