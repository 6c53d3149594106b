#!/usr/bin/env bash
# README command 1: install what is missing, build, run `gigasync demo`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DGIGASYNC_TESTS=OFF >/dev/null
cmake --build build -j"$(nproc)" --target gigasync
exec build/gigasync demo "$@"
