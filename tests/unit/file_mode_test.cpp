// Files gigasync creates are owner-only (0600) whatever the umask: the mirror, its -wal and -shm
// files and the lock file; an existing mirror open to others gets a WARN with the chmod to run.
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <sstream>

#include "gigasync/store.h"
#include "gigasync/sync.h"
#include "support/process.h"

using namespace gigasync;
using gigasync::test::TempDir;

namespace {

mode_t mode_of(const std::string& path) {
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  return st.st_mode & 07777;
}

// Sets the umask for the scope of the object.
struct ScopedUmask {
  explicit ScopedUmask(mode_t m) : old(::umask(m)) {}
  ~ScopedUmask() { ::umask(old); }
  mode_t old;
};

// Sends the default logger's lines to a string for the scope of the object.
struct CapturedLog {
  CapturedLog() : old(spdlog::default_logger()) {
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(out);
    spdlog::set_default_logger(std::make_shared<spdlog::logger>("capture", sink));
  }
  ~CapturedLog() { spdlog::set_default_logger(old); }
  std::ostringstream out;
  std::shared_ptr<spdlog::logger> old;
};

}  // namespace

TEST_CASE("a new mirror, its WAL and SHM files and the lock file are 0600 even with umask 0", "[store][files]") {
  TempDir dir;
  const std::string db = dir.str("sub/mirror.db");
  ScopedUmask open_umask(0);
  {
    auto store = Store::open(db);
    REQUIRE(store.ok());
    REQUIRE(store.value()->begin_run("full").ok());  // a write: the -wal file exists now
    CHECK(mode_of(db) == 0600);
    CHECK(mode_of(db + "-wal") == 0600);
    CHECK(mode_of(db + "-shm") == 0600);
    auto lock = CycleLock::acquire(db, 0);
    REQUIRE(lock.ok());
    CHECK(mode_of(db + ".lock") == 0600);
  }
}

TEST_CASE("an existing mirror readable by others is kept but named in a WARN with the chmod", "[store][files]") {
  TempDir dir;
  const std::string db = dir.str("mirror.db");
  REQUIRE(Store::open(db).ok());
  REQUIRE(::chmod(db.c_str(), 0644) == 0);
  CapturedLog log;
  {
    auto store = Store::open(db);
    REQUIRE(store.ok());
  }
  const std::string text = log.out.str();
  INFO(text);
  CHECK(text.find("warning") != std::string::npos);
  CHECK(text.find(db + " is open to group or others (mode 0644)") != std::string::npos);
  CHECK(text.find("chmod 600 " + db) != std::string::npos);
  CHECK(mode_of(db) == 0644);  // not changed behind the owner's back

  REQUIRE(::chmod(db.c_str(), 0600) == 0);
  log.out.str("");
  REQUIRE(Store::open(db).ok());
  CHECK(log.out.str().find("open to group or others") == std::string::npos);
}
