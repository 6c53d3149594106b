#include "sandbox/connection.h"

#include <netdb.h>
#include <sys/socket.h>

#include <cstdlib>
#include <filesystem>

namespace gigasync::sandbox {
namespace {

struct Endpoint {
  std::string addr;
  int port = -1;
};

// The numeric address and port of a socket's own (peer = false) or peer (peer = true) end.
bool endpoint_of(int fd, bool peer, Endpoint& out) {
  sockaddr_storage a{};
  socklen_t len = sizeof a;
  auto* sa = reinterpret_cast<sockaddr*>(&a);
  if ((peer ? getpeername(fd, sa, &len) : getsockname(fd, sa, &len)) != 0) return false;
  char host[NI_MAXHOST];
  char serv[NI_MAXSERV];
  if (getnameinfo(sa, len, host, sizeof host, serv, sizeof serv, NI_NUMERICHOST | NI_NUMERICSERV) != 0) return false;
  out.addr = host;
  out.port = std::atoi(serv);
  return true;
}

bool matches(int fd, const Endpoint& local, const Endpoint& remote) {
  Endpoint e;
  if (!endpoint_of(fd, false, e) || e.port != local.port || e.addr != local.addr) return false;
  return endpoint_of(fd, true, e) && e.port == remote.port && e.addr == remote.addr;
}

}  // namespace

bool drop_connection(const std::string& local_addr, int local_port, const std::string& remote_addr,
                     int remote_port) {
  Endpoint local{local_addr, local_port};
  Endpoint remote{remote_addr, remote_port};
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd", ec)) {
    int fd = std::atoi(entry.path().filename().c_str());
    if (matches(fd, local, remote)) return ::shutdown(fd, SHUT_RDWR) == 0;
  }
  return false;
}

}  // namespace gigasync::sandbox
