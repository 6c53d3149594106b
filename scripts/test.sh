#!/usr/bin/env bash
# README command 2: install what is missing, build the tests with warnings as errors, run the
# whole suite with ctest. A few minutes on a 2-core machine.
#
#   scripts/test.sh          the plain suite: every unit and integration test (build/)
#   scripts/test.sh --all    the plain suite, then (what CI runs, .ci/run):
#                            - the tests again under AddressSanitizer + UBSan (build-asan/),
#                            - the tests that run threads under ThreadSanitizer (build-tsan/),
#                            - each libFuzzer target for a short fixed run (scripts/fuzz.sh).
# With --all: GIGASYNC_SKIP_SANITIZERS=1 skips all three; GIGASYNC_SKIP_TSAN=1 and
# GIGASYNC_SKIP_FUZZ=1 skip one of them.
set -euo pipefail
cd "$(dirname "$0")/.."
all=0
for arg in "$@"; do
  case "$arg" in
    --all) all=1 ;;
    -h|--help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "scripts/test.sh: unknown argument '$arg' (scripts/test.sh [--all])" >&2; exit 64 ;;
  esac
done
scripts/install-deps.sh
jobs=$(nproc)

# A new build folder uses Ninja (installed by install-deps.sh); one that exists keeps its generator.
# ccache, when installed, makes a second run quick.
configure() {
  local dir=$1; shift
  local extra=()
  [ -f "$dir/CMakeCache.txt" ] || ! command -v ninja >/dev/null || extra+=(-G Ninja)
  ! command -v ccache >/dev/null || extra+=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  cmake -S . -B "$dir" "${extra[@]}" "$@" >/dev/null
}

# The plain build: the code at -O1 without debug info and with assertions on, the tests' own code
# at -O0 (GIGASYNC_TEST_OPT): about half the build time of RelWithDebInfo, the same tests.
# GIGASYNC_TESTS=ON explicitly: a build folder configured by scripts/demo.sh has the tests off, and
# ctest --no-tests=error fails rather than passing when it finds none.
configure build -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS_RELEASE=-O1 -DGIGASYNC_TEST_OPT=-O0 \
  -DGIGASYNC_WERROR=ON -DGIGASYNC_TESTS=ON
cmake --build build -j"$jobs"
(cd build && ctest --output-on-failure --no-tests=error -j"$jobs" --timeout 900)

[ "$all" = 1 ] || exit 0

if [ "${GIGASYNC_SKIP_SANITIZERS:-0}" != "1" ]; then
  configure build-asan -DCMAKE_BUILD_TYPE=Debug -DGIGASYNC_WERROR=ON -DGIGASYNC_SANITIZE=ON -DGIGASYNC_TESTS=ON
  cmake --build build-asan -j"$jobs"
  export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
  (cd build-asan && ctest --output-on-failure --no-tests=error -j"$jobs" --timeout 1800 -E "${GIGASYNC_ASAN_EXCLUDE:-^$}")
fi

# The tests whose code runs threads (ctest names: "unit: ..." and "integration: ...").
tsan_tests='unit: ?daemon|integration: ?(an initial sync of a few thousand|page drift|transient fail|INSERT, INSERT OR REPLACE|daemon: (READY=1|an edit made with the sqlite3|SIGTERM in the middle|metrics listen: |webhooks: (a missing, forged|a body over 1 MiB|repeated, reordered)))'
if [ "${GIGASYNC_SKIP_SANITIZERS:-0}" != "1" ] && [ "${GIGASYNC_SKIP_TSAN:-0}" != "1" ]; then
  configure build-tsan -DCMAKE_BUILD_TYPE=Debug -DGIGASYNC_WERROR=ON -DGIGASYNC_TSAN=ON -DGIGASYNC_TESTS=ON
  cmake --build build-tsan -j"$jobs"
  # A report fails the process that made it (exit 66), whether the test binary or a gigasync it ran.
  export TSAN_OPTIONS=halt_on_error=1:exitcode=66:second_deadlock_stack=1
  (cd build-tsan && ctest --output-on-failure --no-tests=error -j"$jobs" --timeout 1800 -R "${GIGASYNC_TSAN_TESTS:-$tsan_tests}")
fi

if [ "${GIGASYNC_SKIP_SANITIZERS:-0}" != "1" ] && [ "${GIGASYNC_SKIP_FUZZ:-0}" != "1" ]; then
  scripts/fuzz.sh
fi
