#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>

#include "gigasync/cancel.h"
#include "gigasync/sync.h"

namespace gigasync {

Result<std::unique_ptr<CycleLock>> CycleLock::acquire(const std::string& db_path, double wait_s) {
  std::string path = db_path + ".lock";
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0)
    return make_error(ExitCode::cant_create, "cannot open lock file " + path + ": " + std::strerror(errno));
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(static_cast<long long>(wait_s * 1000));
  while (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    if (errno != EWOULDBLOCK && errno != EINTR) {
      std::string why = std::strerror(errno);
      ::close(fd);
      return make_error(ExitCode::cant_create, "cannot lock " + path + ": " + why);
    }
    if (std::chrono::steady_clock::now() >= deadline || stop_requested()) {
      ::close(fd);
      return make_error(ExitCode::locked, "another gigasync cycle is running on " + db_path +
                                              (wait_s > 0 ? " (waited " + std::to_string(static_cast<int>(wait_s)) + " s)"
                                                          : " (use --wait SECONDS to wait for it)"));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return std::unique_ptr<CycleLock>(new CycleLock(fd));
}

CycleLock::~CycleLock() {
  ::flock(fd_, LOCK_UN);
  ::close(fd_);
}

}  // namespace gigasync
