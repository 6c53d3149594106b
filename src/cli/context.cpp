#include "cli/context.h"

#include <spdlog/spdlog.h>

#include <csignal>
#include <cstdio>

#include "gigasync/signals.h"
#include "gigasync/cancel.h"
#include "gigasync/log.h"

namespace gigasync::cli {

Result<Config> load(const CommonFlags& flags) {
  auto cfg = load_config(flags.config_file);
  if (!cfg) return cfg.error();
  if (flags.db_path) cfg->database.path = *flags.db_path;
  setup_logging(cfg->log);
  return cfg;
}

Result<std::unique_ptr<Store>> open_store(const Config& cfg, OpenMode mode) {
  return Store::open(cfg.database.path, mode);
}

Result<std::unique_ptr<ApiClient>> make_api(Config& cfg) {
  auto token = load_token(cfg);
  if (!token) return token.error();
  register_secret(token->value);
  http::TransportOptions topts;
  topts.timeout = std::chrono::seconds(cfg.api.timeout_s);
  topts.user_agent = std::string("gigasync/") + "0";
  topts.max_body_bytes = cfg.api.max_body_bytes;
  return std::make_unique<ApiClient>(api_settings_from(cfg), token.value(),
                                     [topts] { return http::make_curl_transport(topts); }, http::system_clock());
}

Result<Context> make_context(const CommonFlags& flags, bool need_api, OpenMode mode) {
  Context ctx;
  auto cfg = load(flags);
  if (!cfg) return cfg.error();
  ctx.config = std::move(cfg.value());
  if (need_api) {
    auto api = make_api(ctx.config);
    if (!api) return api.error();
    ctx.api = std::move(api.value());
  }
  auto store = open_store(ctx.config, mode);
  if (!store) return store.error();
  ctx.store = std::move(store.value());
  return ctx;
}

int fail(const Error& e) {
  std::fprintf(stderr, "gigasync: error: %s\n", redact(e.message).c_str());
  return static_cast<int>(e.code);
}

int run_stoppable(const std::function<int()>& command) {
  Signals signals(SignalSet::command);
  int rc = command();
  if (int code = exit_code_for_stop(stop_signal().load()); code != 0) return code;
  return rc;
}

std::string stop_signal_name() { return stop_signal().load() == SIGINT ? "SIGINT" : "SIGTERM"; }

}  // namespace gigasync::cli
