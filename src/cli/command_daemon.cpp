// daemon: the CLI's config loading and API client, handed to the daemon loop (src/daemon).
#include "cli/commands.h"
#include "gigasync/daemon.h"

namespace gigasync::cli {

int cmd_daemon(const CommonFlags& common) {
  daemon::Deps deps;
  deps.load_config = [common]() -> Result<Config> {
    auto cfg = load_config(common.config_file);
    if (cfg && common.db_path) cfg->database.path = *common.db_path;
    return cfg;
  };
  deps.make_api = [](Config& cfg) { return make_api(cfg); };
  return daemon::run(deps);
}

}  // namespace gigasync::cli
