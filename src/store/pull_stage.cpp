// The pull's staging tables (TEMP, on the store's connection) and the bulk apply, for any
// described resource (one listing of one resource under one scope at a time).
#include <SQLiteCpp/SQLiteCpp.h>
#include <sqlite3.h>

#include <map>
#include <optional>
#include <stdexcept>

#include "gigasync/store.h"
#include "store/db_error.h"
#include "store/internals.h"
#include "store/pull_queries.h"
#include "store/rows.h"
#include "store/schema.h"

namespace gigasync {
namespace {

using store::bind_text;
using store::db_error;

constexpr const char* kNow = "strftime('%Y-%m-%dT%H:%M:%fZ','now')";

// Turns this connection's triggers off while it lives (other connections keep theirs). Inside a
// Store::Txn every trigger of gigasync's is a no-op (gigasync_control.applying = 1), but SQLite
// still enters each trigger's program per row to find that out: 0.2 s per 100,000 rows written.
// Switching triggers off re-prepares this connection's statements (twice per cycle), so it is
// used for the bulk statements only, and only when no trigger of a person's is on a table they
// write (only_own_triggers): a person's audit trigger must see pulled rows.
class TriggersOff {
 public:
  explicit TriggersOff(SQLite::Database& db) : db_(db.getHandle()) {
    if (sqlite3_db_config(db_, SQLITE_DBCONFIG_ENABLE_TRIGGER, 0, nullptr) != SQLITE_OK)
      throw std::runtime_error(std::string("switching triggers off: ") + sqlite3_errmsg(db_));
  }
  // Fails only for an unknown option, which SQLITE_DBCONFIG_ENABLE_TRIGGER is not (SQLite 3.12+).
  ~TriggersOff() { sqlite3_db_config(db_, SQLITE_DBCONFIG_ENABLE_TRIGGER, 1, nullptr); }
  TriggersOff(const TriggersOff&) = delete;
  TriggersOff& operator=(const TriggersOff&) = delete;

 private:
  sqlite3* db_;
};

// True when every trigger on the tables the bulk apply of `r` writes is one of gigasync's own.
bool only_own_triggers(SQLite::Database& db, const Resource& r) {
  SQLite::Statement q(db, "SELECT count(*) FROM main.sqlite_master WHERE type = 'trigger' AND tbl_name IN (?, ?, ?) "
                          "AND name NOT IN " + schema::own_triggers_sql());
  q.bind(1, std::string(r.table));
  q.bind(2, std::string(r.base_table));
  q.bind(3, std::string(r.history_table));
  q.executeStep();
  return q.getColumn(0).getInt() == 0;
}

// The object's fields as json_object(...) of row alias `a` (object fields as objects).
std::string json_object_of(const Resource& r, std::string_view a) {
  std::string out = "json_object(";
  for (const Field& f : r.fields) {
    std::string c = std::string(a) + "." + std::string(f.name);
    if (out.size() > 12) out += ", ";
    out += "'" + std::string(f.name) + "', " + (f.kind == Kind::object ? "json(" + c + ")" : c);
  }
  return out + ")";
}

}  // namespace

// The names of the TEMP tables of `r` ("pull_stage_integrations", ...).
std::string PullStage::temp(std::string_view what) const {
  return "temp.pull_" + std::string(what) + "_" + std::string(r_.table);
}

// "AND integration_id = ?1" for a per-integration resource: the scope of this listing.
std::string PullStage::in_scope(std::string_view alias) const {
  if (!r_.per_integration) return "";
  return " AND " + std::string(alias) + "integration_id = ?1";
}

Result<std::unique_ptr<PullStage>> PullStage::open(Store& store, const Resource& r, std::string scope) {
  try {
    auto& db = StoreInternals::db(store);
    // A page cache of 8 MiB; no mmap (its pages would count as the process's memory and grow with
    // the account).
    db.exec("PRAGMA cache_size = -8192");
    db.exec("PRAGMA temp.journal_mode = OFF");
    std::unique_ptr<PullStage> stage(new PullStage(store, r, std::move(scope)));
    // Pages are appended to pull_incoming in arrival order (each TEMP page written once); when the
    // listing is complete, one sort moves them to pull_stage, keyed by id (finish_staging). Random
    // ids inserted one by one into a keyed table would rewrite its pages again and again.
    std::string cols = store::mirror_columns_sql(r);
    cols = cols.substr(0, cols.find(", PRIMARY KEY"));
    for (const char* tag : {" PRIMARY KEY", " NOT NULL"})
      for (auto at = cols.find(tag); at != std::string::npos; at = cols.find(tag)) cols.erase(at, std::string(tag).size());
    const std::string columns = cols + ", unknown_fields TEXT, content_hash INTEGER, is_new INTEGER NOT NULL";
    const std::string t = std::string(r.table);
    db.exec("CREATE TEMP TABLE IF NOT EXISTS pull_incoming_" + t + " (" + columns + ")");
    db.exec("CREATE TEMP TABLE IF NOT EXISTS pull_stage_" + t + " (" + columns +
            ", plain INTEGER NOT NULL DEFAULT 1, PRIMARY KEY (id)) WITHOUT ROWID");
    db.exec("CREATE TEMP TABLE IF NOT EXISTS pull_history_" + t +
            " (seq INTEGER PRIMARY KEY, object_id TEXT NOT NULL, op TEXT NOT NULL, field TEXT, old_value, new_value)");
    db.exec("CREATE TEMP TABLE IF NOT EXISTS pull_pages_" + t +
            " (page INTEGER PRIMARY KEY, body_hash INTEGER NOT NULL, count INTEGER NOT NULL, next TEXT, "
            "objects INTEGER NOT NULL, ids BLOB, unchanged INTEGER NOT NULL)");
    db.exec("DELETE FROM temp.pull_pages_" + t);
    db.exec("DROP INDEX IF EXISTS temp.pull_stage_new_by_hash_" + t);  // built when first needed (new_with_hash)
    db.exec("DELETE FROM " + stage->temp("incoming"));
    db.exec("DELETE FROM " + stage->temp("stage"));
    db.exec("DELETE FROM " + stage->temp("history"));
    stage->started_ = db.execAndGet(std::string("SELECT ") + kNow).getString();
    return stage;
  } catch (const std::exception& e) {
    return db_error("preparing the pull's staging tables", e);
  }
}

PullStage::~PullStage() {
  try {
    auto& db = StoreInternals::db(store_);
    db.exec("DELETE FROM " + temp("incoming"));
    db.exec("DELETE FROM " + temp("stage"));
    db.exec("DELETE FROM " + temp("history"));
    db.exec("DELETE FROM " + temp("pages"));
  } catch (...) {  // a temp table dies with the connection anyway
  }
}

Result<PullStage::PageOutcome> PullStage::add_page(const std::vector<Record>& objects) {
  PageOutcome out;
  try {
    auto& db = StoreInternals::db(store_);
    SQLite::Transaction txn(db, SQLite::TransactionBehavior::DEFERRED);
    auto& base = StoreInternals::cached(store_, store::base_lookup_sql(r_));
    auto& stage = StoreInternals::cached(store_, "INSERT INTO " + temp("incoming") + " (" + store::columns(r_) +
                                                     ", unknown_fields, content_hash, is_new) VALUES (" +
                                                     store::placeholders(r_) + ",?,?,?)");
    const int extra_at = store::column_count(r_) + 1;
    for (const auto& o : objects) {
      std::int64_t hash = content_hash(o);
      base.reset();
      if (r_.per_integration) {
        base.bindNoCopy(1, scope_);
        base.bindNoCopy(2, o.id);
      } else {
        base.bindNoCopy(1, o.id);
      }
      bool known = base.executeStep();
      if (known) {
        // Seen ids of the base are one bit each (by rowid): constant memory for any account.
        auto rowid = static_cast<std::size_t>(base.getColumn(0).getInt64());
        if (seen_.size() <= rowid) seen_.resize(rowid + 1 + rowid / 2);
        if (seen_[rowid]) out.duplicates.push_back(o.id);
        seen_[rowid] = true;
        if (!base.getColumn(1).isNull() && base.getColumn(1).getInt64() == hash) continue;
      }
      stage.reset();
      store::bind_record(stage, 1, o, scope_);  // every parameter is bound again: no clearBindings
      bind_text(stage, extra_at, o.extra);
      stage.bind(extra_at + 1, static_cast<int64_t>(hash));
      stage.bind(extra_at + 2, known ? 0 : 1);
      stage.exec();
      out.staged++;
      incoming_rows_++;
    }
    base.reset();
    txn.commit();
    return out;
  } catch (const std::exception& e) {
    return db_error("staging a page of " + std::string(r_.name), e);
  }
}

Result<std::vector<std::string>> PullStage::finish_staging() {
  try {
    auto& db = StoreInternals::db(store_);
    // In id order (one external sort). Of an object listed twice the last copy listed comes first
    // (rowid DESC) and is the one kept; so the stage holds fewer rows than were appended exactly
    // when an id was listed twice, and no count of the stage is needed to know it.
    const std::string cols = store::columns(r_) + ", unknown_fields, content_hash, is_new";
    staged_rows_ += db.exec("INSERT INTO " + temp("stage") + " (" + cols + ") SELECT " + cols + " FROM " +
                            temp("incoming") + " WHERE true ORDER BY id, rowid DESC ON CONFLICT(id) DO NOTHING");
    std::vector<std::string> reported;
    if (staged_rows_ != incoming_rows_) {
      SQLite::Statement twice(db, "SELECT id FROM " + temp("incoming") +
                                      " GROUP BY id HAVING count(*) > 1 AND max(is_new) = 1");
      while (twice.executeStep()) reported.push_back(twice.getColumn(0).getString());  // known ids: add_page said so
    }
    db.exec("DELETE FROM " + temp("incoming"));
    incoming_rows_ = 0;
    return reported;
  } catch (const std::exception& e) {
    return db_error("sorting the staged " + std::string(r_.name), e);
  }
}

Result<std::vector<std::string>> PullStage::missing_ids() {
  try {
    SQLite::Statement q(StoreInternals::db(store_),
                        "SELECT rowid, id FROM main." + std::string(r_.base_table) + " WHERE true" + in_scope());
    if (r_.per_integration) q.bind(1, scope_);
    std::vector<std::string> out;
    while (q.executeStep()) {
      auto rowid = static_cast<std::size_t>(q.getColumn(0).getInt64());
      if (rowid >= seen_.size() || !seen_[rowid]) out.push_back(q.getColumn(1).getString());
    }
    return out;
  } catch (const std::exception& e) {
    return db_error("finding " + std::string(r_.name) + " missing from the listing", e);
  }
}

Result<long long> PullStage::base_count() {
  try {
    SQLite::Statement q(StoreInternals::db(store_),
                        "SELECT count(*) FROM main." + std::string(r_.base_table) + " WHERE true" + in_scope());
    if (r_.per_integration) q.bind(1, scope_);
    q.executeStep();
    return q.getColumn(0).getInt64();
  } catch (const std::exception& e) {
    return db_error("counting the base", e);
  }
}

Result<long long> PullStage::staged_count() { return staged_rows_; }

Result<std::vector<Record>> PullStage::read_staged(const std::string& where, const std::function<void(SQLite::Statement&)>& bind) {
  try {
    SQLite::Statement q(StoreInternals::db(store_),
                        "SELECT " + store::columns(r_) + ", unknown_fields FROM " + temp("stage") + " WHERE " + where);
    bind(q);
    std::vector<Record> out;
    const int extra_at = store::column_count(r_);
    while (q.executeStep()) {
      out.push_back(store::read_record(q, 0, r_));
      out.back().extra = store::text(q.getColumn(extra_at));
    }
    return out;
  } catch (const std::exception& e) {
    return db_error("reading staged " + std::string(r_.name), e);
  }
}

Result<std::vector<Record>> PullStage::staged(const std::string& after_id, int limit, std::string& last_id) {
  last_id = after_id;
  auto out = read_staged("id > ?1 ORDER BY id LIMIT ?2", [&](SQLite::Statement& q) {
    q.bind(1, after_id);
    q.bind(2, limit);
  });
  if (out && !out->empty()) last_id = out->back().id;
  return out;
}

Result<std::vector<Record>> PullStage::new_with_hash(std::int64_t hash) {
  if (!hash_index_) {  // built once, on the first confirmed deletion: one look-up per deletion, not a scan
    try {
      const std::string t(r_.table);
      StoreInternals::db(store_).exec("CREATE INDEX IF NOT EXISTS temp.pull_stage_new_by_hash_" + t + " ON pull_stage_" +
                                      t + " (content_hash) WHERE is_new = 1");
      hash_index_ = true;
    } catch (const std::exception& e) {
      return db_error("indexing the staged " + std::string(r_.name) + " by content", e);
    }
  }
  return read_staged("content_hash = ?1 AND is_new = 1",
                     [&](SQLite::Statement& q) { q.bind(1, static_cast<int64_t>(hash)); });
}

Result<std::optional<Record>> PullStage::staged_one(const std::string& id) {
  auto r = read_staged("id = ?1", [&](SQLite::Statement& q) { q.bind(1, id); });
  if (!r) return r.error();
  if (r->empty()) return std::optional<Record>{};
  return std::optional<Record>(r->front());
}

Status PullStage::unstage(const std::string& id) {
  try {
    SQLite::Statement q(StoreInternals::db(store_), "DELETE FROM " + temp("stage") + " WHERE id = ?");
    q.bind(1, id);
    staged_rows_ -= q.exec();
    return ok_status();
  } catch (const std::exception& e) {
    return db_error("unstaging " + id, e);
  }
}

Result<std::int64_t> PullStage::prepare_apply(bool first_load) {
  try {
    auto& db = StoreInternals::db(store_);
    // One read snapshot of the mirror; the writes go to TEMP only, so no write lock is taken.
    SQLite::Transaction snapshot(db, SQLite::TransactionBehavior::DEFERRED);
    std::int64_t watermark = 0;
    if (r_.two_way) {
      watermark = db.execAndGet("SELECT coalesce(max(id), 0) FROM main.pending_changes").getInt64();
      // Rows are staged plain; only the (few) objects with an active change are marked, by id.
      db.exec("UPDATE " + temp("stage") + " SET plain = 0 WHERE plain = 1 AND id IN (SELECT integration_id FROM "
              "main.pending_changes WHERE state IN " + kActiveStates.sql() + ")");
    }
    db.exec("DELETE FROM " + temp("history"));
    if (!first_load) {
      // Changes are taken against what both sides last agreed on: the base of a two-way resource,
      // the mirror itself of a read-only one.
      const std::string agreed = std::string(r_.two_way ? r_.base_table : r_.table);
      for (const Field& f : r_.fields) {
        if (f.name == "id") continue;
        const std::string c(f.name);
        SQLite::Statement q(db, "INSERT INTO " + temp("history") + " (object_id, op, field, old_value, new_value) SELECT "
                                "s.id, 'update', '" + c + "', a." + c + ", s." + c + " FROM " + temp("stage") +
                                " s CROSS JOIN main." + agreed + " a ON " + store::same_key(r_, "a", "s") +
                                " WHERE s.plain = 1 AND s." + c + " IS NOT a." + c);
        q.exec();
      }
      db.exec("INSERT INTO " + temp("history") + " (object_id, op, new_value) SELECT s.id, 'insert', " +
              json_object_of(r_, "s") + " FROM " + temp("stage") + " s WHERE s.is_new = 1 AND s.plain = 1");
    }
    snapshot.commit();
    return watermark;
  } catch (const std::exception& e) {
    return db_error("preparing the pulled " + std::string(r_.name), e);
  }
}

std::string PullStage::history_insert_sql() const {
  if (r_.two_way)
    return "INSERT INTO main." + std::string(r_.history_table) +
           " (at, integration_id, source, op, field, old_value, new_value) SELECT " + kNow +
           ", object_id, 'remote', op, field, old_value, new_value FROM " + temp("history") + " ORDER BY seq";
  return "INSERT INTO main." + std::string(r_.history_table) +
         " (at, resource, integration_id, object_id, op, field, old_value, new_value) SELECT " + kNow + ", '" +
         std::string(r_.name) + "', ?1, object_id, op, field, old_value, new_value FROM " + temp("history") +
         " ORDER BY seq";
}

Result<PullStage::Applied> PullStage::apply_plain(Store::Txn& txn, std::int64_t watermark,
                                                  std::vector<std::string>& with_changes) {
  Applied out;
  try {
    auto& db = StoreInternals::db(txn);
    std::optional<TriggersOff> quiet;
    if (only_own_triggers(db, r_)) quiet.emplace(db);
    const std::string stage = temp("stage"), table(r_.table), base(r_.base_table);
    if (r_.two_way) {
      // Changes queued since prepare_apply (an edit made while the pull ran): their objects are
      // merged one by one, and the history prepared for them is dropped. Settled changes never
      // become active again (a retried change is a new row), so rows past the watermark are all that
      // can be new.
      SQLite::Statement late(db, "UPDATE " + stage + " SET plain = 0 WHERE plain = 1 AND id IN (SELECT integration_id "
                                 "FROM main.pending_changes WHERE id > ? AND state IN " + kActiveStates.sql() + ")");
      late.bind(1, static_cast<int64_t>(watermark));
      if (late.exec() > 0)
        db.exec("DELETE FROM " + temp("history") + " WHERE object_id IN (SELECT id FROM " + stage + " WHERE plain = 0)");
      SQLite::Statement changed(db, "SELECT id FROM " + stage + " WHERE plain = 0");
      while (changed.executeStep()) with_changes.push_back(changed.getColumn(0).getString());
    }
    if (!r_.two_way) {
      // A row another writer (a webhook's hint) wrote after this listing began reading holds a
      // newer version than the listing's copy: it is left as it is.
      SQLite::Statement newer(db, "DELETE FROM " + stage + " WHERE EXISTS (SELECT 1 FROM main." + base +
                                      " b WHERE b.integration_id = ?1 AND b.id = " + stage + ".id AND b.synced_at > ?2)");
      newer.bind(1, scope_);
      newer.bind(2, started_);
      if (int skipped = newer.exec(); skipped > 0) {
        staged_rows_ -= skipped;
        db.exec("DELETE FROM " + temp("history") + " WHERE object_id NOT IN (SELECT id FROM " + stage + ")");
      }
    }
    SQLite::Statement history(db, history_insert_sql());
    if (r_.per_integration) history.bind(1, scope_);
    history.exec();
    SQLite::Statement counts(db, "SELECT total(is_new), total(1 - is_new) FROM " + stage + " WHERE plain = 1");
    counts.executeStep();
    out.inserted = counts.getColumn(0).getInt64();
    out.updated = counts.getColumn(1).getInt64();
    const std::string cols = store::columns(r_);
    const std::string key = std::string(r_.key_columns());
    // The stage is keyed by id, so both tables are written in id order (few pages touched). Known
    // objects are updated in place (an UPDATE ... FROM costs a third less than an upsert); a
    // known object whose mirror row is missing is inserted after.
    db.exec("INSERT INTO main." + table + " (" + cols + ") SELECT " + cols + " FROM " + stage +
            " s WHERE plain = 1 AND is_new = 1 ON CONFLICT(" + key + ") DO UPDATE SET " + store::set_from_excluded(r_));
    std::string names, values;
    for (const Field& f : r_.fields) {
      if (f.name == "id") continue;
      names += (names.empty() ? "" : ", ") + std::string(f.name);
      values += (values.empty() ? "s." : ", s.") + std::string(f.name);
    }
    int in_place = db.exec("UPDATE main." + table + " AS i SET (" + names + ") = (" + values + ") FROM " + stage +
                           " s WHERE " + store::same_key(r_, "i", "s") + " AND s.plain = 1 AND s.is_new = 0");
    if (in_place < out.updated)
      db.exec("INSERT INTO main." + table + " (" + cols + ") SELECT " + cols + " FROM " + stage +
              " s WHERE plain = 1 AND is_new = 0 AND NOT EXISTS (SELECT 1 FROM main." + table + " m WHERE " +
              store::same_key(r_, "m", "s") + ")");
    // Plain copies write the mirror and the base alike: if the self-check had found them equal
    // as of the last write, they still are (Store::divergences).
    if (r_.two_way)
      db.exec("UPDATE gigasync_control SET writes = writes + 1, checked = CASE WHEN checked = writes THEN writes + 1 "
              "ELSE checked END");
    const std::string kept = r_.two_way ? cols + ", unknown_fields" : key + ", unknown_fields";
    const std::string update = r_.two_way ? store::set_from_excluded(r_) + ", " : "";
    db.exec("INSERT INTO main." + base + " (" + kept + ", synced_at, content_hash) SELECT " + kept + ", " + kNow +
            ", content_hash FROM " + stage + " s WHERE plain = 1 ON CONFLICT(" + key + ") DO UPDATE SET " + update +
            "synced_at = excluded.synced_at, content_hash = excluded.content_hash, unknown_fields = excluded.unknown_fields");
    return out;
  } catch (const std::exception& e) {
    return db_error("applying the pulled " + std::string(r_.name), e);
  }
}

namespace {

// A page's ids as one blob: each id's length (4 bytes, little-endian), then its bytes.
std::string pack_ids(const std::vector<Record>& objects) {
  std::string out;
  for (const auto& o : objects) {
    auto n = static_cast<std::uint32_t>(o.id.size());
    for (int b = 0; b < 4; ++b) out += static_cast<char>((n >> (8 * b)) & 0xff);
    out += o.id;
  }
  return out;
}

std::vector<std::string> unpack_ids(const void* data, int size) {
  std::vector<std::string> out;
  const auto* p = static_cast<const unsigned char*>(data);
  for (int at = 0; at + 4 <= size;) {
    std::uint32_t n = p[at] | (p[at + 1] << 8) | (p[at + 2] << 16) | (static_cast<std::uint32_t>(p[at + 3]) << 24);
    at += 4;
    if (at + static_cast<int>(n) > size) break;
    out.emplace_back(reinterpret_cast<const char*>(p + at), n);
    at += static_cast<int>(n);
  }
  return out;
}

}  // namespace

Result<std::map<long long, PullStage::CachedPage>> PullStage::cached_pages(const std::string& query) {
  query_ = query;
  try {
    SQLite::Statement q(StoreInternals::db(store_),
                        "SELECT page, body_hash, count, next, objects FROM main.listing_pages WHERE resource = ? AND "
                        "scope = ? AND query = ?");
    q.bind(1, std::string(r_.name));
    q.bind(2, scope_);
    q.bind(3, query);
    std::map<long long, CachedPage> out;
    while (q.executeStep()) {
      CachedPage p;
      p.hash = static_cast<std::uint64_t>(q.getColumn(1).getInt64());
      p.count = q.getColumn(2).getInt64();
      p.next = store::text(q.getColumn(3));
      p.objects = q.getColumn(4).getInt64();
      out.emplace(q.getColumn(0).getInt64(), std::move(p));
    }
    return out;
  } catch (const std::exception& e) {
    return db_error("reading the page cache of " + std::string(r_.name), e);
  }
}

Status PullStage::note_page(long long number, std::uint64_t hash, long long count, const std::optional<std::string>& next,
                            const std::vector<Record>* objects) {
  try {
    if (objects == nullptr) {
      auto& q = StoreInternals::cached(store_, "INSERT OR REPLACE INTO " + temp("pages") +
                                  " (page, body_hash, count, next, objects, ids, unchanged) SELECT page, body_hash, count, "
                                  "next, objects, ids, 1 FROM main.listing_pages WHERE resource = ? AND scope = ? AND "
                                  "query = ? AND page = ?");
      q.bind(1, std::string(r_.name));
      q.bind(2, scope_);
      q.bind(3, query_);
      q.bind(4, static_cast<int64_t>(number));
      q.exec();
      return ok_status();
    }
    auto& q = StoreInternals::cached(store_, "INSERT OR REPLACE INTO " + temp("pages") +
                                                 " (page, body_hash, count, next, objects, ids, unchanged) VALUES (?, ?, "
                                                 "?, ?, ?, ?, 0)");
    q.bind(1, static_cast<int64_t>(number));
    q.bind(2, static_cast<int64_t>(hash));
    q.bind(3, static_cast<int64_t>(count));
    bind_text(q, 4, next);
    q.bind(5, static_cast<int64_t>(objects->size()));
    std::string ids = pack_ids(*objects);
    q.bind(6, ids.data(), static_cast<int>(ids.size()));
    q.exec();
    return ok_status();
  } catch (const std::exception& e) {
    return db_error("noting a page of " + std::string(r_.name), e);
  }
}

Status PullStage::mark_unchanged_seen(std::vector<std::string>& duplicates) {
  try {
    auto& db = StoreInternals::db(store_);
    SQLite::Statement pages(db, "SELECT ids FROM " + temp("pages") + " WHERE unchanged = 1 ORDER BY page");
    auto& base = StoreInternals::cached(store_, store::base_lookup_sql(r_));
    while (pages.executeStep()) {
      auto blob = pages.getColumn(0);
      for (const auto& id : unpack_ids(blob.getBlob(), blob.getBytes())) {
        base.reset();
        base.clearBindings();
        if (r_.per_integration) {
          base.bind(1, scope_);
          base.bind(2, id);
        } else {
          base.bind(1, id);
        }
        if (!base.executeStep()) continue;  // left the base since (a deletion, applied): a miss, not a sighting
        auto rowid = static_cast<std::size_t>(base.getColumn(0).getInt64());
        if (seen_.size() <= rowid) seen_.resize(rowid + 1 + rowid / 2);
        if (seen_[rowid]) duplicates.push_back(id);
        seen_[rowid] = true;
      }
    }
    base.reset();
    return ok_status();
  } catch (const std::exception& e) {
    return db_error("marking the unchanged pages of " + std::string(r_.name), e);
  }
}

Status PullStage::save_pages(Store::Txn& txn) {
  try {
    auto& db = StoreInternals::db(txn);
    SQLite::Statement clear(db, "DELETE FROM main.listing_pages WHERE resource = ? AND scope = ? AND query = ?");
    clear.bind(1, std::string(r_.name));
    clear.bind(2, scope_);
    clear.bind(3, query_);
    clear.exec();
    SQLite::Statement copy(db, "INSERT INTO main.listing_pages (resource, scope, query, page, body_hash, count, next, "
                               "objects, ids) SELECT ?, ?, ?, page, body_hash, count, next, objects, ids FROM " +
                                   temp("pages") + " WHERE ids IS NOT NULL");
    copy.bind(1, std::string(r_.name));
    copy.bind(2, scope_);
    copy.bind(3, query_);
    copy.exec();
    return ok_status();
  } catch (const std::exception& e) {
    return db_error("saving the page cache of " + std::string(r_.name), e);
  }
}

Status PullStage::forget_pages(Store::Txn& txn) {
  try {
    SQLite::Statement q(StoreInternals::db(txn), "DELETE FROM main.listing_pages WHERE resource = ? AND scope = ?");
    q.bind(1, std::string(r_.name));
    q.bind(2, scope_);
    q.exec();
    return ok_status();
  } catch (const std::exception& e) {
    return db_error("forgetting the page cache of " + std::string(r_.name), e);
  }
}

Result<long long> PullStage::apply_deletions(Store::Txn& txn, const std::vector<std::string>& ids) {
  if (r_.two_way) return make_error(ExitCode::software, "apply_deletions: two-way deletions go through the reconciler");
  try {
    auto& db = StoreInternals::db(txn);
    const std::string table(r_.table), base(r_.base_table);
    SQLite::Statement history(db, "INSERT INTO main." + std::string(r_.history_table) +
                                      " (at, resource, integration_id, object_id, op, old_value) SELECT " + kNow +
                                      ", '" + std::string(r_.name) + "', integration_id, id, 'delete', " +
                                      json_object_of(r_, "m") + " FROM main." + table +
                                      " m WHERE m.integration_id = ?1 AND m.id = ?2");
    SQLite::Statement from_mirror(db, "DELETE FROM main." + table + " WHERE integration_id = ?1 AND id = ?2");
    SQLite::Statement from_base(db, "DELETE FROM main." + base + " WHERE integration_id = ?1 AND id = ?2");
    long long deleted = 0;
    for (const auto& id : ids) {
      for (SQLite::Statement* q : {&history, &from_mirror, &from_base}) {
        q->reset();
        q->bind(1, scope_);
        q->bind(2, id);
      }
      history.exec();
      deleted += from_mirror.exec();
      from_base.exec();
    }
    return deleted;
  } catch (const std::exception& e) {
    return db_error("deleting " + std::string(r_.name), e);
  }
}

}  // namespace gigasync
