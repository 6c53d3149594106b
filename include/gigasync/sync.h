#pragma once
// One sync cycle: pull (page through the API, three-way merge into the mirror), then push (send
// the outbox). Also the cycle lock shared by `sync` and `daemon`.
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "gigasync/api_client.h"
#include "gigasync/remote.h"
#include "gigasync/config.h"
#include "gigasync/error.h"
#include "gigasync/store.h"
#include "gigasync/layer.h"
GIGASYNC_LAYER(sync);

namespace gigasync {

struct SyncOptions {
  bool pull = true;
  bool push = true;
  bool dry_run = false;        // compute and print, write nothing
  bool force_deletes = false;  // allow more than max_delete_fraction deletions
  bool force_push = false;     // approve every queued change past the outbound guard, then push
  bool full = false;           // re-list every resource of the account in full now (sync --full)
};

// One resource's objects in one cycle that pulled (the metrics' `resource` label).
struct ResourceCycle {
  long long fetched = 0;  // objects read from the API (listings and single GETs)
  long long written = 0;  // rows of its mirror inserted, updated or deleted
  bool operator==(const ResourceCycle&) const = default;
};

struct SyncReport {
  RunRecord run;
  // ok; partial (rejected changes, open conflicts, refused deletions); unavailable (changes left
  // unpushed after the retries); software (the self-check found a difference nothing explains).
  ExitCode exit = ExitCode::ok;
  long long mirrored = 0;        // integrations in the mirror after the cycle
  long long pending = 0, failed = 0, open_conflicts = 0;
  long long unpushed = 0;        // changes left pending because the API did not answer (exit 69)
  long long held_by_guard = 0;   // integrations the outbound guard kept from being pushed (exit 1)
  bool push_paused = false;      // `gigasync pause` is in force: nothing was pushed
  bool deletions_refused = false;
  // Resources of integrations whose objects the API refused (a 4XX): "payouts of integration X: ..."
  std::vector<std::string> refused;
  // A cycle that pulled: per resource ("integrations" and each of account.resources). Empty for a
  // push-only cycle.
  std::map<std::string, ResourceCycle> by_resource;
  std::vector<std::string> plan;  // dry run: what would happen, one line each
  std::string summary() const;    // one line for logs and systemd STATUS=
};

// Runs one cycle. Hard failures (auth 77, contract 65, unreachable 69, redirect 78, database) are
// returned as Errors after the run is recorded as failed in sync_runs; the mirror then holds
// exactly what it held before the pull (the pull writes in one transaction at its end).
Result<SyncReport> run_cycle(const Config& cfg, Store& store, Remote& api, const SyncOptions& options);

// `gigasync verify`: every difference between the mirror and a fresh listing of the API, one line
// each ("" list = equal). Differences that a waiting local change explains are marked so.
Result<std::vector<std::string>> verify(const Config& cfg, Store& store, Remote& api);

// `gigasync refresh ID…`: each integration read now (GET) and applied as a pull would (merged with
// pending changes, conflicts by policy, history); a 404 confirms a deletion. One line per id.
// REQUIRES: the caller holds the CycleLock.
Result<std::vector<std::string>> refresh(const Config& cfg, Store& store, Remote& api,
                                         const std::vector<std::string>& ids);

// An exclusive lock per database (flock on "<db>.lock"), released when the holder exits or dies.
class CycleLock {
 public:
  // Waits up to `wait_s` seconds (0 = try once). Error(locked) when another process holds it.
  static Result<std::unique_ptr<CycleLock>> acquire(const std::string& db_path, double wait_s);
  ~CycleLock();
  CycleLock(const CycleLock&) = delete;
  CycleLock& operator=(const CycleLock&) = delete;

 private:
  explicit CycleLock(int fd) : fd_(fd) {}
  int fd_;
};

}  // namespace gigasync
