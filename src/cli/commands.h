#pragma once
// One function per subcommand; each returns the process exit code.
#include <optional>
#include <string>

#include "cli/context.h"
#include "gigasync/layer.h"
GIGASYNC_PRIVATE(cli);

namespace gigasync::cli {

struct SyncFlags {
  bool dry_run = false, pull_only = false, push_only = false, force_deletes = false, force_push = false, full = false;
  double wait_s = 0;
};

int cmd_sync(const CommonFlags& common, const SyncFlags& flags);
int cmd_status(const CommonFlags& common, bool as_json);
int cmd_check(const CommonFlags& common);
int cmd_verify(const CommonFlags& common);
int cmd_daemon(const CommonFlags& common);
int cmd_demo(const std::optional<std::string>& db_path);

int cmd_changes_list(const CommonFlags& common, bool all);
int cmd_changes_show(const CommonFlags& common, long long id);
int cmd_changes_retry(const CommonFlags& common, long long id);
int cmd_changes_discard(const CommonFlags& common, long long id);
int cmd_changes_approve(const CommonFlags& common);
int cmd_pause(const CommonFlags& common, bool paused);
int cmd_backup(const CommonFlags& common, const std::string& file);
// `gigasync webhooks register|list|unregister [--integration ID]...`
int cmd_webhooks(const CommonFlags& common, const std::string& action, const std::vector<std::string>& ids);
int cmd_refresh(const CommonFlags& common, const std::vector<std::string>& ids, bool all);

int cmd_conflicts_list(const CommonFlags& common, bool all);
int cmd_conflicts_show(const CommonFlags& common, long long id);
int cmd_conflicts_resolve(const CommonFlags& common, long long id, const std::string& keep);

}  // namespace gigasync::cli
