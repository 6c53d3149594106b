#pragma once
// An in-process sandbox API on loopback plus a temp folder with a config pointing at it, for tests
// that run the real gigasync binary.
#include <map>
#include <string>
#include <vector>

#include "gigasync/integration.h"
#include "gigasync/sandbox.h"
#include "support/process.h"

namespace gigasync::test {

sandbox::Options sandbox_options(int seed, int max_page_size = 100);

struct SandboxRun {
  explicit SandboxRun(sandbox::Options o, const std::string& api_extra = "", const std::string& extra = "");
  ~SandboxRun();

  // `gigasync ARGS... -c CONFIG` with GIGAPAY_TOKEN unset (the token comes from the token file).
  RunResult gigasync(std::vector<std::string> args, const Env& env = {});
  RunResult sync(const std::vector<std::string>& more = {}) {
    std::vector<std::string> args{"sync"};
    args.insert(args.end(), more.begin(), more.end());
    return gigasync(args);
  }

  std::map<std::string, Integration> mirror() const;  // the `integrations` table
  std::map<std::string, Integration> remote() const;  // the sandbox's objects
  long long count(const std::string& sql) const;      // SELECT returning one integer
  std::string text(const std::string& sql) const;     // SELECT returning one text
  void exec(const std::string& sql) const;            // as a separate client would (e.g. sqlite3)
  std::string db() const { return dir.str("mirror.db"); }

  TempDir dir;
  sandbox::Server server;
  std::string config;
};

// "" when equal; else the first differences, field by field, for test messages.
std::string differences(const std::map<std::string, Integration>& a, const std::map<std::string, Integration>& b);

// The sandbox object `id` with `field` set to `value` (a JSON literal), stored as a remote change.
void remote_set(sandbox::Server& server, const std::string& id, const std::string& field, const std::string& json_value);

}  // namespace gigasync::test
