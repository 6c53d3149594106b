#pragma once
// The SQLite mirror: schema and migrations, the mirror and its base, the outbox, conflicts,
// run records and history. SQLiteCpp exceptions stop at this module's edge and become Errors.
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string_view>
#include <string>
#include <vector>

#include "gigasync/change.h"
#include "gigasync/error.h"
#include "gigasync/integration.h"
#include "gigasync/record.h"
#include "gigasync/resource.h"
#include "gigasync/timestamp.h"
#include "gigasync/layer.h"
GIGASYNC_LAYER(store);

namespace SQLite { class Database; class Statement; }

namespace gigasync {

inline constexpr int kSchemaVersion = 7;

// `integrations` is what people see and edit; `integration_base` is the last version both sides
// agreed on (the base of the three-way comparison). gigasync's own writes go to both.
enum class Table { mirror, base };

struct RunRecord {
  long long id = 0;
  std::string mode;    // pull | push | full | dry-run
  std::string status;  // running | ok | partial | unpushed | diverged | failed
  long long pages = 0, fetched = 0, inserted = 0, updated = 0, deleted = 0;
  long long pushed = 0, push_failed = 0, conflicts = 0, diverged = 0;
  long long deletions_held = 0;  // remote deletions the delete guard held back
  // The account's read-only mirrors: objects read, rows written (inserted, updated or deleted),
  // and resource-and-integration pairs whose objects the API refused.
  long long account_fetched = 0, account_written = 0, refused = 0;
  std::string error;
};

struct HistoryEntry {
  std::string integration_id;
  std::string source;  // remote | local
  std::string op;      // insert | update | delete
  std::string field;   // "" for whole-row inserts/deletes
  std::optional<std::string> old_value, new_value;
};

// A difference between the mirror and its base that no active change explains.
struct Divergence {
  std::string integration_id;
  std::vector<std::string> fields;  // "(row)" when one side has no row
};

struct Conflict {
  long long id = 0;
  std::string integration_id, field, detected_at, resolved_at, resolution;
  std::optional<std::string> base_value, local_value, remote_value;
  std::optional<long long> change_id;
};

inline Conflict make_conflict(std::string integration_id, std::string field, std::optional<std::string> base,
                              std::optional<std::string> local, std::optional<std::string> remote) {
  Conflict c;
  c.integration_id = std::move(integration_id);
  c.field = std::move(field);
  c.base_value = std::move(base);
  c.local_value = std::move(local);
  c.remote_value = std::move(remote);
  return c;
}

struct StatusCounts {
  long long integrations = 0, pending = 0, in_flight = 0, failed = 0, held = 0, open_conflicts = 0;
  std::optional<RunRecord> last_run;
  std::string last_run_started, last_run_finished, last_success;
};

// How Store::open treats the file.
enum class OpenMode {
  create,     // read-write: a missing file (and folder) is created and the schema migrated forward
  read_only,  // for commands that only read: a missing file is refused, nothing is ever written
};

class Store {
 public:
  // Opens (creating the file and its folder when missing), sets WAL and a busy timeout,
  // and migrates the schema forward. Errors: cant_create when the file can not be opened or
  // written or is not a SQLite database; software when its schema is newer than this build (it is
  // never downgraded).
  // OpenMode::read_only also refuses a missing file and a schema that needs migrating; a
  // read-only folder is read with SQLite's immutable mode. $GIGASYNC_TEST_MAX_PAGE_COUNT (a
  // test knob) caps the file at that many pages, to make a "disk full" on demand.
  static Result<std::unique_ptr<Store>> open(const std::string& path, OpenMode mode = OpenMode::create);
  ~Store();

  const std::string& path() const { return path_; }

  Result<std::map<std::string, Integration>> load_all(Table t);
  Result<std::optional<Integration>> load_one(Table t, const std::string& id);
  Result<std::vector<std::string>> mirror_ids();

  // --- The account's read-only mirrors (src/store/account_state.cpp) ---------------------------
  // The integrations both sides agree exist (the base's ids), whose objects are mirrored.
  Result<std::vector<std::string>> integration_ids();
  // One object of `r` under `integration_id` as the mirror has it (nullopt: not there).
  Result<std::optional<Record>> load_record(const Resource& r, const std::string& integration_id,
                                            const std::string& id);
  // The ids of `r`'s objects under `integration_id` that can still change (Resource::unsettled_sql).
  Result<std::vector<std::string>> unsettled_ids(const Resource& r, const std::string& integration_id);
  // Where the incremental sync of one resource of one integration stands.
  struct AccountState {
    std::optional<UnixMicros> full_at;          // the start of the last complete listing (this clock)
    std::map<std::string, UnixMicros> newest;  // per timestamp field: the newest time seen (the API's clock)
    std::string refused;                       // why its objects were refused the last time ("" = they were not)
  };
  Result<AccountState> account_state(const Resource& r, const std::string& integration_id);
  // Records a complete listing started at `started` (every field's newest time is kept as seen).
  Status record_full_list(const Resource& r, const std::string& integration_id, UnixMicros started);
  // Raises the newest times seen (a time only ever moves forward; nothing is written when none does).
  Status record_newest(const Resource& r, const std::string& integration_id,
                       const std::map<std::string, UnixMicros>& newest);
  // Records that the API refused (`why`) or served ("" ) this resource of this integration; writes
  // only when that changes.
  Status record_refusal(const Resource& r, const std::string& integration_id, const std::string& why);
  // Every refusal on record: "payouts of integration X: why".
  Result<std::vector<std::string>> refusals();
  // Rows per mirror table, by resource name ("integrations", "payouts", ...).
  Result<std::map<std::string, long long>> resource_counts();
  // Removes the account's objects of integrations the mirror no longer has (deleted in the API,
  // which deletes their objects with them), with a history row each, and what the sync kept for
  // them. Returns how many objects left the mirrors.
  Result<long long> purge_orphans();
  // Forgets the page cache of `r` under `integration_id` (its base was written outside a full list).
  Status forget_pages(const Resource& r, const std::string& integration_id);

  // --- Webhooks (`gigasync webhooks`): one per integration; its secret stays in this file -----
  struct Webhook {
    std::string integration_id, webhook_id, url, secret, created_at;
  };
  Result<std::optional<Webhook>> webhook(const std::string& integration_id);
  Result<std::vector<Webhook>> webhooks();
  Status save_webhook(const Webhook& w);
  Status remove_webhook(const std::string& integration_id);

  Result<long long> begin_run(const std::string& mode);
  Status finish_run(const RunRecord& r);
  // (src/store/runs.cpp) Marks every run still `running` as `abandoned` (finished_at now, an
  // error saying why) and returns how many there were. REQUIRES: the caller holds the
  // CycleLock, so such a row belongs to a process that died in its cycle (it can not be running).
  Result<long long> abandon_dead_runs();
  // The id of the newest run, 0 when there is none.
  Result<long long> last_run_id();
  // Marks the runs after `after_id` as `interrupted` (a stop signal cut the cycle short),
  // putting `why` before the error they recorded. What they settled stays committed.
  Status mark_interrupted(long long after_id, const std::string& why);
  Result<StatusCounts> status_counts();

  // A write transaction (BEGIN IMMEDIATE) whose writes to `integrations` are not captured as
  // local changes. Nothing is visible to readers before commit(); destruction without commit()
  // rolls back.
  class Txn {
   public:
    explicit Txn(Store& s);
    ~Txn();
    Status begin();
    Status commit();
    Status upsert(Table t, const Integration& o);
    Status remove(Table t, const std::string& id);
    Status add_history(const HistoryEntry& h);
    Result<std::optional<Integration>> get(Table t, const std::string& id);
    // The outbox rows of an integration that are not done, oldest first.
    Result<std::vector<Change>> active_changes(const std::string& integration_id);
    // Writes state, attempts, op, payload, last_error and sent_body of an existing row.
    // Only the outbox module (outbox.h) calls it.
    Status write_change(const Change& c);
    // A new outbox row with a fresh idempotency key; returns its id. Only the outbox module calls it.
    Result<long long> insert_change(const std::string& integration_id, ChangeOp op, const std::string& payload,
                                    const std::string& base, ChangeState state);
    Result<long long> record_conflict(const Conflict& c);  // updates the open one for the same field
    Result<std::vector<Conflict>> open_conflicts(const std::string& integration_id);
    Result<std::optional<Change>> change_by_id(long long id);  // any state
    Result<std::optional<Conflict>> conflict_by_id(long long id);
    Status resolve_conflict(long long id, const std::string& resolution);
    // Ids with outbox rows that are not done.
    Result<std::set<std::string>> active_change_ids();
    // Local renames not pushed yet: the mirror row of remote id R is called new_id.
    Result<std::optional<std::string>> renamed_to(const std::string& remote_id);
    Result<std::map<std::string, std::string>> pending_renames();  // remote id -> mirror id
    // After the API took a rename (or a remote rename was recognised): the base, the outbox, the
    // conflicts and the history of `from` now belong to `to`; the local rename record is dropped.
    // `mirror_too` also renames the mirror row (a remote rename).
    Status follow_rename(const std::string& from, const std::string& to, bool mirror_too);
    // Undoes a local rename that is not pushed: the mirror row takes the remote id again.
    Status undo_rename(const std::string& remote_id);
   private:
    friend class PullStage;
    friend struct StoreInternals;
    SQLite::Database& db();
    void forget_pages();
    Store& store_;
    bool open_ = false;
  };

  // Outbox and conflict reads for the commands.
  Result<std::vector<Change>> list_changes(bool include_done);
  Result<std::optional<Change>> get_change(long long id);
  Result<std::vector<Conflict>> list_conflicts(bool include_resolved);
  Result<std::optional<Conflict>> get_conflict(long long id);
  // Ids of integrations whose oldest active outbox row is pending or in flight (push candidates).
  Result<std::vector<std::string>> integrations_with_pending();

  // After a cycle: history, run records, settled outbox rows and resolved conflicts older than
  // `keep_history_days` are deleted (0 keeps everything), then the WAL is checkpointed (its file
  // is kept under journal_size_limit). Returns how many rows were deleted.
  Result<long long> maintain(int keep_history_days);

  // A consistent copy of the whole database (mirror, base, outbox, conflicts, history) at `file`,
  // taken while other processes read and write (VACUUM INTO), created owner-only (0600).
  // Errors: usage when `file` exists; cant_create when it can not be written.
  Status backup_to(const std::string& file);

  // `gigasync check`: Ok when a write transaction can be started (and is rolled back at once);
  // Error(cant_create) naming the file otherwise.
  Status check_writable();
  // `gigasync demo`: up to `limit` ids of custom (type 3) integrations, by name.
  Result<std::vector<std::string>> custom_integration_ids(int limit);

  // Operator state (gigasync_state): "" when the key is not set.
  Result<std::string> state(const std::string& key);
  // Mirror rows that differ from their base while no active change explains it (read only).
  Result<std::vector<Divergence>> divergences();
  Status set_state(const std::string& key, const std::string& value);
  // The newest outbox row's id (0 when empty).
  Result<long long> newest_change_id();
  // Integrations with a pending change newer than change `after` (what the outbound guard counts).
  Result<long long> integrations_to_push_after(long long after);

 private:
  // The connection is the store's own: every other layer asks typed questions (the SQL lives in
  // src/store/ only). The files of store/ reach it through StoreInternals (src/store/internals.h).
  friend class PullStage;
  friend struct StoreInternals;
  SQLite::Database& db() { return *db_; }
  // A prepared statement kept for reuse (reset, bindings cleared). Hot paths use it: preparing an
  // INSERT into `integrations` compiles its triggers each time.
  SQLite::Statement& cached(const std::string& sql);
  Store(std::string path, std::unique_ptr<SQLite::Database> db);
  std::string path_;
  std::unique_ptr<SQLite::Database> db_;
  std::map<std::string, std::unique_ptr<SQLite::Statement>> statements_;
};

// `gigasync demo`: an UPDATE of one field of one integration made the way a person makes it, on a
// connection of its own (as the sqlite3 shell would), so the capture triggers record it.
// REQUIRES: `field` is one of the integration's mutable fields.
Status edit_as_a_person(const std::string& db_path, const std::string& id, std::string_view field,
                        const std::string& value);

// The pull's staging area for one listing of one resource (and one integration, for a
// per-integration resource): TEMP tables on the store's connection (outside the mirror's file, so
// staging never holds the mirror's write lock). Pages are added as they arrive; an object whose
// content hash equals its base row's is only marked seen. Nothing here is visible to other
// connections; apply_plain() writes the staged rows in the caller's transaction.
class PullStage {
 public:
  // Creates (or empties) the staging tables of `r`. `scope`: the integration a per-integration
  // listing is read under. REQUIRES: no transaction open on the store.
  static Result<std::unique_ptr<PullStage>> open(Store& store, const Resource& r, std::string scope = "");
  static Result<std::unique_ptr<PullStage>> open(Store& store) { return open(store, integrations_resource()); }
  ~PullStage();

  const Resource& resource() const { return r_; }
  const std::string& scope() const { return scope_; }

  struct PageOutcome {
    long long staged = 0;                 // new or changed objects
    std::vector<std::string> duplicates;  // ids of the base this pass had seen already (page drift)
  };
  // One page, in one short transaction on the staging tables.
  Result<PageOutcome> add_page(const std::vector<Record>& objects);

  // After the last page: sorts what add_page appended into the stage keyed by id, keeping the last
  // copy of an object listed more than once. Returns the ids new to the base that were listed more
  // than once (page drift; a known id listed twice is in add_page's duplicates already).
  Result<std::vector<std::string>> finish_staging();
  Result<std::vector<std::string>> missing_ids();  // base ids (in scope) this pass did not see
  Result<long long> base_count();                  // rows in the base (in scope): the mirror's size
  Result<long long> staged_count();                // kept as rows are sorted in and unstaged: no scan
  // Staged objects in id order, `limit` at a time after `after_id` ("" for the first).
  Result<std::vector<Record>> staged(const std::string& after_id, int limit, std::string& last_id);
  // Staged objects that are new to the base and have `hash` (a renamed object's content).
  Result<std::vector<Record>> new_with_hash(std::int64_t hash);
  Result<std::optional<Record>> staged_one(const std::string& id);
  Status unstage(const std::string& id);

  struct Applied {
    long long inserted = 0, updated = 0;
  };
  // Outside the write lock: marks the staged objects no active change concerns ("plain"; every
  // object of a read-only resource) and computes their history rows into TEMP (none when
  // `first_load`: the run row records a new mirror's first pull). Returns the outbox's watermark
  // (its highest change id; 0 for a read-only resource) for apply_plain.
  // REQUIRES: no transaction open on the store.
  Result<std::int64_t> prepare_apply(bool first_load);
  // Inside `txn` (the write lock): copies the plain objects to the mirror and the base, and their
  // prepared history, in a few statements. An object whose change was queued after `watermark` is
  // not plain any more. Returns the ids of staged objects with active changes (merged one by one).
  Result<Applied> apply_plain(Store::Txn& txn, std::int64_t watermark, std::vector<std::string>& with_changes);
  // The page cache of a complete listing (its `query`; "" for the full list): the pages as they
  // were when last applied, by number. A page read again with the same bytes holds the same
  // objects, all equal to their base rows, so it need not be parsed.
  struct CachedPage {
    std::uint64_t hash = 0;
    long long count = 0;
    std::optional<std::string> next;
    long long objects = 0;
  };
  Result<std::map<long long, CachedPage>> cached_pages(const std::string& query);
  // Notes page `number` of this pass, parsed (`objects`) or unchanged (null: its ids come from
  // the cache), for mark_unchanged_seen and save_pages.
  Status note_page(long long number, std::uint64_t hash, long long count, const std::optional<std::string>& next,
                   const std::vector<Record>* objects);
  // Marks the ids of the unchanged pages seen, as add_page does for parsed ones (one look-up per
  // id); appends ids seen twice to `duplicates`.
  Status mark_unchanged_seen(std::vector<std::string>& duplicates);
  // The pages noted this pass replace the listing's cache, inside `txn` (after the apply).
  Status save_pages(Store::Txn& txn);
  // Inside `txn`: forgets every cached page of this resource and scope (the base was written
  // outside a complete listing).
  Status forget_pages(Store::Txn& txn);

  // Inside `txn`: removes confirmed deletions of a read-only resource (mirror, base, a history row
  // each). Returns how many rows left the mirror. Error(software) for a two-way resource, whose
  // deletions are merged with local changes instead.
  Result<long long> apply_deletions(Store::Txn& txn, const std::vector<std::string>& ids);

 private:
  PullStage(Store& store, const Resource& r, std::string scope) : store_(store), r_(r), scope_(std::move(scope)) {}
  std::string temp(std::string_view what) const;
  std::string in_scope(std::string_view alias = "") const;
  std::string history_insert_sql() const;
  Result<std::vector<Record>> read_staged(const std::string& where, const std::function<void(SQLite::Statement&)>& bind);

  Store& store_;
  const Resource& r_;
  std::string scope_;
  std::string query_;       // the listing whose pages are noted (cached_pages)
  std::string started_;     // when the listing began (SQLite's clock, as synced_at is written)
  std::vector<bool> seen_;  // base rowids listed by this pass
  bool hash_index_ = false;  // the temp index of new objects by content hash exists
  long long incoming_rows_ = 0;  // rows appended to the incoming table since the last finish_staging
  long long staged_rows_ = 0;    // rows in the stage
};

}  // namespace gigasync
