#!/usr/bin/env bash
# Benchmark: time and peak memory of a first sync and of a no-op resync of N integrations
# (default 10000) against the sandbox on loopback. Prints figures; asserts nothing.
# Usage: scripts/bench.sh [N]   (after scripts/demo.sh or scripts/test.sh has built build/gigasync)
set -euo pipefail
n=${1:-10000}
bin="$(cd "$(dirname "$0")/.." && pwd)/build/gigasync"
dir=$(mktemp -d)
trap 'kill $sandbox 2>/dev/null || true; rm -rf "$dir"' EXIT
"$bin" sandbox --port 0 --seed "$n" >"$dir/sandbox.out" &
sandbox=$!
for _ in $(seq 50); do grep -q listening "$dir/sandbox.out" 2>/dev/null && break; sleep 0.1; done
url=$(sed -n 's/.*listening on \([^ ]*\).*/\1/p' "$dir/sandbox.out")
printf 'sandbox-token\n' >"$dir/token"; chmod 600 "$dir/token"
printf '[api]\nbase_url = "%s"\ntoken_file = "%s/token"\n[database]\npath = "%s/mirror.db"\n[log]\nlevel = "warn"\n' \
  "$url" "$dir" "$dir" >"$dir/gigasync.toml"
for run in "first sync" "no-op resync"; do
  /usr/bin/time -f "$run of $n integrations: %e s wall, %U s user, %M KiB peak RSS" \
    "$bin" sync -c "$dir/gigasync.toml"
done
echo "mirror rows: $(sqlite3 "$dir/mirror.db" 'SELECT count(*) FROM integrations'), history rows: $(sqlite3 "$dir/mirror.db" 'SELECT count(*) FROM integration_changes')"
