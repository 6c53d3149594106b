#pragma once
// Everything one configuration needs: the config, the API client, the store and the change
// watch. Built whole at start and on SIGHUP, so a reload either fully succeeds or changes nothing.
#include <memory>

#include "gigasync/change_watch.h"
#include "gigasync/api_client.h"
#include "gigasync/config.h"
#include "gigasync/daemon.h"
#include "gigasync/store.h"
#include "gigasync/layer.h"
GIGASYNC_PRIVATE(daemon);

namespace gigasync::daemon {

struct Runtime {
  Config config;
  std::unique_ptr<ApiClient> api;
  std::unique_ptr<Store> store;
  std::unique_ptr<ChangeWatch> watch;
};

// Loads the config (deps.load_config), the token and API client (deps.make_api), opens the store
// (creating and migrating it) and starts watching it. Does not touch logging.
Result<std::unique_ptr<Runtime>> build_runtime(const Deps& deps);

// True for errors that no retry can cure: the daemon exits with them (auth 77, config 78,
// usage 64). systemd's RestartPreventExitStatus= keeps it from restarting.
bool is_fatal(const Error& e);

}  // namespace gigasync::daemon
