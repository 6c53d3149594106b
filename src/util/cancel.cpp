#include "gigasync/cancel.h"

namespace gigasync {
std::atomic<bool>& stop_flag() {
  static std::atomic<bool> flag{false};
  return flag;
}
}  // namespace gigasync
