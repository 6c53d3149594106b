#pragma once
// Noticing local edits of the mirror made by any process (sqlite3 shell, scripts, gigasync).
//
// A dedicated read connection polls `PRAGMA data_version`, which changes only when another
// connection committed; that costs no disk read. Only then does it read a fingerprint of the
// outbox rows that hold edits not yet sent (state pending, attempts 0): their count, highest id
// and latest updated_at. The capture triggers either add such a row or fold an edit into one
// (updating updated_at), so an edit always changes the fingerprint, while gigasync's own writes
// (sending rows, pulling) only make the set smaller or leave it alone.
#include <memory>
#include <string>

#include "gigasync/error.h"
#include "gigasync/layer.h"
GIGASYNC_LAYER(store);

namespace SQLite {
class Database;
}

namespace gigasync {

class ChangeWatch {
 public:
  // Opens its own connection to the existing database at `path` and takes the current state as
  // seen (edits already queued are the next cycle's business). Error(cant_create) on failure.
  static Result<std::unique_ptr<ChangeWatch>> open(const std::string& path);
  ~ChangeWatch();
  ChangeWatch(const ChangeWatch&) = delete;
  ChangeWatch& operator=(const ChangeWatch&) = delete;

  // True when edits waiting to be pushed were recorded since the last call. A database error
  // (e.g. busy) is logged at debug level and reads as "no edit" until the next call.
  bool poll();

 private:
  struct Fingerprint {
    long long count = 0, max_id = 0;
    std::string max_updated;
    bool operator==(const Fingerprint&) const = default;
  };
  explicit ChangeWatch(std::unique_ptr<SQLite::Database> db);
  long long data_version();
  Fingerprint fingerprint();

  std::unique_ptr<SQLite::Database> db_;
  long long version_ = 0;
  Fingerprint seen_;
};

}  // namespace gigasync
