// Store: the account's read-only mirrors: their objects one by one, and the incremental sync's
// state (account_sync, account_watermarks).
#include <SQLiteCpp/SQLiteCpp.h>

#include "gigasync/store.h"
#include "store/db_error.h"
#include "store/internals.h"
#include "store/rows.h"

namespace gigasync {

using store::db_error;

Result<std::vector<std::string>> Store::integration_ids() {
  try {
    std::vector<std::string> out;
    SQLite::Statement q(*db_, "SELECT id FROM integration_base ORDER BY id");
    while (q.executeStep()) out.push_back(q.getColumn(0).getString());
    return out;
  } catch (const std::exception& e) {
    return db_error("reading the integrations", e);
  }
}

Result<std::optional<Record>> Store::load_record(const Resource& r, const std::string& integration_id,
                                                 const std::string& id) {
  try {
    SQLite::Statement q(*db_, "SELECT " + store::columns(r) + " FROM " + std::string(r.table) +
                                  (r.per_integration ? " WHERE integration_id = ? AND id = ?" : " WHERE id = ?"));
    int i = 1;
    if (r.per_integration) q.bind(i++, integration_id);
    q.bind(i, id);
    if (!q.executeStep()) return std::optional<Record>{};
    return std::optional<Record>(store::read_record(q, 0, r));
  } catch (const std::exception& e) {
    return db_error("reading " + std::string(r.singular) + " " + id, e);
  }
}

Result<std::vector<std::string>> Store::unsettled_ids(const Resource& r, const std::string& integration_id) {
  if (r.unsettled_sql.empty()) return std::vector<std::string>{};
  try {
    SQLite::Statement q(*db_, "SELECT id FROM " + std::string(r.table) + " WHERE integration_id = ? AND " +
                                  std::string(r.unsettled_sql));
    q.bind(1, integration_id);
    std::vector<std::string> out;
    while (q.executeStep()) out.push_back(q.getColumn(0).getString());
    return out;
  } catch (const std::exception& e) {
    return db_error("reading the unsettled " + std::string(r.name), e);
  }
}

Result<Store::AccountState> Store::account_state(const Resource& r, const std::string& integration_id) {
  try {
    AccountState out;
    SQLite::Statement q(*db_, "SELECT full_at, coalesce(refused_error, '') FROM account_sync WHERE resource = ? AND "
                              "integration_id = ?");
    q.bind(1, std::string(r.name));
    q.bind(2, integration_id);
    if (q.executeStep()) {
      if (!q.getColumn(0).isNull()) out.full_at = parse_iso8601(q.getColumn(0).getString());
      out.refused = q.getColumn(1).getString();
    }
    SQLite::Statement w(*db_, "SELECT field, max_micros FROM account_watermarks WHERE resource = ? AND integration_id = ?");
    w.bind(1, std::string(r.name));
    w.bind(2, integration_id);
    while (w.executeStep()) out.newest.emplace(w.getColumn(0).getString(), w.getColumn(1).getInt64());
    return out;
  } catch (const std::exception& e) {
    return db_error("reading the sync state of " + std::string(r.name) + " of integration " + integration_id, e);
  }
}

Status Store::record_full_list(const Resource& r, const std::string& integration_id, UnixMicros started) {
  try {
    SQLite::Statement q(*db_, "INSERT INTO account_sync (resource, integration_id, full_at) VALUES (?, ?, ?) "
                              "ON CONFLICT (resource, integration_id) DO UPDATE SET full_at = excluded.full_at");
    q.bind(1, std::string(r.name));
    q.bind(2, integration_id);
    q.bind(3, format_iso8601_micros(started));
    q.exec();
    return ok_status();
  } catch (const std::exception& e) {
    return db_error("recording the full list of " + std::string(r.name), e);
  }
}

Status Store::record_newest(const Resource& r, const std::string& integration_id,
                            const std::map<std::string, UnixMicros>& newest) {
  if (newest.empty()) return ok_status();
  try {
    SQLite::Transaction txn(*db_, SQLite::TransactionBehavior::IMMEDIATE);
    SQLite::Statement q(*db_, "INSERT INTO account_watermarks (resource, integration_id, field, max_micros) VALUES "
                              "(?, ?, ?, ?) ON CONFLICT (resource, integration_id, field) DO UPDATE SET max_micros = "
                              "excluded.max_micros WHERE excluded.max_micros > account_watermarks.max_micros");
    for (const auto& [field, t] : newest) {
      q.reset();
      q.bind(1, std::string(r.name));
      q.bind(2, integration_id);
      q.bind(3, field);
      q.bind(4, static_cast<int64_t>(t));
      q.exec();
    }
    txn.commit();
    return ok_status();
  } catch (const std::exception& e) {
    return db_error("recording the newest times of " + std::string(r.name), e);
  }
}

Status Store::record_refusal(const Resource& r, const std::string& integration_id, const std::string& why) {
  try {
    SQLite::Statement q(*db_, "INSERT INTO account_sync (resource, integration_id, refused_at, refused_error) "
                              "SELECT ?1, ?2, CASE WHEN ?3 = '' THEN NULL ELSE ?4 END, nullif(?3, '') WHERE ?3 <> '' "
                              "ON CONFLICT (resource, integration_id) DO UPDATE SET refused_at = excluded.refused_at, "
                              "refused_error = excluded.refused_error WHERE account_sync.refused_error IS NOT "
                              "excluded.refused_error");
    q.bind(1, std::string(r.name));
    q.bind(2, integration_id);
    q.bind(3, why);
    q.bind(4, now_iso8601());
    q.exec();
    if (why.empty()) {
      SQLite::Statement clear(*db_, "UPDATE account_sync SET refused_at = NULL, refused_error = NULL WHERE resource = ? "
                                    "AND integration_id = ? AND refused_error IS NOT NULL");
      clear.bind(1, std::string(r.name));
      clear.bind(2, integration_id);
      clear.exec();
    }
    return ok_status();
  } catch (const std::exception& e) {
    return db_error("recording a refusal of " + std::string(r.name), e);
  }
}

Result<std::vector<std::string>> Store::refusals() {
  try {
    std::vector<std::string> out;
    SQLite::Statement q(*db_, "SELECT resource, integration_id, refused_error FROM account_sync WHERE refused_error IS "
                              "NOT NULL ORDER BY integration_id, resource");
    while (q.executeStep()) {
      // "payouts of integration X: answered HTTP 403 (...)": the stored error's own "refused:
      // payouts of integration X" is not said twice.
      const std::string what = q.getColumn(0).getString() + " of integration " + q.getColumn(1).getString();
      std::string why = q.getColumn(2).getString();
      if (why.starts_with("refused: " + what + " ")) why = why.substr(what.size() + 10);
      out.push_back(what + ": " + why);
    }
    return out;
  } catch (const std::exception& e) {
    return db_error("reading the refusals", e);
  }
}

Result<std::map<std::string, long long>> Store::resource_counts() {
  try {
    std::map<std::string, long long> out;
    for (const Resource* r : all_resources())
      out[std::string(r->name)] = db_->execAndGet("SELECT count(*) FROM " + std::string(r->table)).getInt64();
    return out;
  } catch (const std::exception& e) {
    return db_error("counting the mirrors", e);
  }
}

Result<long long> Store::purge_orphans() {
  try {
    // The integrations whose objects were ever read (account_sync has a row for each resource
    // read) or that have a webhook, and that the mirror no longer has: a small table, no scan of
    // the mirrors.
    std::vector<std::string> orphans;
    {
      SQLite::Statement q(*db_, "SELECT integration_id FROM account_sync UNION SELECT integration_id FROM webhooks "
                                "EXCEPT SELECT id FROM integration_base");
      while (q.executeStep()) orphans.push_back(q.getColumn(0).getString());
    }
    if (orphans.empty()) return 0LL;
    long long removed = 0;
    SQLite::Transaction txn(*db_, SQLite::TransactionBehavior::IMMEDIATE);
    db_->exec("UPDATE gigasync_control SET applying = 1");
    for (const auto& iid : orphans) {
      for (const Resource* r : account_resources()) {
        const std::string t(r->table);
        std::string fields;
        for (const Field& f : r->fields)
          fields += (fields.empty() ? "" : ", ") + std::string("'") + std::string(f.name) + "', " +
                    (f.kind == Kind::object ? "json(" + std::string(f.name) + ")" : std::string(f.name));
        SQLite::Statement history(*db_, "INSERT INTO account_changes (at, resource, integration_id, object_id, op, "
                                        "old_value) SELECT strftime('%Y-%m-%dT%H:%M:%fZ','now'), '" + std::string(r->name) +
                                        "', integration_id, id, 'delete', json_object(" + fields + ") FROM " + t +
                                        " WHERE integration_id = ?");
        history.bind(1, iid);
        history.exec();
        for (const std::string& table : {t, std::string(r->base_table)}) {
          SQLite::Statement del(*db_, "DELETE FROM " + table + " WHERE integration_id = ?");
          del.bind(1, iid);
          int n = del.exec();
          if (table == t) removed += n;
        }
      }
      for (const char* table : {"account_sync", "account_watermarks", "webhooks"}) {
        SQLite::Statement del(*db_, std::string("DELETE FROM ") + table + " WHERE integration_id = ?");
        del.bind(1, iid);
        del.exec();
      }
      SQLite::Statement pages(*db_, "DELETE FROM listing_pages WHERE scope = ?");
      pages.bind(1, iid);
      pages.exec();
    }
    db_->exec("UPDATE gigasync_control SET applying = 0");
    txn.commit();
    return removed;
  } catch (const std::exception& e) {
    return db_error("removing the objects of deleted integrations", e);
  }
}

Status Store::forget_pages(const Resource& r, const std::string& integration_id) {
  try {
    SQLite::Statement q(*db_, "DELETE FROM listing_pages WHERE resource = ? AND scope = ?");
    q.bind(1, std::string(r.name));
    q.bind(2, integration_id);
    q.exec();
    return ok_status();
  } catch (const std::exception& e) {
    return db_error("forgetting the page cache of " + std::string(r.name), e);
  }
}

namespace {

Store::Webhook webhook_of(SQLite::Statement& q) {
  return Store::Webhook{q.getColumn(0).getString(), q.getColumn(1).getString(), q.getColumn(2).getString(),
                        q.getColumn(3).getString(), q.getColumn(4).getString()};
}

constexpr const char* kWebhookColumns = "integration_id, webhook_id, url, secret, created_at";

}  // namespace

Result<std::optional<Store::Webhook>> Store::webhook(const std::string& integration_id) {
  try {
    SQLite::Statement q(*db_, std::string("SELECT ") + kWebhookColumns + " FROM webhooks WHERE integration_id = ?");
    q.bind(1, integration_id);
    if (!q.executeStep()) return std::optional<Webhook>{};
    return std::optional<Webhook>(webhook_of(q));
  } catch (const std::exception& e) {
    return db_error("reading the webhook of integration " + integration_id, e);
  }
}

Result<std::vector<Store::Webhook>> Store::webhooks() {
  try {
    SQLite::Statement q(*db_, std::string("SELECT ") + kWebhookColumns + " FROM webhooks ORDER BY integration_id");
    std::vector<Webhook> out;
    while (q.executeStep()) out.push_back(webhook_of(q));
    return out;
  } catch (const std::exception& e) {
    return db_error("reading the webhooks", e);
  }
}

Status Store::save_webhook(const Webhook& w) {
  try {
    SQLite::Statement q(*db_, std::string("INSERT OR REPLACE INTO webhooks (") + kWebhookColumns +
                                  ") VALUES (?, ?, ?, ?, ?)");
    q.bind(1, w.integration_id);
    q.bind(2, w.webhook_id);
    q.bind(3, w.url);
    q.bind(4, w.secret);
    q.bind(5, w.created_at.empty() ? now_iso8601() : w.created_at);
    q.exec();
    return ok_status();
  } catch (const std::exception& e) {
    return db_error("recording the webhook of integration " + w.integration_id, e);
  }
}

Status Store::remove_webhook(const std::string& integration_id) {
  try {
    SQLite::Statement q(*db_, "DELETE FROM webhooks WHERE integration_id = ?");
    q.bind(1, integration_id);
    q.exec();
    return ok_status();
  } catch (const std::exception& e) {
    return db_error("removing the webhook of integration " + integration_id, e);
  }
}

}  // namespace gigasync
