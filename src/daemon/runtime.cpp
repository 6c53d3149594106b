#include "daemon/runtime.h"

namespace gigasync::daemon {

Result<std::unique_ptr<Runtime>> build_runtime(const Deps& deps) {
  auto rt = std::make_unique<Runtime>();
  auto cfg = deps.load_config();
  if (!cfg) return cfg.error();
  rt->config = std::move(cfg.value());
  auto api = deps.make_api(rt->config);
  if (!api) return api.error();
  rt->api = std::move(api.value());
  auto store = Store::open(rt->config.database.path);
  if (!store) return store.error();
  rt->store = std::move(store.value());
  auto watch = ChangeWatch::open(rt->config.database.path);
  if (!watch) return watch.error();
  rt->watch = std::move(watch.value());
  return rt;
}

bool is_fatal(const Error& e) {
  return e.code == ExitCode::auth || e.code == ExitCode::config || e.code == ExitCode::usage;
}

}  // namespace gigasync::daemon
