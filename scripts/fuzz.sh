#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz, clang, ASan + UBSan) in build-fuzz and runs each one
# over its seed corpus (tests/fuzz/corpus/<target>) for a fixed number of executions.
#   scripts/fuzz.sh                      # CI: GIGASYNC_FUZZ_RUNS=20000 executions per target
#   GIGASYNC_FUZZ_RUNS=10000000 scripts/fuzz.sh      # the long run (see README)
#   GIGASYNC_FUZZ_TARGETS="page config" scripts/fuzz.sh
# New inputs found along the way go to build-fuzz/corpus/<target> (not the repository's corpus);
# a crash leaves build-fuzz/crash-* and fails the script: turn it into a unit test.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${GIGASYNC_FUZZ_RUNS:-20000}
targets=${GIGASYNC_FUZZ_TARGETS:-page integration payload config}
jobs=$(nproc)

CXX=clang++ CC=clang cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DGIGASYNC_FUZZ=ON -DGIGASYNC_WERROR=ON >/dev/null
cmake --build build-fuzz -j"$jobs"

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:suppressions=$PWD/tests/fuzz/ubsan.supp
for t in $targets; do
  work="build-fuzz/corpus/$t"
  mkdir -p "$work"
  start=$(date +%s)
  # -max_len 65536: pages are bigger, but depth and structure bugs show in small inputs.
  # -rss_limit_mb and -timeout bound a single input; -artifact_prefix keeps crashes in build-fuzz.
  build-fuzz/fuzz_"$t" -runs="$runs" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
    -artifact_prefix="build-fuzz/crash-$t-" -print_final_stats=1 "$work" "tests/fuzz/corpus/$t" \
    2> "build-fuzz/fuzz_$t.log" || { tail -50 "build-fuzz/fuzz_$t.log"; echo "fuzz: $t FAILED"; exit 1; }
  execs=$(grep -m1 -o 'stat::number_of_executed_units: *[0-9]*' "build-fuzz/fuzz_$t.log" | grep -o '[0-9]*$')
  echo "fuzz: $t: ${execs:-?} executions in $(( $(date +%s) - start )) s, no crash"
done
