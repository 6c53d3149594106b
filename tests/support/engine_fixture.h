#pragma once
// Test shorthand for the engine's unit tests: a real Store on a temporary file, a Config, the
// API double (support/fake_remote.h) and a second SQLite connection for edits made as a person
// makes them (the sqlite3 shell), so the capture triggers record them.
#include <SQLiteCpp/SQLiteCpp.h>

#include <catch2/catch.hpp>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "gigasync/config.h"
#include "gigasync/json.h"
#include "gigasync/store.h"
#include "gigasync/sync.h"
#include "store/internals.h"
#include "support/fake_remote.h"
#include "support/process.h"

namespace gigasync::test {

struct EngineFixture {
  // `max_page_size`: the most objects the API double serves per page.
  explicit EngineFixture(int max_page_size = 1000) : api(100, max_page_size) {
    cfg.database.path = dir.str("mirror.db");
    cfg.api.base_url = FakeRemote::base_url();
    cfg.api.concurrency = 2;
    cfg.account.resources = {};  // integrations only, unless a test asks for more
    auto s = Store::open(cfg.database.path);
    REQUIRE(s.ok());
    store = std::move(s.value());
    shell = std::make_unique<SQLite::Database>(cfg.database.path, SQLite::OPEN_READWRITE);
    shell->setBusyTimeout(5000);
  }

  // The API holds integrations `ids` (a made-up integration each).
  void remote_has(const std::vector<std::string>& ids) {
    for (const auto& id : ids) api.put(make_integration(id));
  }

  // One cycle that must not fail (its report), and one that may (its Result).
  SyncReport cycle(const SyncOptions& options = {}) {
    auto r = run_cycle(cfg, *store, api, options);
    INFO((r.ok() ? std::string() : r.error().message));
    REQUIRE(r.ok());
    return r.value();
  }
  Result<SyncReport> try_cycle(const SyncOptions& options = {}) { return run_cycle(cfg, *store, api, options); }
  SyncReport pull_only() {
    SyncOptions o;
    o.push = false;
    return cycle(o);
  }
  SyncReport push_only() {
    SyncOptions o;
    o.pull = false;
    return cycle(o);
  }

  // SQL as a person runs it, on a connection of its own.
  void edit(const std::string& sql) { shell->exec(sql); }

  // Reads on the store's own connection.
  long long count(const std::string& sql) { return StoreInternals::db(*store).execAndGet(sql).getInt64(); }
  std::string text(const std::string& sql) { return StoreInternals::db(*store).execAndGet(sql).getString(); }
  // Every column of every row of `table` (rowid first, when it has one), one string per row.
  std::vector<std::string> rows(const std::string& table, bool with_rowid = true) {
    SQLite::Statement q(StoreInternals::db(*store),
                        "SELECT " + std::string(with_rowid ? "rowid, " : "") + "* FROM " + table + " ORDER BY 1");
    std::vector<std::string> out;
    while (q.executeStep()) {
      std::string row;
      for (int i = 0; i < q.getColumnCount(); ++i)
        row += (q.getColumn(i).isNull() ? std::string("NULL") : q.getColumn(i).getString()) + "|";
      out.push_back(row);
    }
    return out;
  }

  std::map<std::string, Integration> mirror() { return load(Table::mirror); }
  std::map<std::string, Integration> base() { return load(Table::base); }
  // Rows in canonical form (metadata as the engine compares it: keys sorted, no spaces).
  std::map<std::string, Integration> load(Table t) {
    auto all = store->load_all(t);
    REQUIRE(all.ok());
    std::map<std::string, Integration> out;
    for (auto& [id, o] : all.value()) out.emplace(id, json::canonical_row(o));
    return out;
  }
  std::map<std::string, Integration> remote() {
    std::map<std::string, Integration> out;
    for (auto& o : api.all(integrations_resource())) out.emplace(o.id, o);
    return out;
  }
  // The calls the API double answered after the first `before` (api.calls().size() taken earlier).
  std::vector<FakeCall> calls_since(std::size_t before, const std::string& method = "") {
    std::vector<FakeCall> out;
    auto all = api.calls();
    for (std::size_t i = before; i < all.size(); ++i)
      if (method.empty() || all[i].method == method) out.push_back(all[i]);
    return out;
  }
  std::vector<Change> changes(bool include_settled = true) {
    auto c = store->list_changes(include_settled);
    REQUIRE(c.ok());
    return c.value();
  }
  std::vector<Conflict> conflicts(bool include_resolved = true) {
    auto c = store->list_conflicts(include_resolved);
    REQUIRE(c.ok());
    return c.value();
  }

  TempDir dir;
  Config cfg;
  FakeRemote api;
  std::unique_ptr<Store> store;
  std::unique_ptr<SQLite::Database> shell;
};

}  // namespace gigasync::test
