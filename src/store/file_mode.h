#pragma once
// Owner-only files: the mirror holds names, invoice e-mails and addresses, so gigasync creates
// it (and with it, through SQLite, its -wal and -shm files) readable by its owner only.
#include <string>

#include "gigasync/error.h"
#include "gigasync/layer.h"
GIGASYNC_PRIVATE(store);

namespace gigasync::store {

// Before SQLite opens `path` read-write: a missing file is created empty with mode 0600 (SQLite
// gives the -wal and -shm files it creates later the database file's mode), whatever the umask.
// An existing file readable or writable by group or others is left as it is, with a WARN naming
// it and the chmod to run. Never fails: a file that can not be created is SQLite's to report.
Status prepare_private_file(const std::string& path);

}  // namespace gigasync::store
