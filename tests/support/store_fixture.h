#pragma once
// Test shorthand for tests that open a Store on a temporary file and seed it as a sync would.
#include <catch2/catch.hpp>
#include <memory>

#include "gigasync/store.h"
#include "support/process.h"

namespace gigasync::test {

// The store of `dir`/mirror.db, created at the current schema.
inline std::unique_ptr<Store> open_store(const TempDir& dir) {
  auto s = Store::open(dir.str("mirror.db"));
  REQUIRE(s.ok());
  return std::move(s.value());
}

// What a sync leaves behind: the row in both the mirror and the base (gigasync's own write).
inline void seed(Store& store, const Integration& o) {
  Store::Txn txn(store);
  REQUIRE(txn.begin().ok());
  REQUIRE(txn.upsert(Table::base, o).ok());
  REQUIRE(txn.upsert(Table::mirror, o).ok());
  REQUIRE(txn.commit().ok());
}

}  // namespace gigasync::test
