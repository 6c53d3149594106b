#pragma once
// The store's SQLite connection, for the files of store/ (and for tests, which inspect it). No
// other layer includes this header: they ask Store typed questions (include/gigasync/store.h).
#include <SQLiteCpp/SQLiteCpp.h>

#include <string>

#include "gigasync/store.h"
#include "gigasync/layer.h"
GIGASYNC_PRIVATE(store);

namespace gigasync {

struct StoreInternals {
  static SQLite::Database& db(Store& s) { return s.db(); }
  static SQLite::Database& db(Store::Txn& t) { return t.db(); }
  static SQLite::Statement& cached(Store& s, const std::string& sql) { return s.cached(sql); }
};

}  // namespace gigasync
