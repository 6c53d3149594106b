// `gigasync demo`: the whole loop on loopback, narrated, using the same commands a person runs.
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "cli/commands.h"
#include "gigasync/mirror_reads.h"
#include "gigasync/sandbox.h"
#include "gigasync/text_width.h"

namespace gigasync::cli {
namespace {

namespace fs = std::filesystem;

std::string current_step;  // the step running, named when the demo stops early

// Payouts the demo's sandbox seeds over its 25 integrations (with employees, payruns, invoices).
constexpr int kDemoPayouts = 1000;

void step(const std::string& title) {
  current_step = title.substr(0, title.find("   ("));
  std::printf("\n==> %s\n", title.c_str());
  std::fflush(stdout);
}

// A TOML basic string: paths may hold quotes and backslashes.
std::string toml_quote(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

// The demo makes a new mirror: a --db that names anything already there (a database, another
// file, a folder, a dangling link) is refused before anything starts, with exit 73.
Status check_new_db_path(const std::string& db) {
  std::error_code ec;
  auto st = fs::symlink_status(db, ec);
  if (!ec && fs::exists(st)) {
    const char* what = fs::is_directory(st) ? "a folder" : fs::is_symlink(st) ? "a link" : "a file";
    return make_error(ExitCode::cant_create,
                      "demo --db " + db + ": " + what + " is already there; the demo makes a new mirror and never "
                      "touches an existing one (name a path that does not exist yet, or leave --db out for a new "
                      "temporary folder)");
  }
  fs::path parent = fs::path(db).parent_path();
  if (!parent.empty() && !fs::is_directory(parent, ec))
    return make_error(ExitCode::cant_create, "demo --db " + db + ": the folder " + parent.string() + " does not exist");
  return ok_status();
}

// Changes one field of one object on the sandbox, as another user of the API would.
bool remote_edit(sandbox::Server& server, const std::string& id, const char* field, const std::string& value) {
  rapidjson::Document all;
  all.Parse(server.objects_json().c_str());
  if (!all.IsArray()) return false;
  for (auto& o : all.GetArray()) {
    if (!o.IsObject() || o["id"].GetString() != id) continue;
    o[field].SetString(value.c_str(), static_cast<rapidjson::SizeType>(value.size()), all.GetAllocator());
    rapidjson::StringBuffer buf;
    rapidjson::Writer<rapidjson::StringBuffer> w(buf);
    o.Accept(w);
    return server.put_object(buf.GetString()).ok();
  }
  return false;
}

std::string remote_field(sandbox::Server& server, const std::string& id, const char* field) {
  rapidjson::Document all;
  all.Parse(server.objects_json().c_str());
  for (auto& o : all.GetArray())
    if (o["id"].GetString() == id && o[field].IsString()) return o[field].GetString();
  return "";
}

Result<std::string> write_files(const fs::path& dir, const std::string& base_url, const std::string& db) {
  std::ofstream(dir / "token") << "sandbox-token\n";
  ::chmod((dir / "token").c_str(), 0600);
  fs::path cfg = dir / "gigasync.toml";
  std::ofstream f(cfg);
  f << "# written by `gigasync demo`\n[api]\nbase_url = " << toml_quote(base_url) << "\ntoken_file = "
    << toml_quote((dir / "token").string()) << "\nconcurrency = 4\n[database]\npath = " << toml_quote(db)
    << "\n[sync]\nconflict_policy = \"manual\"\n";
  if (!f) return make_error(ExitCode::cant_create, "cannot write " + cfg.string());
  return cfg.string();
}

// How many integrations and open invoices the demo's report lists (the views hold them all).
constexpr std::size_t kReportIntegrations = 8;
constexpr int kReportInvoices = 5;

// "13142.20" -> "13 142.20": digits grouped by three, the decimals as the view wrote them.
std::string grouped(const std::string& decimal) {
  std::string sign, digits = decimal, decimals;
  if (!digits.empty() && digits[0] == '-') sign = "-", digits.erase(0, 1);
  if (auto dot = digits.find('.'); dot != std::string::npos) decimals = digits.substr(dot), digits.resize(dot);
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ' ';
    out += digits[i];
  }
  return sign + out + decimals;
}

std::string right(const std::string& s, std::size_t columns) {
  std::size_t w = display_width(s);
  return w >= columns ? s : std::string(columns - w, ' ') + s;
}

// The payouts per integration and currency (report_account_summary) and the open invoices
// (report_invoices), as a short table.
int print_payout_report(const std::string& db) {
  auto store = Store::open(db, OpenMode::read_only);
  if (!store) return fail(store.error());
  auto report = store::payout_report(*store.value(), kReportInvoices);
  if (!report) return fail(report.error());
  const auto& totals = report->totals;
  std::printf("%s  %s  %7s  %15s  %s\n", fit("integration", 30).c_str(), "cur", "payouts", "amount",
              "by state (count)");
  for (std::size_t i = 0; i < totals.size() && i < kReportIntegrations; ++i) {
    const auto& t = totals[i];
    std::string states;
    for (const auto& st : t.states) states += (states.empty() ? "" : ", ") + st.state + " " + std::to_string(st.payouts);
    std::printf("%s  %-3s  %7lld  %15s  %s\n", fit(t.integration_name.empty() ? t.integration_id : t.integration_name, 30).c_str(),
                t.currency.c_str(), t.payouts, right(grouped(t.amount), 15).c_str(), states.c_str());
  }
  if (totals.size() > kReportIntegrations)
    std::printf("... and %zu more rows (sqlite3 %s 'SELECT * FROM report_account_summary')\n",
                totals.size() - kReportIntegrations, db.c_str());
  if (totals.empty()) std::printf("(no payouts mirrored)\n");
  std::printf("\nopen invoices: %lld", report->open_invoices_total);
  if (report->open_invoices_total > static_cast<long long>(report->open_invoices.size()))
    std::printf(" (the %zu due first)", report->open_invoices.size());
  std::printf("\n");
  for (const auto& v : report->open_invoices)
    std::printf("  %s  invoice %-8s %-8s %-3s %12s  due %s%s\n", fit(v.integration_name, 30).c_str(),
                v.invoice_id.c_str(), v.state.c_str(), v.currency.c_str(), grouped(v.amount_due).c_str(),
                v.due_date.empty() ? "-" : v.due_date.c_str(),
                v.days_overdue > 0 ? (" (" + std::to_string(v.days_overdue) + " days overdue)").c_str() : "");
  std::fflush(stdout);
  return 0;
}

int run_demo(sandbox::Server& server, const CommonFlags& common, const std::string& db) {
  step("gigasync sync   (first pull of every integration, and of their employees, payouts, payruns and invoices)");
  if (int rc = cmd_sync(common, {}); rc != 0) return rc;
  step("the payouts, from the report views   (report_account_summary, report_invoices: sums are exact)");
  if (int rc = print_payout_report(db); rc != 0) return rc;
  std::vector<std::string> ids;
  {
    auto store = Store::open(db);
    if (!store) return fail(store.error());
    auto picked = (*store)->custom_integration_ids(2);
    if (!picked) return fail(picked.error());
    ids = std::move(picked.value());
  }
  if (ids.size() < 2) return fail(make_error(ExitCode::software, "demo: the sandbox has too few custom integrations"));

  step("sqlite3 " + db + " \"UPDATE integrations SET email = 'faktura@demo.se' WHERE id = '" + ids[0] + "'\"");
  if (auto s = edit_as_a_person(db, ids[0], "email", "faktura@demo.se"); !s) return fail(s.error());
  if (int rc = cmd_changes_list(common, false); rc != 0) return rc;
  step("gigasync sync   (the edit is pushed as a PATCH with its Idempotency-Key)");
  if (int rc = cmd_sync(common, {}); rc != 0) return rc;
  std::printf("the API now has email = %s for %s\n", remote_field(server, ids[0], "email").c_str(), ids[0].c_str());
  step("gigasync verify   (every mirrored resource against a fresh listing, field by field)");
  if (int rc = cmd_verify(common); rc != 0) return rc;

  step("a conflict: someone sets city = 'Umeå C' in the API while the mirror gets city = 'Luleå C'");
  if (!remote_edit(server, ids[1], "city", "Umeå C")) return fail(make_error(ExitCode::software, "demo: remote edit failed"));
  if (auto s = edit_as_a_person(db, ids[1], "city", "Luleå C"); !s) return fail(s.error());
  step("gigasync sync   (finds the conflict, keeps the local value unpushed; exit code 1)");
  int rc = cmd_sync(common, {});
  std::printf("(exit code %d)\n", rc);
  step("gigasync conflicts list");
  cmd_conflicts_list(common, false);
  step("gigasync status");
  return cmd_status(common, false);
}

}  // namespace

int cmd_demo(const std::optional<std::string>& db_path) {
  if (db_path)
    if (auto s = check_new_db_path(*db_path); !s) return fail(s.error());
  std::error_code ec;
  fs::path dir = fs::temp_directory_path() / ("gigasync-demo-" + std::to_string(::getpid()));
  fs::create_directories(dir, ec);
  if (ec) return fail(make_error(ExitCode::cant_create, "cannot create " + dir.string() + ": " + ec.message()));
  std::string db = db_path.value_or((dir / "mirror.db").string());
  sandbox::Options o;
  o.port = 0;
  o.seed = 25;
  o.seed_payouts = kDemoPayouts;
  sandbox::Server server(o);
  step("gigasync sandbox --seed 25 --seed-payouts " + std::to_string(kDemoPayouts) +
       "   (a local Gigapay-compatible API)");
  auto port = server.start();
  if (!port) return fail(port.error());
  std::printf("listening on %s\n", server.base_url().c_str());
  auto cfg = write_files(dir, server.base_url(), db);
  if (!cfg) return fail(cfg.error());
  ::unsetenv("GIGAPAY_TOKEN");
  ::unsetenv("GIGAPAY_BASE_URL");
  ::unsetenv("GIGASYNC_DB");
  CommonFlags common;
  common.config_file = cfg.value();
  std::printf("config %s, database %s\n", cfg->c_str(), db.c_str());
  int rc = run_demo(server, common, db);
  server.stop();
  std::string how = rc == 0 ? "finished" : "stopped early, at step '" + current_step + "' (exit " +
                                              std::to_string(rc) + "; the lines above say why)";
  std::printf("\ndemo %s. The mirror stays in %s; try:\n  sqlite3 %s 'SELECT * FROM report_integrations_by_type'\n"
              "  sqlite3 %s 'SELECT * FROM report_account_summary'\n"
              "  gigasync conflicts list -c %s\n",
              how.c_str(), db.c_str(), db.c_str(), db.c_str(), cfg->c_str());
  return rc;
}

}  // namespace gigasync::cli
