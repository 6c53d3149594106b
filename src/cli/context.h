#pragma once
// What most commands need: the config (with flag overrides), logging, the token, the store and
// an API client. Built step by step so `check` can report each step.
#include <memory>
#include <optional>
#include <string>

#include "gigasync/api_client.h"
#include "gigasync/config.h"
#include "gigasync/store.h"

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
// Opens the store named by the config.
Result<std::unique_ptr<Store>> open_store(const Config& cfg);
// Token + API client over libcurl.
Result<std::unique_ptr<ApiClient>> make_api(Config& cfg);
// All three.
Result<Context> make_context(const CommonFlags& flags, bool need_api);

// Prints "gigasync: error: MESSAGE" (redacted) and returns the exit code.
int fail(const Error& e);

}  // namespace gigasync::cli
