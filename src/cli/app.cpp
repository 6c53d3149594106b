// The command-line surface: CLI11 definitions and dispatch. Only this file maps parse errors to 64.
#include <CLI/CLI.hpp>

#include <algorithm>
#include <functional>
#include <memory>

#include "cli/commands.h"
#include "gigasync/cli.h"
#include "gigasync/sandbox.h"
#include "gigasync/version.h"

namespace gigasync {
namespace {

void add_common(CLI::App* sub, cli::CommonFlags& common, bool with_db) {
  sub->add_option("-c,--config", common.config_file, "Config file (default $GIGASYNC_CONFIG or /etc/gigasync/gigasync.toml)")
      ->type_name("FILE");
  if (with_db)
    sub->add_option("--db", common.db_path, "Database file (overrides database.path and $GIGASYNC_DB)")->type_name("PATH");
}

// Usage lines made from the CLI11 definitions themselves, so that each lists exactly the options its
// command accepts: "[-c|--config FILE] [--db PATH] [--pull-only | --push-only] ID".
std::string metavar(const CLI::Option* o) {
  std::string t = o->get_type_name();
  return t.substr(0, t.find(':'));  // "TEXT:{a,b}" -> "TEXT"
}

std::string option_usage(const CLI::Option* o) {
  if (o->get_positional()) {
    std::string name = o->get_name(true);
    return o->get_items_expected_max() > 1 ? name + "..." : name;
  }
  std::string names;
  for (const auto& s : o->get_snames()) names += (names.empty() ? "-" : "|-") + s;
  for (const auto& l : o->get_lnames()) names += (names.empty() ? "--" : "|--") + l;
  if (std::string value = metavar(o); o->get_type_size_max() > 0 && !value.empty()) names += " " + value;  // not a flag
  return names;
}

bool is_help(const CLI::App* app, const CLI::Option* o) {
  return o == app->get_help_ptr() || o == app->get_help_all_ptr() || o->get_lnames() == std::vector<std::string>{"version"};
}

// The options `app` accepts: its own, and its parent's when it falls through to them.
std::vector<const CLI::Option*> accepted(const CLI::App* app) {
  std::vector<const CLI::Option*> out;
  const CLI::App* parent = app->get_parent();
  if (app->get_fallthrough() && parent != nullptr && parent->get_parent() != nullptr) out = accepted(parent);
  for (const auto* o : app->get_options())
    if (!is_help(app, o)) out.push_back(o);
  std::stable_partition(out.begin(), out.end(), [](const CLI::Option* o) { return !o->get_positional(); });
  return out;
}

std::string command_path(const CLI::App* app) {
  if (app->get_parent() == nullptr) return "gigasync";
  return command_path(app->get_parent()) + " " + app->get_name();
}

std::string usage_line(const CLI::App* app) {
  std::vector<std::vector<const CLI::Option*>> groups;  // options that exclude each other share one
  for (const auto* o : accepted(app)) {
    auto excl = o->get_excludes();
    auto g = std::find_if(groups.begin(), groups.end(), [&](const auto& group) {
      return std::any_of(group.begin(), group.end(), [&](const CLI::Option* p) {
        return excl.count(const_cast<CLI::Option*>(p)) > 0;
      });
    });
    if (g == groups.end()) groups.push_back({o});
    else g->push_back(o);
  }
  std::string line = command_path(app);
  for (const auto& group : groups) {
    std::string alternatives;
    bool required = false;
    for (const auto* o : group) {
      alternatives += (alternatives.empty() ? "" : " | ") + option_usage(o);
      required = required || o->get_required();
    }
    line += " " + (required ? alternatives : "[" + alternatives + "]");
  }
  return line;
}

// Every command that runs something (the leaves of the command tree), in definition order.
void leaves(const CLI::App* app, std::vector<const CLI::App*>& out) {
  auto subs = app->get_subcommands([](const CLI::App*) { return true; });
  if (subs.empty() && app->get_parent() != nullptr) out.push_back(app);
  for (const auto* s : subs) leaves(s, out);
}

std::string usage_lines(const CLI::App* app) {
  std::vector<const CLI::App*> all;
  leaves(app, all);
  std::string out;
  for (const auto* a : all) out += "  " + usage_line(a) + "\n";
  return out;
}

// `gigasync CMD --help` starts with CMD's usage line(s) rather than CLI11's "[OPTIONS]".
class UsageFormatter final : public CLI::Formatter {
 public:
  std::string make_usage(const CLI::App* app, std::string name) const override {
    if (app->get_parent() == nullptr) return CLI::Formatter::make_usage(app, std::move(name));
    if (app->get_subcommands([](const CLI::App*) { return true; }).empty()) return "Usage: " + usage_line(app) + "\n";
    return "Usage:\n" + usage_lines(app);
  }
};

}  // namespace

int run_cli(int argc, char** argv) {
  CLI::App app{"gigasync: keeps a local SQLite mirror of a Gigapay account's integrations in step with the API"};
  app.formatter(std::make_shared<UsageFormatter>());
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("gigasync ") + GIGASYNC_VERSION);
  cli::CommonFlags common;
  cli::SyncFlags sync_flags;
  std::function<int()> action;

  auto* sync = app.add_subcommand("sync", "Run one cycle: pull, then push (cron, timers, by hand)");
  add_common(sync, common, true);
  sync->add_flag("--dry-run", sync_flags.dry_run, "Print what the pull would change and what would be pushed; write nothing");
  auto* pull_only = sync->add_flag("--pull-only", sync_flags.pull_only, "Only pull");
  auto* push_only = sync->add_flag("--push-only", sync_flags.push_only, "Only push the outbox");
  pull_only->excludes(push_only);
  sync->add_option("--wait", sync_flags.wait_s, "Wait up to SECONDS for another cycle to finish (default: exit 75 at once)")
      ->type_name("SECONDS")
      ->check(CLI::NonNegativeNumber);
  sync->add_flag("--force-deletes", sync_flags.force_deletes, "Apply remote deletions above sync.max_delete_fraction");
  sync->add_flag("--force-push", sync_flags.force_push, "Approve every queued change past the outbound guard and push");
  sync->add_flag("--full", sync_flags.full,
                 "Re-list every resource of the account in full now (sees deletions and edits that stamp no time)");
  sync->callback([&] { action = [&] { return cli::run_stoppable([&] { return cli::cmd_sync(common, sync_flags); }); }; });

  auto* daemon = app.add_subcommand("daemon", "Run cycles every sync.interval_s and push local edits quickly (systemd)");
  add_common(daemon, common, false);
  daemon->callback([&] { action = [&] { return cli::cmd_daemon(common); }; });

  bool as_json = false;
  auto* status = app.add_subcommand("status", "Show the mirror, the outbox, open conflicts and the last run");
  add_common(status, common, true);
  status->add_flag("--json", as_json, "Print JSON");
  status->callback([&] { action = [&] { return cli::cmd_status(common, as_json); }; });

  long long id = 0;
  bool all = false;
  auto* changes = app.add_subcommand("changes", "The outbox of local edits");
  add_common(changes, common, true);
  changes->require_subcommand(1);
  auto* cl = changes->add_subcommand("list", "List changes not yet done");
  cl->add_flag("--all", all, "Include done changes");
  cl->fallthrough();
  cl->callback([&] { action = [&] { return cli::cmd_changes_list(common, all); }; });
  auto* cs = changes->add_subcommand("show", "Show one change");
  cs->add_option("ID", id)->required();
  cs->fallthrough();
  cs->callback([&] { action = [&] { return cli::cmd_changes_show(common, id); }; });
  auto* cr = changes->add_subcommand("retry", "Queue a failed change again (with a new idempotency key)");
  cr->add_option("ID", id)->required();
  cr->fallthrough();
  cr->callback([&] { action = [&] { return cli::run_stoppable([&] { return cli::cmd_changes_retry(common, id); }); }; });
  auto* cd = changes->add_subcommand("discard", "Drop a change and put the row back to its base");
  cd->add_option("ID", id)->required();
  cd->fallthrough();
  cd->callback([&] { action = [&] { return cli::run_stoppable([&] { return cli::cmd_changes_discard(common, id); }); }; });
  auto* ca = changes->add_subcommand("approve", "Let the queued changes past the outbound guard");
  ca->add_flag("--all", all, "Approve every change queued now")->required();
  ca->fallthrough();
  ca->callback([&] { action = [&] { return cli::cmd_changes_approve(common); }; });

  std::vector<std::string> refresh_ids;
  bool refresh_all = false;
  auto* refresh = app.add_subcommand("refresh", "Read these integrations from the API now and apply them as a pull would");
  add_common(refresh, common, true);
  refresh->add_option("ID", refresh_ids, "Integration ids");
  refresh->add_flag("--all", refresh_all, "A full pull");
  refresh->callback([&] {
    action = [&] { return cli::run_stoppable([&] { return cli::cmd_refresh(common, refresh_ids, refresh_all); }); };
  });

  std::string backup_file;
  auto* backup = app.add_subcommand("backup", "Write a consistent copy of the database (safe while a daemon runs)");
  add_common(backup, common, true);
  backup->add_option("FILE", backup_file, "A new file (0600)")->required();
  backup->callback([&] { action = [&] { return cli::cmd_backup(common, backup_file); }; });

  auto* pause = app.add_subcommand("pause", "Stop pushing local edits (pulls go on, edits keep queueing)");
  add_common(pause, common, true);
  pause->callback([&] { action = [&] { return cli::cmd_pause(common, true); }; });
  auto* resume = app.add_subcommand("resume", "Push local edits again");
  add_common(resume, common, true);
  resume->callback([&] { action = [&] { return cli::cmd_pause(common, false); }; });

  std::string keep;
  auto* conflicts = app.add_subcommand("conflicts", "Fields changed on both sides");
  add_common(conflicts, common, true);
  conflicts->require_subcommand(1);
  auto* kl = conflicts->add_subcommand("list", "List open conflicts");
  kl->add_flag("--all", all, "Include resolved conflicts");
  kl->fallthrough();
  kl->callback([&] { action = [&] { return cli::cmd_conflicts_list(common, all); }; });
  auto* ks = conflicts->add_subcommand("show", "Show one conflict");
  ks->add_option("ID", id)->required();
  ks->fallthrough();
  ks->callback([&] { action = [&] { return cli::cmd_conflicts_show(common, id); }; });
  auto* kr = conflicts->add_subcommand("resolve", "Resolve a conflict");
  kr->add_option("ID", id)->required();
  kr->add_option("--keep", keep, "local (PUT the local row) or remote (take the API's value)")
      ->type_name("local|remote")
      ->required()
      ->check(CLI::IsMember({"local", "remote"}));
  kr->fallthrough();
  kr->callback([&] { action = [&] { return cli::run_stoppable([&] { return cli::cmd_conflicts_resolve(common, id, keep); }); }; });

  std::vector<std::string> webhook_ids;
  auto* webhooks = app.add_subcommand("webhooks", "Signed webhooks: one per integration, calling the daemon's listener");
  webhooks->require_subcommand(1);
  auto* wr = webhooks->add_subcommand("register", "Register a webhook for every mirrored integration (or those named)");
  wr->add_option("--integration", webhook_ids, "Only this integration (repeatable)")->type_name("ID");
  add_common(wr, common, true);
  wr->callback([&] { action = [&] { return cli::cmd_webhooks(common, "register", webhook_ids); }; });
  auto* wl = webhooks->add_subcommand("list", "List the webhooks gigasync registered (secrets are never shown)");
  add_common(wl, common, true);
  wl->callback([&] { action = [&] { return cli::cmd_webhooks(common, "list", webhook_ids); }; });
  auto* wu = webhooks->add_subcommand("unregister", "Delete the webhooks gigasync registered (or those of the named integrations)");
  wu->add_option("--integration", webhook_ids, "Only this integration (repeatable)")->type_name("ID");
  add_common(wu, common, true);
  wu->callback([&] { action = [&] { return cli::cmd_webhooks(common, "unregister", webhook_ids); }; });

  auto* verify = app.add_subcommand("verify", "Compare the mirror with a fresh listing, field by field (0 equal, 1 not)");
  add_common(verify, common, true);
  verify->callback([&] { action = [&] { return cli::cmd_verify(common); }; });

  auto* check = app.add_subcommand("check", "Check the config, the database and the token");
  add_common(check, common, true);
  check->callback([&] { action = [&] { return cli::cmd_check(common); }; });

  sandbox::Options sandbox_options;
  std::string sandbox_token_file;
  auto* sb = app.add_subcommand("sandbox", "Run a local Gigapay-compatible integrations API");
  sandbox::add_cli_options(*sb, sandbox_options, sandbox_token_file);
  sb->callback([&] { action = [&] { return sandbox::run_foreground(sandbox_options, sandbox_token_file); }; });

  std::optional<std::string> demo_db;
  auto* demo = app.add_subcommand("demo", "Sandbox on loopback, a sync, a local edit pushed, a conflict, status");
  demo->add_option("--db", demo_db, "A new database file for the demo (default: one in a new temporary folder)")
      ->type_name("PATH");
  app.footer("Commands:\n" + usage_lines(&app) + "  gigasync --version | --help\n\n'gigasync COMMAND --help' describes each option.");
  demo->callback([&] { action = [&] { return cli::cmd_demo(demo_db); }; });

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return 64;
  }
  return action ? action() : 64;
}

}  // namespace gigasync
