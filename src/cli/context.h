#pragma once
// What most commands need: the config (with flag overrides), logging, the token, the store and
// an API client. Built step by step so `check` can report each step.
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "gigasync/api_client.h"
#include "gigasync/config.h"
#include "gigasync/store.h"
#include "gigasync/layer.h"
GIGASYNC_PRIVATE(cli);

namespace gigasync::cli {

struct CommonFlags {
  std::optional<std::string> config_file;
  std::optional<std::string> db_path;
};

struct Context {
  Config config;
  std::unique_ptr<Store> store;
  std::unique_ptr<ApiClient> api;
};

// Config + logging (+ --db override).
Result<Config> load(const CommonFlags& flags);
// Opens the store named by the config. Commands that only read (status, changes/conflicts
// list|show, verify) pass OpenMode::read_only: a missing file is refused (not created) and a
// read-only file or folder still works.
Result<std::unique_ptr<Store>> open_store(const Config& cfg, OpenMode mode = OpenMode::create);
// Token + API client over libcurl.
Result<std::unique_ptr<ApiClient>> make_api(Config& cfg);
// All three.
Result<Context> make_context(const CommonFlags& flags, bool need_api, OpenMode mode = OpenMode::create);

// Prints "gigasync: error: MESSAGE" (redacted) and returns the exit code.
int fail(const Error& e);

// Runs a command that writes with SIGINT and SIGTERM taken over (daemon/signals.h): a stop
// request lets the request in flight finish or give up (no retry starts), the command commits
// what is settled, and the process then exits 130 (SIGINT) or 143 (SIGTERM) instead of the
// command's own code. REQUIRES: no other thread runs yet (the signals are blocked for all
// threads started inside `command`).
int run_stoppable(const std::function<int()>& command);

// "SIGINT" or "SIGTERM": the stop signal received (stop_signal()), for messages.
std::string stop_signal_name();

}  // namespace gigasync::cli
