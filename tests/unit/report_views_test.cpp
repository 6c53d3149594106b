// The account's read-only mirrors: their report views (exact sums of money) and the guard that
// refuses people's writes.
#include <SQLiteCpp/SQLiteCpp.h>

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "gigasync/store.h"
#include "store/internals.h"
#include "store/report_views.h"
#include "support/process.h"
#include "support/store_fixture.h"

using namespace gigasync;
using namespace gigasync::test;

namespace {

std::vector<std::vector<std::string>> rows_of(SQLite::Database& db, const std::string& sql) {
  SQLite::Statement q(db, sql);
  std::vector<std::vector<std::string>> out;
  while (q.executeStep()) {
    std::vector<std::string> row;
    for (int i = 0; i < q.getColumnCount(); ++i)
      row.push_back(q.getColumn(i).isNull() ? "<null>" : q.getColumn(i).getString());
    out.push_back(std::move(row));
  }
  return out;
}

std::string one(SQLite::Database& db, const std::string& sql) { return rows_of(db, sql).at(0).at(0); }

// Rows as gigasync writes them (its own writes are not refused).
void as_gigasync(SQLite::Database& db, const std::string& sql) {
  db.exec("UPDATE gigasync_control SET applying = 1");
  db.exec(sql);
  db.exec("UPDATE gigasync_control SET applying = 0");
}

void seed_account(Store& store, SQLite::Database& db) {
  Integration web;
  web.id = "i1";
  web.set("name", "Acme AB");
  web.set("type", "3");
  web.set("metadata", "{}");
  seed(store, web);
  as_gigasync(db,
              "INSERT INTO employees (integration_id, id, name, email) VALUES ('i1', 'e1', 'Anna', 'anna@x.se'), "
              "('i1', 'e2', 'Bo', 'bo@x.se');"
              "INSERT INTO payruns (integration_id, id, currency, open, paid_at, price, invoice) VALUES "
              "('i1', 'r1', 'SEK', 0, '2026-11-02T10:00:00Z', '1340.48', 'v1'), ('i1', 'r2', 'SEK', 1, NULL, '0.00', 'v2');"
              "INSERT INTO invoices (integration_id, id, currency, total, amount_due, amount_paid, issued_at, paid_at, "
              "due_date, billing_type) VALUES ('i1', 'v1', 'SEK', '1340.48', '0.00', '1340.48', '2026-11-01T10:00:00Z', "
              "'2026-11-02T10:00:00Z', '2026-11-15', 'payrun'), ('i1', 'v2', 'SEK', '0.30', '0.30', '0.00', NULL, NULL, "
              "NULL, 'payrun');"
              // Amounts chosen so that a binary float sum would not come out exact: 0.1 + 0.2.
              "INSERT INTO payouts (integration_id, id, amount, cost, currency, employee, payrun, accepted_at, "
              "canceled_at, notified_at) VALUES "
              "('i1', 'p1', '0.10', '0.13', 'SEK', 'e1', 'r2', NULL, NULL, NULL),"
              "('i1', 'p2', '0.20', '0.27', 'SEK', 'e2', 'r2', NULL, NULL, '2026-11-03T10:00:00Z'),"
              "('i1', 'p3', '1000.00', '1340.48', 'SEK', 'e1', 'r1', '2026-11-02T09:00:00Z', NULL, '2026-11-01T10:00:00Z'),"
              "('i1', 'p4', '-5.5', '7', 'SEK', 'e2', 'r1', NULL, '2026-11-02T09:00:00Z', NULL);");
}

}  // namespace

TEST_CASE("decimal text sums exactly in SQL, in millionths, and is written back with two decimals or more",
          "[store][reports]") {
  TempDir dir;
  auto store = open_store(dir);
  auto& db = StoreInternals::db(*store);
  auto micros = [&](const std::string& x) { return one(db, "SELECT " + schema::decimal_micros_sql("'" + x + "'")); };
  CHECK(micros("1314.20") == "1314200000");
  CHECK(micros("-0.50") == "-500000");
  CHECK(micros("7") == "7000000");
  CHECK(micros("+3.1") == "3100000");
  CHECK(micros("0.1234567") == "123456");  // past the sixth decimal: dropped
  CHECK(one(db, "SELECT " + schema::decimal_micros_sql("NULL")) == "<null>");
  auto text = [&](const std::string& m) { return one(db, "SELECT " + schema::micros_decimal_sql(m)); };
  CHECK(text("1314200000") == "1314.20");
  CHECK(text("-500000") == "-0.50");
  CHECK(text("125000") == "0.125");
  CHECK(text("0") == "0.00");
  CHECK(text("-5000000") == "-5.00");
}

TEST_CASE("the account's report views show payouts with their employee, payruns, invoices and exact sums",
          "[store][reports]") {
  TempDir dir;
  auto store = open_store(dir);
  auto& db = StoreInternals::db(*store);
  seed_account(*store, db);

  CHECK(rows_of(db, "SELECT payout_id, integration_name, employee_name, employee_email, payrun_id, amount, state, "
                    "payrun_paid_at FROM report_payouts ORDER BY payout_id") ==
        std::vector<std::vector<std::string>>{
            {"p1", "Acme AB", "Anna", "anna@x.se", "r2", "0.10", "created", "<null>"},
            {"p2", "Acme AB", "Bo", "bo@x.se", "r2", "0.20", "notified", "<null>"},
            {"p3", "Acme AB", "Anna", "anna@x.se", "r1", "1000.00", "accepted", "2026-11-02T10:00:00Z"},
            {"p4", "Acme AB", "Bo", "bo@x.se", "r1", "-5.5", "canceled", "2026-11-02T10:00:00Z"}});
  // A payrun's sums leave out canceled payouts; 0.10 + 0.20 is exactly 0.30.
  CHECK(rows_of(db, "SELECT payrun_id, state, payouts, payouts_amount, payouts_cost, invoice_amount_due FROM "
                    "report_payruns ORDER BY payrun_id") ==
        std::vector<std::vector<std::string>>{{"r1", "paid", "2", "1000.00", "1340.48", "0.00"},
                                              {"r2", "open", "2", "0.30", "0.40", "0.30"}});
  CHECK(rows_of(db, "SELECT invoice_id, state, amount_due FROM report_invoices ORDER BY invoice_id") ==
        std::vector<std::vector<std::string>>{{"v1", "paid", "0.00"}, {"v2", "proforma", "0.30"}});
  CHECK(rows_of(db, "SELECT integration_name, currency, state, payouts, amount, cost FROM report_account_summary "
                    "ORDER BY state") ==
        std::vector<std::vector<std::string>>{{"Acme AB", "SEK", "accepted", "1", "1000.00", "1340.48"},
                                              {"Acme AB", "SEK", "canceled", "1", "-5.50", "7.00"},
                                              {"Acme AB", "SEK", "created", "1", "0.10", "0.13"},
                                              {"Acme AB", "SEK", "notified", "1", "0.20", "0.27"}});
  // Every report view of the account is one of those checked here.
  CHECK(rows_of(db, "SELECT name FROM sqlite_master WHERE type = 'view' AND name IN ('report_payouts', "
                    "'report_payruns', 'report_invoices', 'report_account_summary') ORDER BY name")
            .size() == 4);
}

TEST_CASE("people's INSERT, UPDATE and DELETE on the account's mirrors are refused, naming the table",
          "[store][reports]") {
  TempDir dir;
  auto store = open_store(dir);
  auto& db = StoreInternals::db(*store);
  seed_account(*store, db);
  SQLite::Database person(dir.str("mirror.db"), SQLite::OPEN_READWRITE);
  for (const auto* sql : {"INSERT INTO payouts (integration_id, id) VALUES ('i1', 'mine')",
                          "UPDATE payouts SET amount = '1.00' WHERE id = 'p1'", "DELETE FROM payruns",
                          "UPDATE employees SET name = 'X'", "DELETE FROM invoices WHERE id = 'v1'"}) {
    INFO(sql);
    CHECK_THROWS_WITH(person.exec(sql), Catch::Contains("read-only mirror") && Catch::Contains("nothing was changed"));
  }
  CHECK(one(person, "SELECT amount FROM payouts WHERE id = 'p1'") == "0.10");
  CHECK(one(person, "SELECT count(*) FROM payruns") == "2");
  CHECK(one(person, "SELECT count(*) FROM pending_changes") == "0");
}
