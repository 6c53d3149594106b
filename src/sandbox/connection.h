#pragma once
// Dropping a connection from inside a request handler, so that the client gets no response.
#include <string>

namespace gigasync::sandbox {

// Finds this process's socket connected from remote_addr:remote_port to local_addr:local_port
// and shuts it down both ways (the client sees the connection close with no response).
// Returns false when no such socket was found. Linux: scans /proc/self/fd.
bool drop_connection(const std::string& local_addr, int local_port, const std::string& remote_addr,
                     int remote_port);

}  // namespace gigasync::sandbox
