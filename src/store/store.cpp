// Store: opening, migrations, and the row-level reads and writes of the mirror.
#include "gigasync/store.h"
#include "store/db_error.h"

#include <SQLiteCpp/SQLiteCpp.h>
#include <sqlite3.h>

#include <chrono>
#include <cstdlib>
#include <ctime>
#include <filesystem>

#include "store/account_schema.h"
#include "store/file_mode.h"
#include "store/rows.h"
#include "store/schema.h"

namespace gigasync {
namespace {

const Resource& kIntegration = integrations_resource();

std::string table_name(Table t) {
  return std::string(t == Table::mirror ? kIntegration.table : kIntegration.base_table);
}

using store::bind_text;

using store::db_error;

// " (the file is not a SQLite database; it was left as it is)" when that is why `e` happened.
std::string not_sqlite_hint(const std::exception& e) {
  const auto* sql = dynamic_cast<const SQLite::Exception*>(&e);
  if (sql == nullptr || (sql->getErrorCode() & 0xff) != SQLITE_NOTADB) return "";
  return " (the file is not a SQLite database; it was left as it is)";
}

// `path` as a file: URI with SQLite's special characters escaped.
std::string file_uri(const std::string& path, const char* query) {
  std::string out = "file:";
  for (char c : path) {
    if (c == '%' || c == '?' || c == '#') {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", static_cast<unsigned char>(c));
      out += buf;
    } else {
      out += c;
    }
  }
  return out + query;
}

// An existing database opened for reading only. WAL needs its -shm file: when the folder does not
// let us create one, the file is read as immutable (nothing can write it without that folder).
Result<std::unique_ptr<SQLite::Database>> open_read_only(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec))
    return make_error(ExitCode::cant_create, "database " + path + " does not exist (a command that only reads "
                                             "never creates it; `gigasync sync` does)");
  auto db = std::make_unique<SQLite::Database>(path, SQLite::OPEN_READONLY | SQLite::OPEN_FULLMUTEX);
  db->setBusyTimeout(30000);
  try {
    db->execAndGet("PRAGMA user_version");
    return db;
  } catch (const SQLite::Exception& e) {
    const int code = e.getErrorCode() & 0xff;
    if (code != SQLITE_READONLY && code != SQLITE_CANTOPEN) throw;
  }
  db = std::make_unique<SQLite::Database>(file_uri(path, "?immutable=1"),
                                          SQLite::OPEN_READONLY | SQLite::OPEN_URI | SQLite::OPEN_FULLMUTEX);
  return db;
}

// Test knob: $GIGASYNC_TEST_MAX_PAGE_COUNT caps the database at that many pages ("disk full").
void apply_test_page_limit(SQLite::Database& db) {
  const char* pages = std::getenv("GIGASYNC_TEST_MAX_PAGE_COUNT");
  if (pages != nullptr && std::atoll(pages) > 0) db.exec("PRAGMA max_page_count = " + std::to_string(std::atoll(pages)));
}

}  // namespace


Store::Store(std::string path, std::unique_ptr<SQLite::Database> db) : path_(std::move(path)), db_(std::move(db)) {}
Store::~Store() { statements_.clear(); }

SQLite::Statement& Store::cached(const std::string& sql) {
  auto& slot = statements_[sql];
  if (!slot) slot = std::make_unique<SQLite::Statement>(*db_, sql);
  slot->reset();
  slot->clearBindings();
  return *slot;
}

Result<std::unique_ptr<Store>> Store::open(const std::string& path, OpenMode mode) {
  // SQLite's memory statistics cost a global mutex per allocation (2 % of a pull); gigasync never
  // reads them. Only possible before SQLite initializes: the first open does it.
  static const bool quiet_memory = [] { return sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0) == SQLITE_OK; }();
  (void)quiet_memory;
  std::unique_ptr<SQLite::Database> db;
  const bool read_only = mode == OpenMode::read_only;
  try {
    if (read_only) {
      auto ro = open_read_only(path);
      if (!ro) return ro.error();
      db = std::move(ro.value());
    } else {
      auto parent = std::filesystem::path(path).parent_path();
      std::error_code ec;
      if (!parent.empty()) std::filesystem::create_directories(parent, ec);
      if (auto owner_only = store::prepare_private_file(path); !owner_only) return owner_only.error();  // 0600
      // No per-call mutex: a Store's connection is used by one thread at a time (the pull's and the
      // push's workers hand their database work over under a lock of their own).
      db = std::make_unique<SQLite::Database>(path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE | SQLite::OPEN_NOMUTEX);
      if (sqlite3_db_readonly(db->getHandle(), "main") == 1)
        return make_error(ExitCode::cant_create, "database " + path + " is read-only (check the file's and its folder's "
                                                 "permissions); only status, changes/conflicts list|show and verify read it");
      db->setBusyTimeout(30000);
      // Page sizes, set before either file is written (they do not change an existing mirror):
      // 16 KiB for a new mirror and 64 KiB for this connection's TEMP database (the pull's staging
      // tables). A pull of 100,000 objects reads and writes each page of the stage and the mirror a
      // few times; with 4 KiB pages that was 200,000 pread/pwrite calls, 0.3 s of CPU (issue 8).
      db->exec("PRAGMA page_size = 16384");
      db->exec("PRAGMA temp.page_size = 65536");
      db->exec("PRAGMA journal_mode = WAL");
      // FULL: every commit is on disk before the next step. The commit that freezes a body and marks
      // it in flight must survive a power cut, or a later edit could fold into a change whose key was
      // already sent. In WAL mode this costs one fsync per commit; the pull commits a few times.
      db->exec("PRAGMA synchronous = FULL");
      db->exec("PRAGMA foreign_keys = ON");
      apply_test_page_limit(*db);
    }
  } catch (const std::exception& e) {
    return make_error(ExitCode::cant_create, "cannot open database " + path + ": " + e.what() + not_sqlite_hint(e));
  }
  try {
    int version = db->execAndGet("PRAGMA user_version").getInt();
    const auto& steps = schema::migrations();
    if (version > static_cast<int>(steps.size()))
      return make_error(ExitCode::software, "database " + path + " has schema version " + std::to_string(version) +
                                                ", newer than this gigasync understands (" +
                                                std::to_string(steps.size()) + "); upgrade gigasync (the file is left as it is)");
    if (read_only && version < static_cast<int>(steps.size()))
      return make_error(ExitCode::cant_create, "database " + path + " has schema version " + std::to_string(version) +
                                                   " and needs migrating, which a read-only command does not do; run "
                                                   "`gigasync sync` (or `gigasync check`) once");
    for (auto v = static_cast<size_t>(version); v < steps.size(); ++v) {
      SQLite::Transaction tx(*db, SQLite::TransactionBehavior::IMMEDIATE);
      // Re-read under the write lock: another process may have migrated meanwhile.
      if (db->execAndGet("PRAGMA user_version").getInt() > static_cast<int>(v)) continue;
      db->exec(steps[v]);
      schema::post_migration(v + 1, *db);
      db->exec("PRAGMA user_version = " + std::to_string(v + 1));
      tx.commit();
    }
    // Tables of resources described since the last migration (IF NOT EXISTS: nothing otherwise).
    if (!read_only) db->exec(schema::account_schema());
  } catch (const std::exception& e) {
    return make_error(ExitCode::cant_create, "cannot prepare database " + path + ": " + e.what() + not_sqlite_hint(e));
  }
  return std::unique_ptr<Store>(new Store(path, std::move(db)));
}

Result<std::map<std::string, Integration>> Store::load_all(Table t) {
  try {
    std::map<std::string, Integration> out;
    SQLite::Statement q(*db_, "SELECT " + store::columns(kIntegration) + " FROM " + table_name(t));
    while (q.executeStep()) {
      auto o = store::read_record(q, 0, kIntegration);
      out.emplace(o.id, std::move(o));
    }
    return out;
  } catch (const std::exception& e) {
    return db_error("reading " + std::string(table_name(t)), e);
  }
}

Result<std::optional<Integration>> Store::load_one(Table t, const std::string& id) {
  try {
    SQLite::Statement q(*db_, "SELECT " + store::columns(kIntegration) + (t == Table::base ? ", unknown_fields" : "") +
                                  " FROM " + table_name(t) + " WHERE id = ?");
    q.bind(1, id);
    if (!q.executeStep()) return std::optional<Integration>{};
    Integration o = store::read_record(q, 0, kIntegration);
    if (t == Table::base) o.extra = store::text(q.getColumn(store::column_count(kIntegration)));
    return std::optional<Integration>(std::move(o));
  } catch (const std::exception& e) {
    return db_error("reading integration " + id, e);
  }
}

Result<std::vector<std::string>> Store::mirror_ids() {
  try {
    std::vector<std::string> out;
    SQLite::Statement q(*db_, "SELECT id FROM integrations");
    while (q.executeStep()) out.push_back(q.getColumn(0).getString());
    return out;
  } catch (const std::exception& e) {
    return db_error("reading the mirror's ids", e);
  }
}

Result<long long> Store::begin_run(const std::string& mode) {
  try {
    SQLite::Statement q(*db_, "INSERT INTO sync_runs (started_at, mode, status) VALUES (?, ?, 'running')");
    q.bind(1, now_iso8601());
    q.bind(2, mode);
    q.exec();
    return db_->getLastInsertRowid();
  } catch (const std::exception& e) {
    return db_error("recording the run", e);
  }
}

Status Store::finish_run(const RunRecord& r) {
  try {
    SQLite::Statement q(*db_,
                        "UPDATE sync_runs SET finished_at = ?, status = ?, pages = ?, fetched = ?, inserted = ?, "
                        "updated = ?, deleted = ?, pushed = ?, push_failed = ?, conflicts = ?, error = ?, diverged = ?, "
                        "deletions_held = ?, account_fetched = ?, account_written = ?, refused = ? WHERE id = ?");
    q.bind(1, now_iso8601());
    q.bind(2, r.status);
    q.bind(3, static_cast<int64_t>(r.pages));
    q.bind(4, static_cast<int64_t>(r.fetched));
    q.bind(5, static_cast<int64_t>(r.inserted));
    q.bind(6, static_cast<int64_t>(r.updated));
    q.bind(7, static_cast<int64_t>(r.deleted));
    q.bind(8, static_cast<int64_t>(r.pushed));
    q.bind(9, static_cast<int64_t>(r.push_failed));
    q.bind(10, static_cast<int64_t>(r.conflicts));
    if (r.error.empty()) q.bind(11); else q.bind(11, r.error);
    q.bind(12, static_cast<int64_t>(r.diverged));
    q.bind(13, static_cast<int64_t>(r.deletions_held));
    q.bind(14, static_cast<int64_t>(r.account_fetched));
    q.bind(15, static_cast<int64_t>(r.account_written));
    q.bind(16, static_cast<int64_t>(r.refused));
    q.bind(17, static_cast<int64_t>(r.id));
    q.exec();
    return ok_status();
  } catch (const std::exception& e) {
    return db_error("recording the run", e);
  }
}

Result<StatusCounts> Store::status_counts() {
  try {
    StatusCounts c;
    c.integrations = db_->execAndGet("SELECT count(*) FROM integrations").getInt64();
    SQLite::Statement q(*db_, std::string("SELECT state, count(*) FROM pending_changes WHERE state IN ") + kActiveStates.sql() + " GROUP BY state");
    while (q.executeStep()) {
      std::string state = q.getColumn(0).getString();
      long long n = q.getColumn(1).getInt64();
      if (state == "pending") c.pending = n;
      if (state == "in_flight") c.in_flight = n;
      if (state == "failed") c.failed = n;
      if (state == "conflict") c.held = n;
    }
    c.open_conflicts = db_->execAndGet("SELECT count(*) FROM conflicts WHERE resolved_at IS NULL").getInt64();
    SQLite::Statement r(*db_,
                        "SELECT id, mode, status, pages, fetched, inserted, updated, deleted, pushed, push_failed, "
                        "conflicts, coalesce(error, ''), started_at, coalesce(finished_at, ''), diverged, deletions_held FROM sync_runs "
                        "ORDER BY id DESC LIMIT 1");
    if (r.executeStep()) {
      RunRecord rr;
      rr.id = r.getColumn(0).getInt64();
      rr.mode = r.getColumn(1).getString();
      rr.status = r.getColumn(2).getString();
      rr.pages = r.getColumn(3).getInt64();
      rr.fetched = r.getColumn(4).getInt64();
      rr.inserted = r.getColumn(5).getInt64();
      rr.updated = r.getColumn(6).getInt64();
      rr.deleted = r.getColumn(7).getInt64();
      rr.pushed = r.getColumn(8).getInt64();
      rr.push_failed = r.getColumn(9).getInt64();
      rr.conflicts = r.getColumn(10).getInt64();
      rr.error = r.getColumn(11).getString();
      c.last_run_started = r.getColumn(12).getString();
      c.last_run_finished = r.getColumn(13).getString();
      rr.diverged = r.getColumn(14).getInt64();
      rr.deletions_held = r.getColumn(15).getInt64();
      c.last_run = rr;
    }
    SQLite::Statement s(*db_, "SELECT finished_at FROM sync_runs WHERE status IN ('ok', 'partial') ORDER BY id DESC LIMIT 1");
    if (s.executeStep()) c.last_success = s.getColumn(0).getString();
    return c;
  } catch (const std::exception& e) {
    return db_error("reading status", e);
  }
}

// --- Txn -------------------------------------------------------------------------------------

Store::Txn::Txn(Store& s) : store_(s) {}

Store::Txn::~Txn() {
  if (!open_) return;
  try {
    store_.db_->exec("ROLLBACK");
  } catch (...) {  // nothing more can be done; SQLite rolls back on close anyway
  }
}

SQLite::Database& Store::Txn::db() { return *store_.db_; }

Status Store::Txn::begin() {
  try {
    store_.db_->exec("BEGIN IMMEDIATE");
    open_ = true;
    store_.db_->exec("UPDATE gigasync_control SET applying = 1");
    return ok_status();
  } catch (const std::exception& e) {
    return db_error("starting a write", e);
  }
}

Status Store::Txn::commit() {
  try {
    store_.db_->exec("UPDATE gigasync_control SET applying = 0");
    store_.db_->exec("COMMIT");
    open_ = false;
    return ok_status();
  } catch (const std::exception& e) {
    return db_error("committing", e);
  }
}

Status Store::Txn::upsert(Table t, const Integration& o) {
  try {
    const bool base = t == Table::base;
    std::string sql = "INSERT INTO " + table_name(t) + " (" + store::columns(kIntegration) +
                      (base ? ", synced_at, content_hash, unknown_fields" : "") + ") VALUES (" +
                      store::placeholders(kIntegration) + (base ? ",?,?,?" : "") + ") ON CONFLICT(id) DO UPDATE SET " +
                      store::set_from_excluded(kIntegration) +
                      (base ? ", synced_at = excluded.synced_at, content_hash = excluded.content_hash, "
                              "unknown_fields = excluded.unknown_fields"
                            : "");
    SQLite::Statement& q = store_.cached(sql);
    int next = store::bind_record(q, 1, o);
    if (base) {
      q.bind(next, now_iso8601());
      q.bind(next + 1, static_cast<int64_t>(content_hash(o)));
      bind_text(q, next + 2, o.extra);
    }
    q.exec();
    if (base) forget_pages();
    return ok_status();
  } catch (const std::exception& e) {
    return db_error("writing integration " + o.id, e);
  }
}

Status Store::Txn::remove(Table t, const std::string& id) {
  try {
    SQLite::Statement& q = store_.cached(std::string("DELETE FROM ") + table_name(t) + " WHERE id = ?");
    q.bind(1, id);
    q.exec();
    if (t == Table::base) forget_pages();
    return ok_status();
  } catch (const std::exception& e) {
    return db_error("deleting integration " + id, e);
  }
}

// The integrations' base changed outside a pull: the cached pages of their listing no longer tell
// whether a page's objects equal their base rows.
void Store::Txn::forget_pages() {
  store_.cached("DELETE FROM listing_pages WHERE resource = 'integrations'").exec();
}

Status Store::Txn::add_history(const HistoryEntry& h) {
  try {
    SQLite::Statement& q = store_.cached(
        "INSERT INTO integration_changes (at, integration_id, source, op, field, old_value, new_value) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)");
    q.bind(1, now_iso8601());
    q.bind(2, h.integration_id);
    q.bind(3, h.source);
    q.bind(4, h.op);
    if (h.field.empty()) q.bind(5); else q.bind(5, h.field);
    bind_text(q, 6, h.old_value);
    bind_text(q, 7, h.new_value);
    q.exec();
    return ok_status();
  } catch (const std::exception& e) {
    return db_error("recording history", e);
  }
}

Result<std::optional<Integration>> Store::Txn::get(Table t, const std::string& id) { return store_.load_one(t, id); }

}  // namespace gigasync
