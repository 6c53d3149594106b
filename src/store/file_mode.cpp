#include "store/file_mode.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

namespace gigasync::store {
namespace {

constexpr mode_t kOwnerOnly = 0600;

std::string octal(mode_t mode) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(mode & 07777));
  return buf;
}

bool exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

// The WARN for a mirror others can read, naming the chmod for it and its WAL and SHM files.
void warn_open_to_others(const std::string& path, mode_t mode) {
  std::string files = path;
  for (const char* suffix : {"-wal", "-shm"})
    if (exists(path + suffix)) files += " " + path + suffix;
  spdlog::warn("database {} is open to group or others (mode {}), and it holds names, e-mail and invoice "
               "addresses; run: chmod 600 {}",
               path, octal(mode), files);
}

}  // namespace

Status prepare_private_file(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, kOwnerOnly);
  if (fd >= 0) {
    (void)::fchmod(fd, kOwnerOnly);  // exactly 0600, whatever the umask took away
    ::close(fd);
    return ok_status();
  }
  struct stat st {};
  if (errno == EEXIST && ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 077) != 0)
    warn_open_to_others(path, st.st_mode);
  return ok_status();
}

}  // namespace gigasync::store
