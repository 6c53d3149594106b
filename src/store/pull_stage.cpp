// The pull's staging tables (TEMP, on the store's connection) and the bulk apply.
#include <SQLiteCpp/SQLiteCpp.h>

#include "gigasync/store.h"
#include "store/db_error.h"
#include "store/rows.h"
#include "store/schema.h"

namespace gigasync {
namespace {

constexpr const char* kCols = store::kColumns;
constexpr const char* kFields[] = {"name", "logo", "metadata", "email", "recipient",
                                   "address_line_1", "address_line_2", "zip_code", "city"};
// Staged rows that no active outbox row concerns: copied as they are.
const std::string kPlain = std::string("NOT EXISTS (SELECT 1 FROM pending_changes p WHERE p.integration_id = s.id AND p.state IN ") +
                          schema::kActiveStates + ")";

using store::db_error;

using store::bind_text;

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
    db.exec(std::string("CREATE TEMP TABLE IF NOT EXISTS pull_stage (") +
            "id TEXT PRIMARY KEY, name TEXT, type INTEGER, logo TEXT, metadata TEXT, email TEXT, recipient TEXT, "
            "address_line_1 TEXT, address_line_2 TEXT, zip_code TEXT, city TEXT, unknown_fields TEXT, content_hash INTEGER, "
            "is_new INTEGER NOT NULL)");
    db.exec("DELETE FROM temp.pull_stage");
    return std::unique_ptr<PullStage>(new PullStage(store));
  } catch (const std::exception& e) {
    return db_error("preparing the pull's staging tables", e);
  }
}

PullStage::~PullStage() {
  try {
    store_.db().exec("DELETE FROM temp.pull_stage");
  } catch (...) {  // a temp table dies with the connection anyway
  }
}

Result<PullStage::PageOutcome> PullStage::add_page(const std::vector<Integration>& objects) {
  PageOutcome out;
  try {
    SQLite::Transaction txn(store_.db(), SQLite::TransactionBehavior::DEFERRED);
    auto& base = store_.cached("SELECT rowid, content_hash FROM main.integration_base WHERE id = ?");
    auto& already = store_.cached("SELECT 1 FROM temp.pull_stage WHERE id = ?");
    auto& stage = store_.cached(std::string("INSERT OR REPLACE INTO temp.pull_stage (") + kStagedCols +
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
      } else {
        already.reset();
        already.clearBindings();
        already.bind(1, o.id);
        if (already.executeStep()) out.duplicates.push_back(o.id);
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
    }
    base.reset();
    already.reset();
    txn.commit();
    return out;
  } catch (const std::exception& e) {
    return db_error("staging a page", e);
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

Result<long long> PullStage::staged_count() {
  try {
    return store_.db().execAndGet("SELECT count(*) FROM temp.pull_stage").getInt64();
  } catch (const std::exception& e) {
    return db_error("counting staged integrations", e);
  }
}

Result<std::vector<Integration>> PullStage::staged(long long after_rowid, int limit, long long& last_rowid) {
  SQLite::Statement q(store_.db(), std::string("SELECT ") + kStagedCols +
                                       ", rowid FROM temp.pull_stage WHERE rowid > ? ORDER BY rowid LIMIT ?");
  last_rowid = after_rowid;
  try {
    q.bind(1, static_cast<int64_t>(after_rowid));
    q.bind(2, limit);
    std::vector<Integration> out;
    while (q.executeStep()) {
      out.push_back(row_of(q));
      last_rowid = q.getColumn(12).getInt64();
    }
    return out;
  } catch (const std::exception& e) {
    return db_error("reading staged integrations", e);
  }
}

Result<std::vector<Integration>> PullStage::new_with_hash(std::int64_t hash) {
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
    q.exec();
    return ok_status();
  } catch (const std::exception& e) {
    return db_error("unstaging " + id, e);
  }
}

Result<PullStage::Applied> PullStage::apply_plain(Store::Txn& txn, bool first_load,
                                                  std::vector<std::string>& with_changes) {
  Applied out;
  try {
    auto& db = txn.db();
    SQLite::Statement changed(db, std::string("SELECT s.id FROM temp.pull_stage s WHERE NOT ") + kPlain);
    while (changed.executeStep()) with_changes.push_back(changed.getColumn(0).getString());
    std::string now = "strftime('%Y-%m-%dT%H:%M:%fZ','now')";
    std::string plain = std::string(" AND ") + kPlain;
    if (!first_load) {
      for (const char* f : kFields) {
        std::string c = f;
        db.exec("INSERT INTO integration_changes (at, integration_id, source, op, field, old_value, new_value) SELECT " +
                now + ", s.id, 'remote', 'update', '" + c + "', b." + c + ", s." + c +
                " FROM temp.pull_stage s JOIN main.integration_base b ON b.id = s.id WHERE s." + c + " IS NOT b." + c +
                plain);
      }
      db.exec("INSERT INTO integration_changes (at, integration_id, source, op, new_value) SELECT " + now +
              ", s.id, 'remote', 'insert', " + json_object_of("s") + " FROM temp.pull_stage s WHERE s.is_new = 1" + plain);
    }
    out.inserted = db.execAndGet(std::string("SELECT count(*) FROM temp.pull_stage s WHERE is_new = 1") + plain).getInt64();
    out.updated = db.execAndGet(std::string("SELECT count(*) FROM temp.pull_stage s WHERE is_new = 0") + plain).getInt64();
    std::string set;
    for (const char* f : kFields) set += std::string(set.empty() ? "" : ", ") + f + " = excluded." + f;
    set += ", type = excluded.type";
    db.exec(std::string("INSERT INTO main.integrations (") + kCols + ") SELECT " + kCols +
            " FROM temp.pull_stage s WHERE true" + plain + " ON CONFLICT(id) DO UPDATE SET " + set);
    db.exec(std::string("INSERT INTO main.integration_base (") + kStagedCols + ", synced_at, content_hash) SELECT " +
            kStagedCols + ", " + now + ", content_hash FROM temp.pull_stage s WHERE true" + plain +
            " ON CONFLICT(id) DO UPDATE SET " + set +
            ", synced_at = excluded.synced_at, content_hash = excluded.content_hash, unknown_fields = excluded.unknown_fields");
    return out;
  } catch (const std::exception& e) {
    return db_error("applying the pulled integrations", e);
  }
}

}  // namespace gigasync
