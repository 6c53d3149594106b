#pragma once
// A process-wide stop request (set by SIGTERM/SIGINT handlers), checked by retry loops and sleeps.
#include <atomic>

#include "gigasync/layer.h"
GIGASYNC_LAYER(util);

namespace gigasync {

// The flag itself; signal handlers may store to it (lock-free atomic).
std::atomic<bool>& stop_flag();
inline bool stop_requested() { return stop_flag().load(std::memory_order_relaxed); }

// The signal that asked to stop (SIGTERM, SIGINT), 0 when none did. Set before stop_flag().
std::atomic<int>& stop_signal();

// The conventional exit code of a process stopped by `sig`: 128 + sig (130 for SIGINT, 143 for
// SIGTERM); 0 when no signal asked to stop.
inline int exit_code_for_stop(int sig) { return sig > 0 ? 128 + sig : 0; }

}  // namespace gigasync
