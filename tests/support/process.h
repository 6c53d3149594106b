#pragma once
// Test support: temporary folders, running the real gigasync binary, config files.
#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace gigasync::test {

namespace fs = std::filesystem;

// A fresh folder under /tmp, removed (with its contents) on destruction.
struct TempDir {
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  fs::path path;
  std::string str(const std::string& name) const { return (path / name).string(); }
};

struct RunResult {
  int exit_code = -1;  // 128 + signal when killed by a signal
  std::string out, err;
};

using Env = std::map<std::string, std::string>;

// Runs `program args...` with the current environment plus `env` (a value of "\x01" unsets),
// waits for it (killing it after `timeout`), and returns its exit code and output.
RunResult run(const std::string& program, const std::vector<std::string>& args, const Env& env = {},
              std::chrono::seconds timeout = std::chrono::seconds(120));

// The built gigasync binary.
std::string gigasync_binary();
RunResult run_gigasync(const std::vector<std::string>& args, const Env& env = {},
                   std::chrono::seconds timeout = std::chrono::seconds(120));

// Another program on PATH (e.g. sqlite3), as a person would run it.
inline RunResult run_gigasync_tool(const std::string& program, const std::vector<std::string>& args) {
  return run(program, args);
}

// A process in the background with stdout/stderr sent to files in `dir`.
class Child {
 public:
  Child(const std::string& program, const std::vector<std::string>& args, const Env& env, const fs::path& dir,
        const std::string& name);
  ~Child();  // SIGKILL if still running
  pid_t pid() const { return pid_; }
  void signal(int sig) const;
  // Waits up to `timeout`; returns the exit code (128 + signal), or -1 on timeout.
  int wait(std::chrono::milliseconds timeout);
  bool running();
  std::string out() const;
  std::string err() const;

 private:
  pid_t pid_ = -1;
  int status_ = -1;
  bool reaped_ = false;
  fs::path out_, err_;
};

// Writes `dir/token` (mode 0600) and `dir/gigasync.toml` pointing at `base_url`, a database
// `dir/mirror.db`; `api_extra` is added inside [api] and `extra` (other sections) at the end.
// Returns the config path.
std::string write_config(const fs::path& dir, const std::string& base_url, const std::string& api_extra = "",
                         const std::string& extra = "", const std::string& token = "sandbox-token");

std::string read_file(const fs::path& p);

// Asks `cond` every `step` until it holds or `timeout` has passed; then its last answer.
bool eventually(const std::function<bool()>& cond, std::chrono::milliseconds timeout = std::chrono::seconds(20),
                std::chrono::milliseconds step = std::chrono::milliseconds(20));

// A port on 127.0.0.1 that was free a moment ago (throws when none could be had).
int free_port();

}  // namespace gigasync::test
