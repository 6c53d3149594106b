#pragma once
// A process-wide stop request (set by SIGTERM/SIGINT handlers), checked by retry loops and sleeps.
#include <atomic>

namespace gigasync {

// The flag itself; signal handlers may store to it (lock-free atomic).
std::atomic<bool>& stop_flag();
inline bool stop_requested() { return stop_flag().load(std::memory_order_relaxed); }

}  // namespace gigasync
