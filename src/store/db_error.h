#pragma once
// One translation of SQLite's exceptions into the project's errors, for every file of store/.
#include <SQLiteCpp/Exception.h>
#include <sqlite3.h>

#include <exception>
#include <string>

#include "gigasync/error.h"
#include "gigasync/layer.h"
GIGASYNC_PRIVATE(store);

namespace gigasync::store {

// "database: <what>: <SQLite's message>". A full disk, an I/O error or a read-only file is
// ExitCode::cant_create (73: the database can not be written); anything else is software (70).
inline Error db_error(const std::string& what, const std::exception& e) {
  ExitCode code = ExitCode::software;
  if (const auto* sql = dynamic_cast<const SQLite::Exception*>(&e)) {
    int primary = sql->getErrorCode() & 0xff;
    if (primary == SQLITE_FULL || primary == SQLITE_IOERR || primary == SQLITE_READONLY || primary == SQLITE_CANTOPEN)
      code = ExitCode::cant_create;
  }
  return make_error(code, "database: " + what + ": " + e.what());
}

}  // namespace gigasync::store
