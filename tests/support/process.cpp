#include "support/process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace gigasync::test {
namespace {

std::vector<std::string> make_env(const Env& extra) {
  std::map<std::string, std::string> all;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string kv(*e);
    auto eq = kv.find('=');
    if (eq != std::string::npos) all[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  for (const auto& [k, v] : extra) {
    if (v == "\x01") all.erase(k); else all[k] = v;
  }
  std::vector<std::string> out;
  for (const auto& [k, v] : all) out.push_back(k + "=" + v);
  return out;
}

pid_t spawn(const std::string& program, const std::vector<std::string>& args, const Env& env, const std::string& out,
            const std::string& err) {
  std::vector<std::string> argv_s{program};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);
  auto env_s = make_env(env);
  std::vector<char*> envp;
  for (auto& e : env_s) envp.push_back(e.data());
  envp.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_addopen(&fa, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  pid_t pid = -1;
  int rc = posix_spawnp(&pid, program.c_str(), &fa, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) throw std::runtime_error("cannot start " + program);
  return pid;
}

int decode(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

}  // namespace

TempDir::TempDir() {
  std::random_device rd;
  path = fs::temp_directory_path() / ("gigasync-test-" + std::to_string(::getpid()) + "-" + std::to_string(rd()));
  fs::create_directories(path);
}

TempDir::~TempDir() {
  std::error_code ec;
  if (std::getenv("GIGASYNC_KEEP_TEST_DIRS") == nullptr) fs::remove_all(path, ec);
}

std::string read_file(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

RunResult run(const std::string& program, const std::vector<std::string>& args, const Env& env,
              std::chrono::seconds timeout) {
  TempDir io;
  Child child(program, args, env, io.path, "run");
  RunResult r;
  r.exit_code = child.wait(std::chrono::duration_cast<std::chrono::milliseconds>(timeout));
  if (r.exit_code == -1) {
    child.signal(SIGKILL);
    child.wait(std::chrono::seconds(5));
  }
  r.out = child.out();
  r.err = child.err();
  return r;
}

std::string gigasync_binary() {
#ifdef GIGASYNC_BINARY
  return GIGASYNC_BINARY;
#else
  return "gigasync";
#endif
}

RunResult run_gigasync(const std::vector<std::string>& args, const Env& env, std::chrono::seconds timeout) {
  return run(gigasync_binary(), args, env, timeout);
}

Child::Child(const std::string& program, const std::vector<std::string>& args, const Env& env, const fs::path& dir,
             const std::string& name)
    : out_(dir / (name + ".out")), err_(dir / (name + ".err")) {
  pid_ = spawn(program, args, env, out_.string(), err_.string());
}

Child::~Child() {
  if (!reaped_ && pid_ > 0) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
}

void Child::signal(int sig) const {
  if (!reaped_) ::kill(pid_, sig);
}

int Child::wait(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!reaped_) {
    int status = 0;
    pid_t r = ::waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      reaped_ = true;
      status_ = decode(status);
      break;
    }
    if (std::chrono::steady_clock::now() >= deadline) return -1;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return status_;
}

bool Child::running() { return wait(std::chrono::milliseconds(0)) == -1; }

std::string Child::out() const { return read_file(out_); }
std::string Child::err() const { return read_file(err_); }

std::string write_config(const fs::path& dir, const std::string& base_url, const std::string& api_extra,
                         const std::string& extra, const std::string& token) {
  auto token_path = dir / "token";
  {
    std::ofstream t(token_path);
    t << token << "\n";
  }
  ::chmod(token_path.c_str(), 0600);
  auto cfg = dir / "gigasync.toml";
  std::ofstream f(cfg);
  f << "[api]\nbase_url = \"" << base_url << "\"\ntoken_file = \"" << token_path.string()
    << "\"\n" << (api_extra.find("max_retries") == std::string::npos ? "max_retries = 3\n" : "")
    << (api_extra.find("timeout_s") == std::string::npos ? "timeout_s = 10\n" : "") << api_extra << "\n[database]\npath = \"" << (dir / "mirror.db").string() << "\"\n"
    << extra << "\n";
  // Tests of the integrations leave the account's other objects alone (the sandbox serves none
  // unless seeded); a test of them configures [account] itself.
  if (extra.find("[account]") == std::string::npos) f << "[account]\nresources = []\n";
  return cfg.string();
}

bool eventually(const std::function<bool()>& cond, std::chrono::milliseconds timeout, std::chrono::milliseconds step) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (cond()) return true;
    std::this_thread::sleep_for(step);
  }
  return cond();
}

int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw std::runtime_error("free_port: socket() failed");
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
                  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0;
  ::close(fd);
  if (!ok) throw std::runtime_error("free_port: no port on 127.0.0.1");
  return ntohs(a.sin_port);
}

}  // namespace gigasync::test
