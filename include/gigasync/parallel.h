#pragma once
// Runs fn(0..n-1) on up to `workers` threads; stops handing out work once fn returns false.
#include <algorithm>
#include <atomic>
#include <cstddef>
#include <thread>
#include <vector>

#include "gigasync/layer.h"
GIGASYNC_LAYER(util);

namespace gigasync {

template <class Fn>
void parallel_for(size_t n, int workers, Fn fn) {
  std::atomic<size_t> next{0};
  std::atomic<bool> stop{false};
  auto work = [&] {
    for (size_t i = next++; i < n && !stop; i = next++)
      if (!fn(i)) stop = true;
  };
  size_t threads = std::min<size_t>(n, static_cast<size_t>(std::max(1, workers)));
  if (threads <= 1) {
    work();
    return;
  }
  std::vector<std::thread> pool;
  for (size_t t = 0; t < threads; ++t) pool.emplace_back(work);
  for (auto& th : pool) th.join();
}

}  // namespace gigasync
