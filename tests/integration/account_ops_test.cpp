// Issue 19 point 5, end to end with the real gigasync binary against the in-process sandbox seeded
// with payouts: `gigasync verify` over every mirrored resource, the metrics textfile's `resource`
// label, the daemon's /metrics and /healthz with the account's mirrors, and `gigasync demo`'s
// payout report. Test names of the daemon start with "daemon: account ops:" (the listener's
// threads).
#include <SQLiteCpp/SQLiteCpp.h>
#include <arpa/inet.h>
#include <httplib.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>
#include <thread>

#include "gigasync/text_width.h"
#include "support/sandbox_fixture.h"

using namespace gigasync;
using namespace gigasync::test;
using namespace std::chrono_literals;

namespace {

constexpr const char* kAccount = "[account]\nresources = [\"employees\", \"payouts\", \"payruns\", \"invoices\"]\n";
constexpr int kPayouts = 60;

sandbox::Options seeded(int integrations = 3, int payouts = kPayouts) {
  auto o = sandbox_options(integrations);
  o.seed_payouts = payouts;
  return o;
}

struct Reply {
  int status = 0;
  std::string body;
};

// The sandbox's admin back door (/_sandbox/...): a change made by someone else, stamping nothing.
Reply admin(const sandbox::Server& server, const std::string& method, const std::string& path,
            const std::string& body = "") {
  httplib::Client c("127.0.0.1", server.port());
  c.set_read_timeout(10, 0);
  httplib::Request req;
  req.method = method;
  req.path = "/_sandbox/" + path;
  req.headers.emplace("Authorization", "Token sandbox-token");
  if (!body.empty()) {
    req.body = body;
    req.headers.emplace("Content-Type", "application/json");
  }
  auto res = c.send(req);
  if (!res) return {};
  return {res->status, res->body};
}

std::map<std::string, std::string> samples(const std::string& text) {
  std::map<std::string, std::string> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    auto space = line.rfind(' ');
    if (space != std::string::npos) out[line.substr(0, space)] = line.substr(space + 1);
  }
  return out;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

bool has_line(const std::string& text, const std::string& line) {
  for (const auto& l : lines_of(text))
    if (l == line) return true;
  return false;
}

void set_refused(sandbox::Server& server, std::vector<std::string> ids) {
  auto f = server.faults();
  f.refused_integrations = std::move(ids);
  server.set_faults(f);
}

Reply http_get(int port, const std::string& path) {
  httplib::Client cli("127.0.0.1", port);
  cli.set_connection_timeout(2, 0);
  cli.set_read_timeout(5, 0);
  auto res = cli.Get(path.c_str());
  if (!res) return {};
  return {res->status, res->body};
}

// Decimal text ("1314.20", "-5.5") as an integer of hundredths, exactly (the sandbox sends cents).
long long cents(const std::string& decimal) {
  std::string s = decimal;
  bool negative = !s.empty() && s[0] == '-';
  if (negative) s.erase(0, 1);
  auto dot = s.find('.');
  std::string whole = dot == std::string::npos ? s : s.substr(0, dot);
  std::string frac = dot == std::string::npos ? "" : s.substr(dot + 1);
  frac = (frac + "00").substr(0, 2);
  long long v = std::stoll(whole.empty() ? "0" : whole) * 100 + std::stoll(frac);
  return negative ? -v : v;
}

// Hundredths as the demo prints money: digits grouped by three with spaces, two decimals.
std::string money(long long c) {
  std::string sign = c < 0 ? "-" : "";
  if (c < 0) c = -c;
  std::string digits = std::to_string(c / 100), grouped;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) grouped += ' ';
    grouped += digits[i];
  }
  char frac[4];
  std::snprintf(frac, sizeof frac, "%02lld", c % 100);
  return sign + grouped + "." + frac;
}

}  // namespace

TEST_CASE("account ops: verify compares every mirrored resource per integration, names each difference, only reads",
          "[account][verify]") {
  SandboxRun run(seeded(), "", kAccount);
  auto first = run.sync();
  INFO(first.err);
  REQUIRE(first.exit_code == 0);
  REQUIRE(run.count("SELECT count(*) FROM payouts") == kPayouts);
  REQUIRE(run.count("SELECT count(*) FROM employees") > 0);
  REQUIRE(run.count("SELECT count(*) FROM invoices") > 0);

  auto same = run.gigasync({"verify"});
  INFO(same.out << same.err);
  CHECK(same.exit_code == 0);
  CHECK(same.out.find("verify: the mirror equals the API (integrations, employees, payouts, payruns, invoices; ") !=
        std::string::npos);

  // Someone changes a payout's description (no time stamped: the incremental sync can not see it),
  // deletes a payout of another integration, and the API refuses the
  // third integration's objects.
  const std::string changed = run.text("SELECT integration_id || ' ' || id FROM payouts ORDER BY integration_id, id LIMIT 1");
  const std::string iid = changed.substr(0, changed.find(' ')), pid = changed.substr(changed.find(' ') + 1);
  const std::string old_description =  // as verify shows a value: JSON text, or null
      run.text("SELECT coalesce(json_quote(description), 'null') FROM payouts WHERE integration_id = '" + iid +
               "' AND id = '" + pid + "'");
  REQUIRE(admin(run.server, "PATCH", "integrations/" + iid + "/payouts/" + pid, R"({"description":"Ändrad av någon"})")
              .status == 200);
  const std::string iid2 = run.text("SELECT id FROM integration_base WHERE id <> '" + iid + "' ORDER BY id LIMIT 1");
  const std::string iid3 =
      run.text("SELECT id FROM integration_base WHERE id NOT IN ('" + iid + "', '" + iid2 + "') ORDER BY id LIMIT 1");
  const std::string gone = run.text("SELECT id FROM payouts WHERE integration_id = '" + iid2 + "' ORDER BY id LIMIT 1");
  REQUIRE(admin(run.server, "DELETE", "integrations/" + iid2 + "/payouts/" + gone).status == 204);
  set_refused(run.server, {iid3});
  const long long runs = run.count("SELECT count(*) FROM sync_runs");
  const long long history = run.count("SELECT count(*) FROM account_changes");

  auto diff = run.gigasync({"verify"});
  INFO(diff.out << diff.err);
  CHECK(diff.exit_code == 1);
  CHECK(has_line(diff.out, "payout " + pid + " of integration " + iid + " description: mirror " + old_description +
                               ", API \"Ändrad av någon\""));
  CHECK(has_line(diff.out, "payout " + gone + " of integration " + iid2 + ": in the mirror, not in the API"));
  for (const char* resource : {"employees", "payouts", "payruns", "invoices"})
    CHECK(diff.out.find(std::string(resource) + " of integration " + iid3 + ": the API refused the listing (") !=
          std::string::npos);
  // Deleting a payout also moves its payrun's price and its invoice's total and amount due (the API
  // recomputes them), so the count is not fixed: it is every line above the last, and at least the six.
  {
    const auto shown = lines_of(diff.out);
    REQUIRE(!shown.empty());
    const auto counted = shown.size() - 1;
    CHECK(counted >= 6);
    CHECK(shown.back() == "verify: " + std::to_string(counted) + " differences");
  }
  CHECK(diff.out.find("sandbox-token") == std::string::npos);
  // verify only reads: no run recorded, no history, the mirror as it was.
  CHECK(run.count("SELECT count(*) FROM sync_runs") == runs);
  CHECK(run.count("SELECT count(*) FROM account_changes") == history);
  CHECK(run.text("SELECT coalesce(json_quote(description), 'null') FROM payouts WHERE integration_id = '" + iid +
                 "' AND id = '" + pid + "'") == old_description);

  // A full re-list brings both in; with the refusal lifted, verify is clean again.
  set_refused(run.server, {});
  auto full = run.sync({"--full"});
  INFO(full.err);
  REQUIRE(full.exit_code == 0);
  auto again = run.gigasync({"verify"});
  INFO(again.out << again.err);
  CHECK(again.exit_code == 0);
}

TEST_CASE("account ops: verify names an object the API has that the mirror lacks, and one only in the mirror",
          "[account][verify]") {
  SandboxRun run(seeded(2, 20), "", "[account]\nresources = [\"payouts\"]\n");
  REQUIRE(run.sync().exit_code == 0);
  const std::string iid = run.text("SELECT integration_id FROM payouts ORDER BY integration_id, id LIMIT 1");
  const std::string pid = run.text("SELECT id FROM payouts WHERE integration_id = '" + iid + "' ORDER BY id LIMIT 1");
  // Renamed on the API's side without a stamp: the old id is gone there, the new one is new.
  REQUIRE(admin(run.server, "PATCH", "integrations/" + iid + "/payouts/" + pid, R"({"id":"renamed-1"})").status == 200);
  auto r = run.gigasync({"verify"});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 1);
  CHECK(has_line(r.out, "payout renamed-1 of integration " + iid + ": in the API, not in the mirror"));
  CHECK(has_line(r.out, "payout " + pid + " of integration " + iid + ": in the mirror, not in the API"));
  CHECK(has_line(r.out, "verify: 2 differences"));
  // Only the configured resources are compared.
  CHECK(r.out.find("employee") == std::string::npos);
}

TEST_CASE("account ops: the metrics textfile of a sync labels each resource's rows, reads, writes and refusals",
          "[account][metrics]") {
  SandboxRun run(seeded(), "", kAccount);
  const std::string textfile = run.dir.str("gigasync.prom");
  std::ofstream(run.config, std::ios::app) << "[metrics]\nfile = \"" << textfile << "\"\n";
  auto first = run.sync();
  INFO(first.err);
  REQUIRE(first.exit_code == 0);
  std::string text = read_file(textfile);
  INFO(text);
  auto v = samples(text);
  for (const char* gauge : {"gigasync_mirror_rows", "gigasync_refused_integrations", "gigasync_last_cycle_fetched_objects",
                            "gigasync_last_cycle_written_objects", "gigasync_full_list_timestamp_seconds"})
    CHECK(has_line(text, std::string("# TYPE ") + gauge + " gauge"));
  CHECK(v.at("gigasync_integrations") == "3");  // the old names stay
  CHECK(v.at("gigasync_mirror_rows{resource=\"integrations\"}") == "3");
  for (const std::string r : {"employees", "payouts", "payruns", "invoices"}) {
    INFO(r);
    const std::string n = std::to_string(run.count("SELECT count(*) FROM " + r));
    CHECK(v.at("gigasync_mirror_rows{resource=\"" + r + "\"}") == n);
    // The first cycle lists everything in full and writes every row.
    CHECK(v.at("gigasync_last_cycle_fetched_objects{resource=\"" + r + "\"}") == n);
    CHECK(v.at("gigasync_last_cycle_written_objects{resource=\"" + r + "\"}") == n);
    CHECK(v.at("gigasync_refused_integrations{resource=\"" + r + "\"}") == "0");
    CHECK(v.count("gigasync_full_list_timestamp_seconds{resource=\"" + r + "\"}") == 1);
  }
  CHECK(v.at("gigasync_mirror_rows{resource=\"payouts\"}") == std::to_string(kPayouts));
  CHECK(v.at("gigasync_last_cycle_fetched_objects{resource=\"integrations\"}") == "3");
  CHECK(v.at("gigasync_last_cycle_written_objects{resource=\"integrations\"}") == "3");

  // The API refuses one integration's objects: that cycle exits 1 and the gauges say which resource.
  const std::string refused = run.text("SELECT id FROM integration_base ORDER BY id LIMIT 1");
  set_refused(run.server, {refused});
  auto second = run.sync();
  INFO(second.err);
  CHECK(second.exit_code == 1);
  text = read_file(textfile);
  v = samples(text);
  CHECK(v.at("gigasync_refused_integrations{resource=\"integrations\"}") == "0");
  for (const std::string r : {"employees", "payouts", "payruns", "invoices"})
    CHECK(v.at("gigasync_refused_integrations{resource=\"" + r + "\"}") == "1");
  // Nothing changed in the API: the second cycle wrote nothing (it read incrementally).
  CHECK(v.at("gigasync_last_cycle_written_objects{resource=\"payouts\"}") == "0");
  CHECK(v.at("gigasync_mirror_rows{resource=\"payouts\"}") == std::to_string(kPayouts));  // the refused rows are kept
  CHECK(text.find("sandbox-token") == std::string::npos);
  CHECK(text.find(refused) == std::string::npos);  // counts, not ids
}

TEST_CASE("daemon: account ops: /healthz and /metrics cover the account's resources; a refusal warns but stays 200",
          "[account][daemon][metrics]") {
  SandboxRun run(seeded(), "max_retries = 0", std::string(kAccount) + "[sync]\ninterval_s = 3600\njitter_s = 0\n");
  const int port = free_port();
  std::ofstream(run.config, std::ios::app) << "[metrics]\nlisten = \"127.0.0.1:" << port << "\"\n";
  Env e{{"GIGAPAY_TOKEN", "\x01"}, {"GIGASYNC_DB", "\x01"}, {"GIGAPAY_BASE_URL", "\x01"}, {"GIGASYNC_CONFIG", "\x01"},
        {"CREDENTIALS_DIRECTORY", "\x01"}, {"NOTIFY_SOCKET", "\x01"}, {"WATCHDOG_USEC", "\x01"}, {"WATCHDOG_PID", "\x01"}};
  Child daemon(gigasync_binary(), {"daemon", "-c", run.config}, e, run.dir.path, "daemon");
  Reply h;
  REQUIRE(eventually([&] { return (h = http_get(port, "/healthz")).status == 200; }, 30s));
  INFO(h.body << "\n" << daemon.err());
  CHECK(h.body.find("\"status\":\"ok\"") != std::string::npos);
  CHECK(h.body.find("\"resources\":{\"integrations\":{\"rows\":3,\"refused\":0}") != std::string::npos);
  CHECK(h.body.find("\"payouts\":{\"rows\":" + std::to_string(kPayouts) +
                    ",\"refused\":0,\"never_listed\":0,\"last_full_list\":\"20") != std::string::npos);
  CHECK(h.body.find("\"full_list_overdue\":false") != std::string::npos);
  CHECK(h.body.find("\"last_cycle\":{\"fetched\":" + std::to_string(kPayouts) + ",\"written\":" +
                    std::to_string(kPayouts) + "}") != std::string::npos);
  CHECK(h.body.find("\"warnings\":[]") != std::string::npos);
  auto m = samples(http_get(port, "/metrics").body);
  CHECK(m["gigasync_mirror_rows{resource=\"payouts\"}"] == std::to_string(kPayouts));
  CHECK(m["gigasync_last_cycle_fetched_objects{resource=\"payouts\"}"] == std::to_string(kPayouts));

  const std::string refused = run.text("SELECT id FROM integration_base ORDER BY id LIMIT 1");
  set_refused(run.server, {refused});
  daemon.signal(SIGUSR1);
  REQUIRE(eventually([&] {
    h = http_get(port, "/healthz");
    return h.body.find("\"payouts\":{\"rows\":" + std::to_string(kPayouts) + ",\"refused\":1") != std::string::npos;
  }));
  INFO(h.body);
  CHECK(h.status == 200);  // a partial cycle is a good one
  CHECK(h.body.find("\"warnings\":[\"employees: the API refused the objects of 1 integration") != std::string::npos);
  CHECK(h.body.find("payouts: the API refused the objects of 1 integration ('gigasync status' names them)") !=
        std::string::npos);
  CHECK(h.body.find(refused) == std::string::npos);
  auto text = http_get(port, "/metrics").body;
  m = samples(text);
  CHECK(m["gigasync_refused_integrations{resource=\"payouts\"}"] == "1");
  CHECK(m["gigasync_refused_integrations{resource=\"integrations\"}"] == "0");
  for (const auto& body : {h.body, text}) {
    CHECK(body.find("sandbox-token") == std::string::npos);
    CHECK(body.find(run.server.base_url()) == std::string::npos);
  }
  daemon.signal(SIGTERM);
  CHECK(daemon.wait(10s) == 0);
}

TEST_CASE("account ops: the demo mirrors the seeded payouts and prints a payout report with exact sums",
          "[account][demo]") {
  TempDir dir;
  const std::string db = dir.str("demo.db");
  auto r = run_gigasync({"demo", "--db", db}, {}, std::chrono::seconds(240));
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.find("==> gigasync sandbox --seed 25 --seed-payouts ") != std::string::npos);
  CHECK(r.out.find("==> the payouts, from the report views") != std::string::npos);
  CHECK(r.out.find("verify: the mirror equals the API (integrations, employees, payouts, payruns, invoices; ") !=
        std::string::npos);
  SQLite::Database sql(db, SQLite::OPEN_READONLY);
  REQUIRE(sql.execAndGet("SELECT count(*) FROM payouts").getInt64() > 100);
  CHECK(r.out.find("account:       ") != std::string::npos);  // status counts the account's rows

  // The report's first row: the first integration by name, its first currency; the sum computed
  // here from the payouts themselves, in integer hundredths.
  SQLite::Statement first(sql, "SELECT p.integration_id, i.name, p.currency, count(*) FROM payouts p JOIN integrations i "
                               "ON i.id = p.integration_id GROUP BY 1, 2, 3 ORDER BY 2, 1, 3 LIMIT 1");
  REQUIRE(first.executeStep());
  const std::string iid = first.getColumn(0).getString(), name = first.getColumn(1).getString(),
                    currency = first.getColumn(2).getString();
  const long long n = first.getColumn(3).getInt64();
  SQLite::Statement amounts(sql, "SELECT amount FROM payouts WHERE integration_id = ? AND currency = ?");
  amounts.bind(1, iid);
  amounts.bind(2, currency);
  long long total = 0;
  while (amounts.executeStep()) total += cents(amounts.getColumn(0).getString());
  bool found = false;
  for (const auto& line : lines_of(r.out)) {
    if (line.rfind(fit(name, 30), 0) != 0) continue;
    found = true;
    INFO(line);
    CHECK(line.find("  " + currency + "  ") != std::string::npos);
    CHECK(line.find(" " + std::to_string(n) + "  ") != std::string::npos);
    CHECK(line.find(" " + money(total) + "  ") != std::string::npos);
    break;
  }
  CHECK(found);
  const long long open = sql.execAndGet("SELECT count(*) FROM invoices WHERE paid_at IS NULL").getInt64();
  CHECK(open > 0);
  CHECK(r.out.find("\nopen invoices: " + std::to_string(open)) != std::string::npos);
}
