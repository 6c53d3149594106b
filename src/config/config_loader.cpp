// Finding and reading the config file, the environment overrides, and the API token.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "gigasync/config.h"
#include "gigasync/http.h"

namespace gigasync {
namespace {

constexpr const char* kDefaultConfigPath = "/etc/gigasync/gigasync.toml";
constexpr const char* kCredentialName = "gigapay-token";
constexpr std::size_t kMaxConfigBytes = 1024 * 1024;
constexpr std::size_t kMaxTokenBytes = 64 * 1024;

// The value of an environment variable when it is set and not empty.
std::optional<std::string> env(const char* name) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return std::nullopt;
  return std::string(v);
}

std::string errno_text(int err) { return std::strerror(err); }

// An open file descriptor, closed on scope exit.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }

 private:
  int fd_;
};

struct FileRead {
  int err = 0;  // errno; 0 = read
  bool too_large = false;
  std::string content;
  mode_t mode = 0;
};

// Reads a whole regular file (at most `limit` bytes). The mode comes from the descriptor that
// was read, so the permission check and the read are about the same file.
FileRead read_file(const std::string& path, std::size_t limit) {
  FileRead r;
  const Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) {
    r.err = errno;
    return r;
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) {
    r.err = errno;
    return r;
  }
  if (S_ISDIR(st.st_mode)) {
    r.err = EISDIR;
    return r;
  }
  r.mode = st.st_mode;
  std::array<char, 8192> buf{};
  for (;;) {
    const ssize_t n = ::read(fd.get(), buf.data(), buf.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      r.err = errno;
      r.content.clear();
      return r;
    }
    if (n == 0) break;
    r.content.append(buf.data(), static_cast<std::size_t>(n));
    if (r.content.size() > limit) {
      r.too_large = true;
      r.content.clear();
      return r;
    }
  }
  return r;
}

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

std::string trimmed(std::string s) {
  std::size_t end = s.size();
  while (end > 0 && is_space(s[end - 1])) --end;
  std::size_t begin = 0;
  while (begin < end && is_space(s[begin])) ++begin;
  return s.substr(begin, end - begin);
}

// The token goes into an HTTP header: whitespace or control characters inside it would be a
// malformed (or injected) header line.
bool usable_token(std::string_view token) {
  for (const char c : token) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f) return false;
  }
  return true;
}

// Messages are one line: control characters in user input are shown as '?'.
std::string one_line(std::string s) {
  for (char& c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) c = '?';
  }
  return s;
}

std::string octal_mode(mode_t mode) {
  std::array<char, 16> buf{};
  std::snprintf(buf.data(), buf.size(), "%04o", static_cast<unsigned>(mode & 07777));
  return buf.data();
}

// Turns the raw token text from `source` into a Secret, or says what is wrong (never showing it).
Result<Secret> finish_token(std::string raw, const std::string& source) {
  std::string token = trimmed(std::move(raw));
  if (token.empty()) return make_error(ExitCode::config, "the API token from " + source + " is empty");
  if (!usable_token(token)) {
    return make_error(ExitCode::config,
                      "the API token from " + source + " contains whitespace or control characters");
  }
  return Secret{std::move(token)};
}

}  // namespace

int cycle_deadline_s(const Config& cfg) {
  if (cfg.sync.cycle_deadline_s > 0) return cfg.sync.cycle_deadline_s;
  return 4 * cfg.api.timeout_s * (cfg.api.max_retries + 1);
}

std::string webhooks_public_url(const Config& cfg) {
  std::string url = cfg.webhooks.public_url;
  if (url.empty()) {
    if (cfg.webhooks.listen.empty()) return url;
    url = "http://" + cfg.webhooks.listen;
  }
  if (url.back() != '/') url += '/';
  return url;
}

Status check_transport_security(const Config& cfg) {
  const std::string& url = cfg.api.base_url;
  const bool from_env = env("GIGAPAY_BASE_URL").has_value();
  const std::string where = from_env ? "GIGAPAY_BASE_URL" : "api.base_url" + (cfg.source_path.empty() ? std::string()
                                                                                    : " in " + cfg.source_path);
  // The reading the requests will use (libcurl's), so the host checked here is the host contacted.
  auto parsed = http::parse_url(url);
  if (!parsed) return make_error(ExitCode::config, where + ": " + parsed.error().message);
  if (parsed->scheme != "http" || cfg.api.allow_insecure_http || http::is_loopback_host(parsed->host)) return ok_status();
  return make_error(ExitCode::config,
                    where + " is \"" + one_line(url) + "\": plain http:// to a host that is not loopback would send "
                    "the API token and the mirror's data over the network unencrypted; use https://, or set "
                    "api.allow_insecure_http = true for a network you trust");
}

std::string config_path(const std::optional<std::string>& explicit_path) {
  if (explicit_path) return *explicit_path;
  if (auto from_env = env("GIGASYNC_CONFIG")) return *from_env;
  return kDefaultConfigPath;
}

Result<Config> load_config(const std::optional<std::string>& explicit_path) {
  const std::string path = config_path(explicit_path);
  const bool named = explicit_path.has_value() || env("GIGASYNC_CONFIG").has_value();

  Config cfg;
  const FileRead file = read_file(path, kMaxConfigBytes);
  if (file.too_large) {
    return make_error(ExitCode::config, "cannot read config " + path + ": larger than 1 MiB");
  }
  if (file.err == ENOENT && !named) {
    cfg.source_path.clear();  // no file at the default place: the defaults
  } else if (file.err != 0) {
    return make_error(ExitCode::config, "cannot read config " + path + ": " + errno_text(file.err));
  } else {
    auto parsed = parse_config(file.content, path);
    if (!parsed) return parsed.error();
    cfg = std::move(parsed).value();
    cfg.source_path = path;
  }

  if (auto url = env("GIGAPAY_BASE_URL")) {
    auto normalized = normalize_base_url(*url);
    if (!normalized) {
      return make_error(ExitCode::config,
                        "GIGAPAY_BASE_URL must be an http:// or https:// URL without query or fragment, got \"" +
                            one_line(*url) + "\"");
    }
    cfg.api.base_url = std::move(*normalized);
  }
  if (auto db = env("GIGASYNC_DB")) cfg.database.path = std::move(*db);
  if (auto secure = check_transport_security(cfg); !secure) return secure.error();
  return cfg;
}

Result<Secret> load_token(Config& cfg) {
  if (auto from_env = env("GIGAPAY_TOKEN")) {
    cfg.token_source = "environment GIGAPAY_TOKEN";
    return finish_token(std::move(*from_env), cfg.token_source);
  }

  // systemd LoadCredential=gigapay-token:...; systemd owns its permissions, so no mode check.
  if (auto dir = env("CREDENTIALS_DIRECTORY")) {
    const std::string path = *dir + "/" + kCredentialName;
    FileRead cred = read_file(path, kMaxTokenBytes);
    if (cred.err != ENOENT) {
      cfg.token_source.assign("systemd credential ").append(kCredentialName);
      if (cred.too_large) return make_error(ExitCode::config, "cannot read " + cfg.token_source + ": too large");
      if (cred.err != 0) {
        return make_error(ExitCode::config, "cannot read " + cfg.token_source + " (" + path + "): " +
                                                errno_text(cred.err));
      }
      return finish_token(std::move(cred.content), cfg.token_source);
    }
  }

  const std::string& path = cfg.api.token_file;
  if (path.empty()) {
    return make_error(ExitCode::config,
                      "no API token: GIGAPAY_TOKEN is not set and api.token_file is empty" +
                          (cfg.source_path.empty() ? std::string() : " in " + cfg.source_path));
  }
  cfg.token_source = "file " + path;
  FileRead file = read_file(path, kMaxTokenBytes);
  if (file.too_large) return make_error(ExitCode::config, "cannot read token file " + path + ": too large");
  if (file.err != 0) {
    return make_error(ExitCode::config, "cannot read token file " + path + ": " + errno_text(file.err));
  }
  if ((file.mode & 077) != 0) {
    return make_error(ExitCode::config, "token file " + path + " is readable by group or others (mode " +
                                            octal_mode(file.mode) + "); run: chmod 600 " + path);
  }
  return finish_token(std::move(file.content), cfg.token_source);
}

ApiSettings api_settings_from(const Config& cfg) {
  ApiSettings s;
  s.base_url = cfg.api.base_url;
  s.integration_id = cfg.api.integration_id;
  s.max_retries = cfg.api.max_retries;
  s.page_size = cfg.api.page_size;
  s.max_body_bytes = cfg.api.max_body_bytes;
  // For test suites only: a shorter backoff so that fault-injection runs finish quickly.
  if (const char* ms = std::getenv("GIGASYNC_TEST_BACKOFF_MS"); ms != nullptr && std::atoi(ms) > 0) {
    s.backoff_base = std::chrono::milliseconds(std::atoi(ms));
    s.backoff_cap = s.backoff_base * 20;
  }
  return s;
}

}  // namespace gigasync
