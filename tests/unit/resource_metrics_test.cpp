// The mirrored resources in /metrics and /healthz (issue 19): the `resource` label's series from a
// real database (store::resource_figures), the Prometheus text (ops::render_metrics), /healthz's
// "resources" and "warnings" (ops::health_answer), and the demo's payout report read from the
// report views (store::payout_report).
#include <SQLiteCpp/SQLiteCpp.h>

#include <catch2/catch.hpp>
#include <map>
#include <sstream>
#include <string>

#include "gigasync/metrics_http.h"
#include "gigasync/metrics_snapshot.h"
#include "gigasync/metrics_text.h"
#include "gigasync/mirror_reads.h"
#include "gigasync/store.h"
#include "gigasync/timestamp.h"
#include "store/internals.h"
#include "support/process.h"
#include "support/store_fixture.h"

using namespace gigasync;
using namespace gigasync::test;

namespace {

std::map<std::string, std::string> samples(const std::string& text) {
  std::map<std::string, std::string> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    auto space = line.rfind(' ');
    REQUIRE(space != std::string::npos);
    out[line.substr(0, space)] = line.substr(space + 1);
  }
  return out;
}

bool has_line(const std::string& text, const std::string& line) {
  return ("\n" + text).find("\n" + line + "\n") != std::string::npos;
}

void as_gigasync(SQLite::Database& db, const std::string& sql) {
  db.exec("UPDATE gigasync_control SET applying = 1");
  db.exec(sql);
  db.exec("UPDATE gigasync_control SET applying = 0");
}

Integration integration(const std::string& id, const std::string& name) {
  Integration o;
  o.id = id;
  o.set("name", name);
  o.set("type", "3");
  o.set("metadata", "{}");
  return o;
}

store::ResourceFigures figures(const std::string& resource, long long rows, long long refused = 0) {
  store::ResourceFigures f;
  f.resource = resource;
  f.rows = rows;
  f.refused = refused;
  return f;
}

}  // namespace

TEST_CASE("resource metrics: each figure is a series labelled resource, the old metrics stay as they were",
          "[metrics][resources]") {
  store::MetricsSnapshot s;
  s.integrations = 3;
  s.inserted = 4;
  std::vector<store::ResourceFigures> rs = {figures("integrations", 3), figures("payouts", 120, 2),
                                            figures("invoices", 7)};
  rs[1].full_list_unix = 1700000000;
  const std::string plain = ops::render_metrics(s, true);
  const std::string text = ops::render_metrics(s, rs, true);
  INFO(text);
  // Every line of the text without resources is still there, unchanged.
  std::istringstream old(plain);
  for (std::string line; std::getline(old, line);) CHECK(has_line(text, line));
  for (const char* gauge : {"gigasync_mirror_rows", "gigasync_refused_integrations", "gigasync_full_list_timestamp_seconds"})
    CHECK(has_line(text, std::string("# TYPE ") + gauge + " gauge"));
  auto v = samples(text);
  CHECK(v.at("gigasync_mirror_rows{resource=\"integrations\"}") == "3");
  CHECK(v.at("gigasync_mirror_rows{resource=\"payouts\"}") == "120");
  CHECK(v.at("gigasync_mirror_rows{resource=\"invoices\"}") == "7");
  CHECK(v.at("gigasync_refused_integrations{resource=\"integrations\"}") == "0");
  CHECK(v.at("gigasync_refused_integrations{resource=\"payouts\"}") == "2");
  CHECK(v.at("gigasync_full_list_timestamp_seconds{resource=\"payouts\"}") == "1700000000");
  CHECK(v.count("gigasync_full_list_timestamp_seconds{resource=\"invoices\"}") == 0);  // never listed in full
  // No cycle figures known (the daemon before its first pull): those series are left out.
  CHECK(text.find("gigasync_last_cycle_fetched_objects") == std::string::npos);
  CHECK(v.size() == samples(plain).size() + 3 + 3 + 1);

  // A cycle that pulled: its counts per resource; a configured resource it did not read is 0.
  ops::add_cycle_figures(rs, {{"integrations", {3, 1}}, {"payouts", {120, 118}}});
  auto after = samples(ops::render_metrics(s, rs, true));
  CHECK(after.at("gigasync_last_cycle_fetched_objects{resource=\"integrations\"}") == "3");
  CHECK(after.at("gigasync_last_cycle_written_objects{resource=\"integrations\"}") == "1");
  CHECK(after.at("gigasync_last_cycle_fetched_objects{resource=\"payouts\"}") == "120");
  CHECK(after.at("gigasync_last_cycle_written_objects{resource=\"payouts\"}") == "118");
  CHECK(after.at("gigasync_last_cycle_fetched_objects{resource=\"invoices\"}") == "0");
  CHECK(after.at("gigasync_last_cycle_written_objects{resource=\"invoices\"}") == "0");
  // A push-only cycle (no per-resource counts) keeps what the last pull said.
  auto kept = rs;
  ops::add_cycle_figures(kept, {});
  CHECK(kept == rs);
}

TEST_CASE("resource figures: rows, refusals, never-listed integrations and the oldest full list, from the database",
          "[metrics][resources][store]") {
  TempDir dir;
  auto store = open_store(dir);
  {
    auto none = store::resource_figures(*store, {});
    REQUIRE(none.ok());
    REQUIRE(none->size() == 1);
    CHECK(none->at(0) == figures("integrations", 0));
  }
  seed(*store, integration("i1", "Acme AB"));
  seed(*store, integration("i2", "Beta AB"));
  seed(*store, integration("i3", "Cesam AB"));
  auto& db = StoreInternals::db(*store);
  as_gigasync(db,
              "INSERT INTO payouts (integration_id, id) VALUES ('i1', 'p1'), ('i1', 'p2'), ('i2', 'p1'), ('gone', 'p9');"
              "INSERT INTO employees (integration_id, id) VALUES ('i1', 'e1');");
  // payouts: i1 listed in full twice as long ago as i2, i2 refused since; i3 never listed. A refusal
  // of an integration the mirror no longer has does not count.
  db.exec("INSERT INTO account_sync (resource, integration_id, full_at, refused_at, refused_error) VALUES "
          "('payouts', 'i1', '2026-12-01T10:00:00.000000Z', NULL, NULL), "
          "('payouts', 'i2', '2026-12-02T10:00:00.000000Z', '2026-12-03T10:00:00Z', 'HTTP 403'), "
          "('payouts', 'gone', NULL, '2026-12-03T10:00:00Z', 'HTTP 403'), "
          "('employees', 'i1', '2026-12-03T10:00:00.000000Z', NULL, NULL), "
          "('employees', 'i2', '2026-12-03T11:00:00.000000Z', NULL, NULL), "
          "('employees', 'i3', '2026-12-03T12:00:00.000000Z', NULL, NULL)");
  auto got = store::resource_figures(*store, {"payouts", "employees", "nonsense", "integrations"});
  REQUIRE(got.ok());
  REQUIRE(got->size() == 3);  // integrations first, then the account's resources as configured
  CHECK(got->at(0).resource == "integrations");
  CHECK(got->at(0).rows == 3);
  CHECK(got->at(0).refused == 0);
  CHECK_FALSE(got->at(0).full_list_unix);
  const auto& payouts = got->at(1);
  CHECK(payouts.resource == "payouts");
  CHECK(payouts.rows == 4);  // the orphan row is a row of the table until the next cycle purges it
  CHECK(payouts.refused == 1);
  CHECK(payouts.never_listed == 1);  // i3
  CHECK(payouts.full_list_unix == *parse_iso8601("2026-12-01T10:00:00Z") / 1'000'000);
  CHECK_FALSE(payouts.fetched);
  const auto& employees = got->at(2);
  CHECK(employees.rows == 1);
  CHECK(employees.refused == 0);
  CHECK(employees.never_listed == 0);
  CHECK(employees.full_list_unix == *parse_iso8601("2026-12-03T10:00:00Z") / 1'000'000);
  // Only reads: the snapshot leaves no transaction open and can be taken again.
  CHECK(store::resource_figures(*store, {"payouts"}).ok());
  CHECK(store->check_writable().ok());
}

TEST_CASE("healthz: the resources and their warnings are reported, the status code stays the integration cycle's",
          "[metrics][resources]") {
  using namespace std::chrono_literals;
  const auto now = ops::WallClock::now();
  const long long now_s = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  ops::HealthState h;
  h.interval_s = 60;
  h.full_every_s = 3600;
  h.last = ops::HealthState::Last::ok;
  h.last_success = now - 10s;
  auto plain = ops::health_answer(h, now);
  CHECK(plain.status == 200);
  CHECK(plain.body.find("resources") == std::string::npos);  // not known yet: nothing said

  h.resources = {figures("integrations", 25), figures("payouts", 300, 1), figures("invoices", 12)};
  h.resources[1].full_list_unix = now_s - 100;
  h.resources[1].fetched = 40;
  h.resources[1].written = 3;
  h.resources[2].full_list_unix = now_s - (3600 + 3 * 60 + 1);  // overdue by a second
  h.resources[2].never_listed = 2;
  auto a = ops::health_answer(h, now);
  INFO(a.body);
  CHECK(a.status == 200);  // a refusal and an overdue list are warnings, not an unhealthy daemon
  CHECK(a.body.find("\"status\":\"ok\"") != std::string::npos);
  CHECK(a.body.find("\"full_every_s\":3600") != std::string::npos);
  CHECK(a.body.find("\"integrations\":{\"rows\":25,\"refused\":0}") != std::string::npos);
  CHECK(a.body.find("\"payouts\":{\"rows\":300,\"refused\":1,\"never_listed\":0,\"last_full_list\":\"20") !=
        std::string::npos);
  CHECK(a.body.find("\"full_list_age_s\":100,\"full_list_overdue\":false,\"last_cycle\":{\"fetched\":40,\"written\":3}}") !=
        std::string::npos);
  CHECK(a.body.find("\"never_listed\":2") != std::string::npos);
  CHECK(a.body.find("\"full_list_age_s\":3781,\"full_list_overdue\":true") != std::string::npos);
  CHECK(a.body.find("\"warnings\":[\"payouts: the API refused the objects of 1 integration ('gigasync status' names "
                    "them)\",\"invoices: the oldest complete listing started 3781 s ago, more than full_every_s + 3 x "
                    "interval_s (3780 s)\"]") != std::string::npos);

  // An unhealthy cycle stays 503 with its reason; the resources ride along.
  h.last = ops::HealthState::Last::failed;
  h.failure = ExitCode::auth;
  auto failed = ops::health_answer(h, now);
  CHECK(failed.status == 503);
  CHECK(failed.body.find("\"error_class\":\"auth\"") != std::string::npos);
  CHECK(failed.body.find("\"resources\":{") != std::string::npos);

  // Nothing refused, nothing overdue: an empty warnings list.
  h.last = ops::HealthState::Last::ok;
  h.resources = {figures("integrations", 25), figures("payouts", 300)};
  h.resources[1].full_list_unix = now_s;
  auto clean = ops::health_answer(h, now);
  CHECK(clean.status == 200);
  CHECK(clean.body.find("\"warnings\":[]") != std::string::npos);
  CHECK(clean.body.find("\"last_full_list\":null") == std::string::npos);
}

TEST_CASE("payout report: per integration and currency, exact sums by state, and the open invoices",
          "[resources][reports][store]") {
  TempDir dir;
  auto store = open_store(dir);
  seed(*store, integration("i1", "Acme AB"));
  seed(*store, integration("i2", "Beta AB"));
  auto& db = StoreInternals::db(*store);
  as_gigasync(db,
              "INSERT INTO invoices (integration_id, id, currency, amount_due, issued_at, paid_at, due_date) VALUES "
              "('i1', 'v1', 'SEK', '0.00', '2026-11-01T10:00:00Z', '2026-11-02T10:00:00Z', '2026-11-15'), "
              "('i1', 'v2', 'SEK', '0.30', '2026-11-20T10:00:00Z', NULL, '2026-12-20'), "
              "('i2', 'v3', 'EUR', '12.00', NULL, NULL, NULL);"
              // 0.10 + 0.20 is 0.30 only when summed exactly.
              "INSERT INTO payouts (integration_id, id, amount, cost, currency, accepted_at, canceled_at, notified_at) VALUES "
              "('i1', 'p1', '0.10', '0.13', 'SEK', NULL, NULL, NULL),"
              "('i1', 'p2', '0.20', '0.27', 'SEK', NULL, NULL, '2026-11-03T10:00:00Z'),"
              "('i1', 'p3', '1000.00', '1340.48', 'SEK', '2026-11-02T09:00:00Z', NULL, '2026-11-01T10:00:00Z'),"
              "('i1', 'p4', '2.5', '3', 'EUR', NULL, NULL, NULL),"
              "('i2', 'p1', '12.00', '12.50', 'EUR', NULL, NULL, NULL);");
  auto report = store::payout_report(*store, 1);
  REQUIRE(report.ok());
  const auto& t = report->totals;
  REQUIRE(t.size() == 3);
  CHECK(t[0].integration_name == "Acme AB");
  CHECK(t[0].currency == "EUR");
  CHECK(t[0].payouts == 1);
  CHECK(t[0].amount == "2.50");
  CHECK(t[1].integration_id == "i1");
  CHECK(t[1].currency == "SEK");
  CHECK(t[1].payouts == 3);
  CHECK(t[1].amount == "1000.30");
  CHECK(t[1].cost == "1340.88");
  REQUIRE(t[1].states.size() == 3);
  CHECK(t[1].states[0].state == "created");
  CHECK(t[1].states[0].amount == "0.10");
  CHECK(t[1].states[1].state == "notified");
  CHECK(t[1].states[2].state == "accepted");
  CHECK(t[1].states[2].payouts == 1);
  CHECK(t[2].integration_name == "Beta AB");
  CHECK(t[2].amount == "12.00");
  CHECK(report->open_invoices_total == 2);  // v2 and v3; v1 is paid
  REQUIRE(report->open_invoices.size() == 1);  // the limit
  CHECK(report->open_invoices[0].invoice_id == "v2");  // a due date first
  CHECK(report->open_invoices[0].amount_due == "0.30");
  CHECK(report->open_invoices[0].state == "issued");
}
