#include "gigasync/cancel.h"

namespace gigasync {
std::atomic<bool>& stop_flag() {
  static std::atomic<bool> flag{false};
  return flag;
}
std::atomic<int>& stop_signal() {
  static std::atomic<int> sig{0};
  return sig;
}
}  // namespace gigasync
