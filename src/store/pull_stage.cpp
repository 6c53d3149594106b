// The pull's staging tables (TEMP, on the store's connection) and the bulk apply.
#include <SQLiteCpp/SQLiteCpp.h>
#include <sqlite3.h>

#include <optional>
#include <stdexcept>

#include "gigasync/store.h"
#include "store/db_error.h"
#include "store/pull_queries.h"
#include "store/rows.h"
#include "store/schema.h"

namespace gigasync {
namespace {

constexpr const char* kCols = store::kColumns;
constexpr const char* kFields[] = {"name", "logo", "metadata", "email", "recipient",
                                   "address_line_1", "address_line_2", "zip_code", "city"};

using store::db_error;

using store::bind_text;

// Turns this connection's triggers off while it lives (other connections keep theirs). Inside a
// Store::Txn every trigger of gigasync's on `integrations` is a no-op (gigasync_control.applying
// = 1), but SQLite still enters each trigger's program per row to find that out: 0.2 s per
// 100,000 rows written. Switching triggers off re-prepares this connection's statements (twice
// per cycle), so it is used for the bulk statements only, and only when no trigger of a person's
// is on a table they write (only_own_triggers): a person's audit trigger must see pulled rows.
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

// True when every trigger on the tables the bulk apply writes is one of gigasync's own.
bool only_own_triggers(SQLite::Database& db) {
  return db.execAndGet(std::string("SELECT count(*) FROM main.sqlite_master WHERE type = 'trigger' AND tbl_name IN "
                                   "('integrations', 'integration_base', 'integration_changes') AND name NOT IN ") +
                       schema::kOwnTriggers)
             .getInt() == 0;
}

// Staged rows are read as kCols, unknown_fields (column 11).
constexpr const char* kStagedCols =
    "id, name, type, logo, metadata, email, recipient, address_line_1, address_line_2, zip_code, city, unknown_fields";

Integration row_of(SQLite::Statement& q) {
  Integration o = store::row_to_integration(q);
  o.extra = store::text(q.getColumn(11));
  return o;
}

template <class F>
Result<std::vector<Integration>> rows(SQLite::Statement& q, F bind) {
  try {
    bind(q);
    std::vector<Integration> out;
    while (q.executeStep()) out.push_back(row_of(q));
    return out;
  } catch (const std::exception& e) {
    return db_error("reading staged integrations", e);
  }
}

std::string json_object_of(const char* alias) {
  std::string out = "json_object('id', " + std::string(alias) + ".id, 'type', " + alias + ".type";
  for (const char* f : kFields) {
    std::string c = std::string(alias) + "." + f;
    out += std::string(", '") + f + "', " + (std::string(f) == "metadata" ? "json(" + c + ")" : c);
  }
  return out + ")";
}

}  // namespace

Result<std::unique_ptr<PullStage>> PullStage::open(Store& store) {
  try {
    auto& db = store.db();
    // A page cache of 8 MiB; no mmap (its pages would count as the process's memory and grow with
    // the account).
    db.exec("PRAGMA cache_size = -8192");
    db.exec("PRAGMA temp.journal_mode = OFF");

    // Pages are appended to pull_incoming in arrival order (each TEMP page written once); when the
    // listing is complete, one sort moves them to pull_stage, keyed by id (finish_staging). Random
    // ids inserted one by one into a keyed table would rewrite its pages again and again.
    const std::string columns =
        "id TEXT NOT NULL, name TEXT, type INTEGER, logo TEXT, metadata TEXT, email TEXT, recipient TEXT, "
        "address_line_1 TEXT, address_line_2 TEXT, zip_code TEXT, city TEXT, unknown_fields TEXT, content_hash INTEGER, "
        "is_new INTEGER NOT NULL";
    db.exec("CREATE TEMP TABLE IF NOT EXISTS pull_incoming (" + columns + ")");
    db.exec("CREATE TEMP TABLE IF NOT EXISTS pull_stage (" + columns +
            ", plain INTEGER NOT NULL DEFAULT 1, PRIMARY KEY (id)) WITHOUT ROWID");
    db.exec("DELETE FROM temp.pull_incoming");
    db.exec("DROP INDEX IF EXISTS temp.pull_stage_new_by_hash");  // built when first needed (new_with_hash)
    db.exec("CREATE TEMP TABLE IF NOT EXISTS pull_history (seq INTEGER PRIMARY KEY, integration_id TEXT NOT NULL, "
            "op TEXT NOT NULL, field TEXT, old_value, new_value)");
    db.exec("DELETE FROM temp.pull_stage");
    db.exec("DELETE FROM temp.pull_history");
    return std::unique_ptr<PullStage>(new PullStage(store));
  } catch (const std::exception& e) {
    return db_error("preparing the pull's staging tables", e);
  }
}

PullStage::~PullStage() {
  try {
    store_.db().exec("DELETE FROM temp.pull_incoming");
    store_.db().exec("DELETE FROM temp.pull_stage");
    store_.db().exec("DELETE FROM temp.pull_history");
  } catch (...) {  // a temp table dies with the connection anyway
  }
}

Result<PullStage::PageOutcome> PullStage::add_page(const std::vector<Integration>& objects) {
  PageOutcome out;
  try {
    SQLite::Transaction txn(store_.db(), SQLite::TransactionBehavior::DEFERRED);
    auto& base = store_.cached(store::kBaseLookup);
    auto& stage = store_.cached(std::string("INSERT INTO temp.pull_incoming (") + kStagedCols +
                                ", content_hash, is_new) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
    for (const auto& o : objects) {
      std::int64_t hash = content_hash(o);
      base.reset();
      base.clearBindings();
      base.bind(1, o.id);
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
      stage.clearBindings();
      stage.bind(1, o.id);
      bind_text(stage, 2, o.name);
      stage.bind(3, static_cast<int64_t>(o.type));
      bind_text(stage, 4, o.logo);
      bind_text(stage, 5, o.metadata);
      bind_text(stage, 6, o.email);
      bind_text(stage, 7, o.recipient);
      bind_text(stage, 8, o.address_line_1);
      bind_text(stage, 9, o.address_line_2);
      bind_text(stage, 10, o.zip_code);
      bind_text(stage, 11, o.city);
      bind_text(stage, 12, o.extra);
      stage.bind(13, static_cast<int64_t>(hash));
      stage.bind(14, known ? 0 : 1);
      stage.exec();
      out.staged++;
      incoming_rows_++;
    }
    base.reset();
    txn.commit();
    return out;
  } catch (const std::exception& e) {
    return db_error("staging a page", e);
  }
}

Result<std::vector<std::string>> PullStage::finish_staging() {
  try {
    auto& db = store_.db();
    // In id order (one external sort). Of an object listed twice the last copy listed comes first
    // (rowid DESC) and is the one kept; so the stage holds fewer rows than were appended exactly
    // when an id was listed twice, and no count of the stage is needed to know it.
    staged_rows_ = db.exec(std::string("INSERT INTO temp.pull_stage (") + kStagedCols + ", content_hash, is_new) SELECT " +
                           kStagedCols + ", content_hash, is_new FROM temp.pull_incoming WHERE true ORDER BY id, rowid "
                           "DESC ON CONFLICT(id) DO NOTHING");
    std::vector<std::string> reported;
    if (staged_rows_ != incoming_rows_) {
      SQLite::Statement twice(db, "SELECT id FROM temp.pull_incoming GROUP BY id HAVING count(*) > 1 AND max(is_new) = 1");
      while (twice.executeStep()) reported.push_back(twice.getColumn(0).getString());  // known ids: add_page said so
    }
    db.exec("DELETE FROM temp.pull_incoming");
    incoming_rows_ = 0;
    return reported;
  } catch (const std::exception& e) {
    return db_error("sorting the staged integrations", e);
  }
}

Result<std::vector<std::string>> PullStage::missing_ids() {
  try {
    SQLite::Statement q(store_.db(), "SELECT rowid, id FROM main.integration_base");
    std::vector<std::string> out;
    while (q.executeStep()) {
      auto rowid = static_cast<std::size_t>(q.getColumn(0).getInt64());
      if (rowid >= seen_.size() || !seen_[rowid]) out.push_back(q.getColumn(1).getString());
    }
    return out;
  } catch (const std::exception& e) {
    return db_error("finding integrations missing from the listing", e);
  }
}

Result<long long> PullStage::base_count() {
  try {
    return store_.db().execAndGet("SELECT count(*) FROM main.integration_base").getInt64();
  } catch (const std::exception& e) {
    return db_error("counting the base", e);
  }
}

Result<long long> PullStage::staged_count() { return staged_rows_; }

Result<std::vector<Integration>> PullStage::staged(const std::string& after_id, int limit, std::string& last_id) {
  SQLite::Statement q(store_.db(), std::string("SELECT ") + kStagedCols +
                                       " FROM temp.pull_stage WHERE id > ? ORDER BY id LIMIT ?");
  last_id = after_id;
  try {
    q.bind(1, after_id);
    q.bind(2, limit);
    std::vector<Integration> out;
    while (q.executeStep()) {
      out.push_back(row_of(q));
      last_id = out.back().id;
    }
    return out;
  } catch (const std::exception& e) {
    return db_error("reading staged integrations", e);
  }
}

Result<std::vector<Integration>> PullStage::new_with_hash(std::int64_t hash) {
  if (!hash_index_) {  // built once, on the first confirmed deletion: one look-up per deletion, not a scan
    try {
      store_.db().exec("CREATE INDEX IF NOT EXISTS temp.pull_stage_new_by_hash ON pull_stage (content_hash) WHERE is_new = 1");
      hash_index_ = true;
    } catch (const std::exception& e) {
      return db_error("indexing the staged integrations by content", e);
    }
  }
  SQLite::Statement q(store_.db(), std::string("SELECT ") + kStagedCols +
                                       " FROM temp.pull_stage WHERE content_hash = ? AND is_new = 1");
  return rows(q, [&](SQLite::Statement& s) { s.bind(1, static_cast<int64_t>(hash)); });
}

Result<std::optional<Integration>> PullStage::staged_one(const std::string& id) {
  SQLite::Statement q(store_.db(), std::string("SELECT ") + kStagedCols + " FROM temp.pull_stage WHERE id = ?");
  auto r = rows(q, [&](SQLite::Statement& s) { s.bind(1, id); });
  if (!r) return r.error();
  if (r->empty()) return std::optional<Integration>{};
  return std::optional<Integration>(r->front());
}

Status PullStage::unstage(const std::string& id) {
  try {
    SQLite::Statement q(store_.db(), "DELETE FROM temp.pull_stage WHERE id = ?");
    q.bind(1, id);
    staged_rows_ -= q.exec();
    return ok_status();
  } catch (const std::exception& e) {
    return db_error("unstaging " + id, e);
  }
}

Result<std::int64_t> PullStage::prepare_apply(bool first_load) {
  try {
    auto& db = store_.db();
    // One read snapshot of the mirror; the writes go to TEMP only, so no write lock is taken.
    SQLite::Transaction snapshot(db, SQLite::TransactionBehavior::DEFERRED);
    std::int64_t watermark = db.execAndGet("SELECT coalesce(max(id), 0) FROM main.pending_changes").getInt64();
    // Rows are staged plain; only the (few) objects with an active change are marked, by id.
    db.exec(std::string("UPDATE temp.pull_stage SET plain = 0 WHERE plain = 1 AND id IN (SELECT integration_id FROM "
                        "main.pending_changes WHERE state IN ") + schema::kActiveStates + ")");
    db.exec("DELETE FROM temp.pull_history");
    if (!first_load) {
      for (const char* f : kFields) {
        std::string c = f;
        db.exec("INSERT INTO temp.pull_history (integration_id, op, field, old_value, new_value) SELECT s.id, 'update', '" +
                c + "', b." + c + ", s." + c + " FROM temp.pull_stage s CROSS JOIN main.integration_base b ON b.id = s.id WHERE s.plain = 1 AND s." +
                c + " IS NOT b." + c);
      }
      db.exec("INSERT INTO temp.pull_history (integration_id, op, new_value) SELECT s.id, 'insert', " + json_object_of("s") +
              " FROM temp.pull_stage s WHERE s.is_new = 1 AND s.plain = 1");
    }
    snapshot.commit();
    return watermark;
  } catch (const std::exception& e) {
    return db_error("preparing the pulled integrations", e);
  }
}

Result<PullStage::Applied> PullStage::apply_plain(Store::Txn& txn, std::int64_t watermark,
                                                  std::vector<std::string>& with_changes) {
  Applied out;
  try {
    auto& db = txn.db();
    std::optional<TriggersOff> quiet;
    if (only_own_triggers(db)) quiet.emplace(db);
    // Changes queued since prepare_apply (an edit made while the pull ran): their objects are merged
    // one by one, and the history prepared for them is dropped. Settled changes never become active
    // again (a retried change is a new row), so rows past the watermark are all that can be new.
    SQLite::Statement late(db, std::string("UPDATE temp.pull_stage SET plain = 0 WHERE plain = 1 AND id IN (SELECT "
                                           "integration_id FROM main.pending_changes WHERE id > ? AND state IN ") +
                                   schema::kActiveStates + ")");
    late.bind(1, static_cast<int64_t>(watermark));
    if (late.exec() > 0)
      db.exec("DELETE FROM temp.pull_history WHERE integration_id IN (SELECT id FROM temp.pull_stage WHERE plain = 0)");
    SQLite::Statement changed(db, "SELECT id FROM temp.pull_stage WHERE plain = 0");
    while (changed.executeStep()) with_changes.push_back(changed.getColumn(0).getString());
    std::string now = "strftime('%Y-%m-%dT%H:%M:%fZ','now')";
    db.exec("INSERT INTO integration_changes (at, integration_id, source, op, field, old_value, new_value) SELECT " + now +
            ", integration_id, 'remote', op, field, old_value, new_value FROM temp.pull_history ORDER BY seq");
    SQLite::Statement counts(db, "SELECT total(is_new), total(1 - is_new) FROM temp.pull_stage WHERE plain = 1");
    counts.executeStep();
    out.inserted = counts.getColumn(0).getInt64();
    out.updated = counts.getColumn(1).getInt64();
    std::string set;
    for (const char* f : kFields) set += std::string(set.empty() ? "" : ", ") + f + " = excluded." + f;
    set += ", type = excluded.type";
    // The stage is keyed by id, so both tables are written in id order (few pages touched). Known
    // objects are updated in place (an UPDATE ... FROM costs a third less than an upsert); a
    // known object whose mirror row is missing is inserted after.
    db.exec(std::string("INSERT INTO main.integrations (") + kCols + ") SELECT " + kCols +
            " FROM temp.pull_stage s WHERE plain = 1 AND is_new = 1 ON CONFLICT(id) DO UPDATE SET " + set);
    std::string cols, values;
    for (const char* f : kFields) {
      cols += std::string(cols.empty() ? "" : ", ") + f;
      values += std::string(values.empty() ? "" : ", ") + "s." + f;
    }
    int in_place = db.exec("UPDATE main.integrations AS i SET (" + cols + ", type) = (" + values +
                           ", s.type) FROM temp.pull_stage s WHERE s.id = i.id AND s.plain = 1 AND s.is_new = 0");
    if (in_place < out.updated)
      db.exec(std::string("INSERT INTO main.integrations (") + kCols + ") SELECT " + kCols +
              " FROM temp.pull_stage s WHERE plain = 1 AND is_new = 0 AND NOT EXISTS (SELECT 1 FROM main.integrations m "
              "WHERE m.id = s.id)");
    db.exec(std::string("INSERT INTO main.integration_base (") + kStagedCols + ", synced_at, content_hash) SELECT " +
            kStagedCols + ", " + now + ", content_hash FROM temp.pull_stage s WHERE plain = 1" +
            " ON CONFLICT(id) DO UPDATE SET " + set +
            ", synced_at = excluded.synced_at, content_hash = excluded.content_hash, unknown_fields = excluded.unknown_fields");
    return out;
  } catch (const std::exception& e) {
    return db_error("applying the pulled integrations", e);
  }
}

}  // namespace gigasync
