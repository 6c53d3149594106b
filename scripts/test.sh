#!/usr/bin/env bash
# README command 2: install what is missing, build with warnings as errors, run the whole test
# suite with ctest; then build the tests again with AddressSanitizer + UBSan and run them there.
# GIGASYNC_SKIP_SANITIZERS=1 skips the second pass (quicker local runs).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
jobs=$(nproc)

cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DGIGASYNC_WERROR=ON >/dev/null
cmake --build build -j"$jobs"
(cd build && ctest --output-on-failure -j"$jobs" --timeout 900)

if [ "${GIGASYNC_SKIP_SANITIZERS:-0}" != "1" ]; then
  cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DGIGASYNC_WERROR=ON -DGIGASYNC_SANITIZE=ON >/dev/null
  cmake --build build-asan -j"$jobs"
  export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
  (cd build-asan && ctest --output-on-failure -j"$jobs" --timeout 1800 -E "${GIGASYNC_ASAN_EXCLUDE:-^$}")
fi
