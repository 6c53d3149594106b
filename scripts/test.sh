#!/usr/bin/env bash
# README command 2: install what is missing, build with warnings as errors, run the whole test
# suite with ctest; then build the tests again with AddressSanitizer + UBSan and run them there;
# then with ThreadSanitizer, the tests that use threads (parallel pages and pushes, the daemon's
# watchdog and change watcher); then each libFuzzer target for a short fixed run (scripts/fuzz.sh).
# GIGASYNC_SKIP_SANITIZERS=1 skips the ASan, TSan and fuzz passes (quicker local runs);
# GIGASYNC_SKIP_TSAN=1 and GIGASYNC_SKIP_FUZZ=1 skip one of them.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
jobs=$(nproc)

# GIGASYNC_TESTS=ON explicitly: a build folder configured by scripts/demo.sh has the tests off, and
# ctest --no-tests=error fails rather than passing when it finds none.
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DGIGASYNC_WERROR=ON -DGIGASYNC_TESTS=ON >/dev/null
cmake --build build -j"$jobs"
(cd build && ctest --output-on-failure --no-tests=error -j"$jobs" --timeout 900)

if [ "${GIGASYNC_SKIP_SANITIZERS:-0}" != "1" ]; then
  cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DGIGASYNC_WERROR=ON -DGIGASYNC_SANITIZE=ON -DGIGASYNC_TESTS=ON >/dev/null
  cmake --build build-asan -j"$jobs"
  export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
  (cd build-asan && ctest --output-on-failure --no-tests=error -j"$jobs" --timeout 1800 -E "${GIGASYNC_ASAN_EXCLUDE:-^$}")
fi

# The tests whose code runs threads (ctest names: "unit: ..." and "integration: ...").
tsan_tests='unit: ?daemon|integration: ?(an initial sync of a few thousand|page drift|transient fail|INSERT, INSERT OR REPLACE|daemon: (READY=1|an edit made with the sqlite3|SIGTERM in the middle|metrics listen: ))'
if [ "${GIGASYNC_SKIP_SANITIZERS:-0}" != "1" ] && [ "${GIGASYNC_SKIP_TSAN:-0}" != "1" ]; then
  cmake -S . -B build-tsan -DCMAKE_BUILD_TYPE=Debug -DGIGASYNC_WERROR=ON -DGIGASYNC_TSAN=ON -DGIGASYNC_TESTS=ON >/dev/null
  cmake --build build-tsan -j"$jobs"
  # A report fails the process that made it (exit 66), whether the test binary or a gigasync it ran.
  export TSAN_OPTIONS=halt_on_error=1:exitcode=66:second_deadlock_stack=1
  (cd build-tsan && ctest --output-on-failure --no-tests=error -j"$jobs" --timeout 1800 -R "${GIGASYNC_TSAN_TESTS:-$tsan_tests}")
fi

if [ "${GIGASYNC_SKIP_SANITIZERS:-0}" != "1" ] && [ "${GIGASYNC_SKIP_FUZZ:-0}" != "1" ]; then
  scripts/fuzz.sh
fi
