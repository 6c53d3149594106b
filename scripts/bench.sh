#!/usr/bin/env bash
# Benchmark (issue 8, point 7): seeds `gigasync sandbox` on loopback and prints, each figure
# beside its reference and their ratio, then a markdown table for the README. Asserts nothing;
# not part of CI. Needs curl, jq, sqlite3, GNU time (/usr/bin/time) and Debian's /usr/bin/python3
# with python3-requests (the Python peer, scripts/bench_peer.py).
#
# Usage: scripts/bench.sh [N ...]      sizes of the initial pull / no-op resync scenarios
#                                      (default: 10000 100000; 1000000 only when asked: minutes)
#   GIGASYNC_BIN    the gigasync binary (default: build/gigasync in this repository); it is
#                   copied once at start, so a rebuild during the run does not mix versions
#   BENCH_KEEP=1    keep the temporary directory (databases, logs) and print its path
#
# Scenarios (one function each):
#   pull N       initial pull of N integrations, beside plain curl fetching the same pages at
#                the same concurrency (4) and beside the Python peer (scripts/bench_peer.py:
#                requests + json + sqlite3, 4 threads, one transaction) loading them into a table
#                of its own; then a no-op resync of the same N
#   writer N [K] a loop of one-row UPDATEs (every ~50 ms) while `gigasync sync` applies a cycle
#                in which K of N objects changed (run with K = N/10 and K = N), and while it makes
#                the initial pull of N (K = initial: the UPDATE finds no row, but waits for the
#                lock all the same); N = 100000 when selected, else the smallest N
#   reference N  the initial pull of N (the writer's N) from a sandbox as slow as the server the
#                issue measured (an independent Django REST Framework server: curl read its
#                100,000 integrations in 15.5 s, 62 ms a page at concurrency 4), beside curl
#                and the Python peer
#   latency      10,000 integrations, 20 ms per request: concurrency 1 against 4
#   push         1,000 local updates pushed with 20 ms per request at concurrency 4
#   account      the rest of the account (employees, payouts, payruns, invoices) at scale:
#                the initial pull of 1,000,000 payouts across 100 integrations (wall, CPU, CPU per
#                object beside an integrations-only pull of 100,000, peak RSS); the no-change cycle
#                on it (pages, CPU, rows written), beside the same account at 100,000 payouts with
#                the unsettled objects of each; then `gigasync daemon` with a webhook listener:
#                the time from moving a payout (accept, through the sandbox's admin API) to its
#                committed row, over 20 moves
#
#   scripts/bench.sh --only NAME[,NAME…] [N ...]   only those scenarios (pull, writer, reference,
#                latency, push, account), in the order above; BENCH_ONLY=NAME… does the same
#   BENCH_ACCOUNT_PAYOUTS=1000000  BENCH_ACCOUNT_SMALL=100000 (0: no comparison account)
#   BENCH_ACCOUNT_INTEGRATIONS=100  BENCH_WEBHOOK_MOVES=20    sizes of the account scenario
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
src_bin=${GIGASYNC_BIN:-$repo/build/gigasync}
readonly page_size=100 concurrency=4 latency_ms=20 push_n=1000 latency_n=10000 reference_ms=62
readonly python=/usr/bin/python3  # Debian's, where python3-requests is (not a pyenv or venv one)

only=${BENCH_ONLY:-}
if [[ ${1:-} == --only ]]; then
  [[ -n ${2:-} ]] || { echo "bench.sh: --only needs a scenario name" >&2; exit 64; }
  only=$2
  shift 2
fi
for sc in ${only//,/ }; do
  [[ $sc =~ ^(pull|writer|reference|latency|push|account)$ ]] ||
    { echo "bench.sh: unknown scenario '$sc' (pull, writer, reference, latency, push, account)" >&2; exit 64; }
done
readonly account_payouts=${BENCH_ACCOUNT_PAYOUTS:-1000000} account_small=${BENCH_ACCOUNT_SMALL:-100000}
readonly account_integrations=${BENCH_ACCOUNT_INTEGRATIONS:-100} webhook_moves=${BENCH_WEBHOOK_MOVES:-20}
for v in "$account_payouts" "$account_small" "$account_integrations" "$webhook_moves"; do
  [[ $v =~ ^[0-9]+$ ]] || { echo "bench.sh: BENCH_ACCOUNT_* and BENCH_WEBHOOK_MOVES are integers, got '$v'" >&2; exit 64; }
done
if (($# == 0)); then set -- 10000 100000; fi
sizes=()
for n in "$@"; do
  [[ $n =~ ^[1-9][0-9]*$ ]] || { echo "bench.sh: sizes are positive integers, got '$n'" >&2; exit 64; }
  sizes+=("$n")
done
for tool in curl jq sqlite3 awk; do
  command -v "$tool" >/dev/null || { echo "bench.sh: needs $tool" >&2; exit 69; }
done
[[ -x /usr/bin/time ]] || { echo "bench.sh: needs GNU time at /usr/bin/time" >&2; exit 69; }
"$python" -c 'import requests' 2>/dev/null ||
  { echo "bench.sh: needs $python with requests (python3-requests; scripts/install-deps.sh)" >&2; exit 69; }
[[ -x $src_bin ]] || { echo "bench.sh: no gigasync binary at $src_bin (set GIGASYNC_BIN)" >&2; exit 69; }

dir=$(mktemp -d "${TMPDIR:-/tmp}/gigasync-bench.XXXXXX")
pids=()  # sandboxes and background syncs started by this script
cleanup() {
  local p
  for p in "${pids[@]}"; do
    pkill -TERM -P "$p" 2>/dev/null || true  # the children of a background `timed` subshell
    kill "$p" 2>/dev/null || true
  done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  if [[ ${BENCH_KEEP:-} == 1 ]]; then echo "bench.sh: kept $dir" >&2; else rm -rf "$dir"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

cp "$src_bin" "$dir/gigasync"
gs=$dir/gigasync
cp "$repo/scripts/bench_peer.py" "$dir/bench_peer.py"
# The token: generated, in 0600 files only (never on a command line).
umask 077
printf 'bench-%s-%s\n' "$RANDOM$RANDOM" "$$" >"$dir/token"
printf 'Authorization: Token %s\n' "$(cat "$dir/token")" >"$dir/auth.header"
chmod 600 "$dir/token" "$dir/auth.header"
umask 022

rows=()  # markdown table rows
note() { printf '%s\n' "$*" >&2; }
row() { rows+=("| $1 | $2 | $3 | $4 | $5 | $6 |"); printf '  %-34s %-14s %-24s %-8s %s\n' "$2" "$3" "$4" "$5" "$6"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b + 0 == 0) print "–"; else printf "%.2f×", a / b }'; }
fmt() { awk -v x="$1" -v d="${2:-2}" 'BEGIN { printf "%.*f", d, x }'; }
mb() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
commas() { awk -v x="$1" 'BEGIN { s = sprintf("%d", x); o = ""; while (length(s) > 3) { o = "," substr(s, length(s) - 2) o; s = substr(s, 1, length(s) - 3) } print s o }'; }

# start_sandbox NAME ARGS...: runs `gigasync sandbox` on an ephemeral port; sets sb_pid, sb_url
# (…/v2/) and sb_origin. Seeding 1,000,000 takes a while, hence the long wait.
start_sandbox() {
  local name=$1; shift
  "$gs" sandbox --port 0 --token-file "$dir/token" "$@" >"$dir/$name.sandbox.out" 2>&1 &
  sb_pid=$!
  pids+=("$sb_pid")
  local i
  for ((i = 0; i < 3000; i++)); do
    grep -q listening "$dir/$name.sandbox.out" 2>/dev/null && break
    kill -0 "$sb_pid" 2>/dev/null || { cat "$dir/$name.sandbox.out" >&2; exit 70; }
    sleep 0.1
  done
  sb_url=$(sed -n 's/.*listening on \([^ ]*\).*/\1/p' "$dir/$name.sandbox.out")
  [[ -n $sb_url ]] || { echo "bench.sh: sandbox $name did not start" >&2; exit 70; }
  sb_origin=${sb_url%/v2/}
}
stop_sandbox() { kill "$sb_pid" 2>/dev/null || true; wait "$sb_pid" 2>/dev/null || true; }

# admin_faults JSON: changes the sandbox's faults at run time (token from the header file).
admin_faults() {
  curl -sf -H "@$dir/auth.header" -H 'Content-Type: application/json' -d "$1" "$sb_origin/_sandbox/faults/" >/dev/null
}

# write_config NAME [CONCURRENCY] [account]: $dir/NAME.toml with the database $dir/NAME.db. The
# integrations' scenarios mirror the integrations only ([account] resources = []: the default
# would list four more resources under every integration); "account" keeps the default.
write_config() {
  {
    printf '[api]\nbase_url = "%s"\ntoken_file = "%s/token"\n' "$sb_url" "$dir"
    [[ -z ${2:-} ]] || printf 'concurrency = %s\n' "$2"
    printf '[database]\npath = "%s/%s.db"\n[log]\nlevel = "warn"\n' "$dir" "$1"
    [[ ${3:-} == account ]] || printf '[account]\nresources = []\n'
  } >"$dir/$1.toml"
}

# timed OUT CMD...: runs CMD under GNU time; sets t_wall, t_cpu (user+sys), t_rss (KiB), t_rc.
timed() {
  local out=$1; shift
  t_rc=0
  /usr/bin/time -o "$out" -f '%e %U %S %M' "$@" || t_rc=$?
  read -r t_wall t_user t_sys t_rss < <(tail -n 1 "$out")
  t_cpu=$(awk -v u="$t_user" -v s="$t_sys" 'BEGIN { printf "%.2f", u + s }')
  if ((t_rc != 0)); then note "  !! exit status $t_rc: $*"; fi
}

sync_gs() { timed "$dir/$1.time" "$gs" sync -c "$dir/$1.toml" "${@:2}" 2>>"$dir/$1.stderr"; }
last_run() { sqlite3 "$dir/$1.db" "SELECT $2 FROM sync_runs ORDER BY id DESC LIMIT 1"; }

# Rows written, measured by the database itself: AFTER INSERT/UPDATE/DELETE triggers on every
# mirror table count each row written (also an UPDATE that stores the same values), into a
# table of their own. Added before the no-op resync and dropped after it; sync_runs is left
# out (the run's own record is expected). A table rebuilt by the run loses its triggers: that
# is reported as "table rebuilt".
watched_tables=(integrations integration_base pending_changes conflicts integration_changes local_renames)
arm_write_count() {  # DB [TABLE...]: the tables watched (default: watched_tables)
  local tables=("${watched_tables[@]}")
  (($# < 2)) || tables=("${@:2}")
  local t op sql="CREATE TABLE bench_writes (tbl TEXT PRIMARY KEY, n INTEGER NOT NULL);"
  for t in "${tables[@]}"; do
    sql+="INSERT INTO bench_writes VALUES ('$t', 0);"
    for op in INSERT UPDATE DELETE; do
      sql+="CREATE TRIGGER bench_count_${t}_$op AFTER $op ON $t BEGIN UPDATE bench_writes SET n = n + 1 WHERE tbl = '$t'; END;"
    done
  done
  sqlite3 -cmd '.timeout 30000' "$1" "$sql"
}
disarm_write_count() {  # DB [TABLE...] (as armed): prints "N" (rows written) or "N (details)"
  local db=$1 triggers written detail tables=("${watched_tables[@]}")
  (($# < 2)) || tables=("${@:2}")
  triggers=$(sqlite3 "$db" "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'bench_count_%'")
  written=$(sqlite3 "$db" "SELECT total(n) FROM bench_writes" | awk '{ printf "%d", $1 }')
  detail=$(sqlite3 -separator '=' "$db" "SELECT tbl, n FROM bench_writes WHERE n > 0" | paste -sd, -)
  local t op sql="DROP TABLE bench_writes;"
  for t in "${tables[@]}"; do
    for op in INSERT UPDATE DELETE; do sql+="DROP TRIGGER IF EXISTS bench_count_${t}_$op;"; done
  done
  sqlite3 -cmd '.timeout 30000' "$db" "$sql"
  if ((triggers != ${#tables[@]} * 3)); then detail+="${detail:+, }table rebuilt: triggers lost"; fi
  echo "$written${detail:+ ($detail)}"
}

# curl_pages N NAME: plain curl fetching the N/100 list pages, round-robin over 4 parallel curl
# processes (each reusing its connection, as gigasync's 4 transfers do), gzip like gigasync,
# bodies discarded. Sets c_wall, c_cpu.
curl_pages() {
  local n=$1 name=$2 pages=$(( ($1 + page_size - 1) / page_size )) w p
  for ((w = 0; w < concurrency; w++)); do
    printf 'silent\nshow-error\nfail\nheader = "@%s"\nheader = "Accept-Encoding: gzip"\ncompressed\nwrite-out = "%%{http_code}\\n"\n' \
      "$dir/auth.header" >"$dir/$name.curl$w"
  done
  for ((p = 1; p <= pages; p++)); do
    printf 'url = "%sintegrations/?page=%d&page_size=%d"\noutput = "/dev/null"\n' "$sb_url" "$p" "$page_size" \
      >>"$dir/$name.curl$(( (p - 1) % concurrency ))"
  done
  for ((w = 0; w < concurrency; w++)); do echo "$dir/$name.curl$w"; done >"$dir/$name.curl.list"
  timed "$dir/$name.curl.time" xargs -P "$concurrency" -n 1 curl -K <"$dir/$name.curl.list" >"$dir/$name.curl.codes"
  local ok
  ok=$(grep -c '^200$' "$dir/$name.curl.codes" || true)
  ((ok == pages)) || note "  !! curl: $ok of $pages pages answered 200"
  c_wall=$t_wall c_cpu=$t_cpu
}

# peer_pages N NAME: the Python peer (scripts/bench_peer.py) reading the same N/100 pages with 4
# threads and inserting the N objects into $dir/NAME.peer.db, a table of its own, in one
# transaction. Checks that the table has N rows. Sets y_wall, y_cpu, y_rss.
peer_pages() {
  local n=$1 name=$2 loaded
  rm -f "$dir/$name.peer.db"
  timed "$dir/$name.peer.time" "$python" "$dir/bench_peer.py" "$sb_url" "$dir/token" "$dir/$name.peer.db" \
    >"$dir/$name.peer.out" 2>"$dir/$name.peer.stderr"
  ((t_rc == 0)) || note "  !! Python peer exited $t_rc: $(tail -n 1 "$dir/$name.peer.stderr")"
  loaded=$(sqlite3 "$dir/$name.peer.db" "SELECT count(*) FROM integrations" 2>/dev/null || echo 0)
  ((loaded == n)) || note "  !! Python peer: $loaded rows in its table, expected $n"
  y_wall=$t_wall y_cpu=$t_cpu y_rss=$t_rss
}

# peer_row LABEL CPU: gigasync's CPU (user+sys) against the Python peer's, and a note of the
# peer's wall and peak RSS.
peer_row() {
  row "$1" "CPU (user+sys)" "$(fmt "$2") s" "Python peer $(fmt "$y_cpu") s" "$(ratio "$2" "$y_cpu")" "≤ 0.25× Python"
  note "  (Python peer: wall $(fmt "$y_wall") s, CPU $(fmt "$y_cpu") s, peak RSS $(mb "$y_rss") MB)"
}

rss_ref=""  # peak RSS of the smallest initial pull: the reference for the others
declare -A pull_db=()

# --- scenario: initial pull of N and a no-op resync of N ------------------------------------
scenario_pull() {
  local n=$1 name=pull$1
  note "== initial pull and no-op resync of $(commas "$n") integrations"
  start_sandbox "$name" --seed "$n"
  write_config "$name"
  curl_pages "$n" "$name"
  peer_pages "$n" "$name"
  sync_gs "$name"
  local p_wall=$t_wall p_cpu=$t_cpu p_rss=$t_rss
  local inserted
  inserted=$(last_run "$name" "status || ' ' || inserted")
  [[ $inserted == "ok $n" ]] || note "  !! initial pull: sync_runs says '$inserted', expected 'ok $n'"
  [[ -n $rss_ref ]] || rss_ref=$p_rss
  local label
  label="Initial pull, $(commas "$n")"
  row "$label" "wall" "$(fmt "$p_wall") s" "curl $(fmt "$c_wall") s" "$(ratio "$p_wall" "$c_wall")" "≤ 1.2× curl"
  row "$label" "CPU (user+sys)" "$(fmt "$p_cpu") s" "curl $(fmt "$c_cpu") s" "$(ratio "$p_cpu" "$c_cpu")" \
    "≤ $(fmt "$(awk -v n="$n" 'BEGIN { print 1.3 * n / 100000 }')") s (1.3 s per 100k)"
  peer_row "$label" "$p_cpu"
  row "$label" "objects/s" "$(commas "$(awk -v n="$n" -v w="$p_wall" 'BEGIN { printf "%d", n / w }')")" \
    "curl $(commas "$(awk -v n="$n" -v w="$c_wall" 'BEGIN { printf "%d", n / w }')")" \
    "$(ratio "$c_wall" "$p_wall")" "≥ 0.83× curl"
  row "$label" "peak RSS" "$(mb "$p_rss") MB" "$(mb "$rss_ref") MB (N=$(commas "${sizes_sorted[0]}"))" \
    "$(ratio "$p_rss" "$rss_ref")" "≤ 64 MB, ≤ 1.25×"

  arm_write_count "$dir/$name.db"
  local runs_before
  runs_before=$(sqlite3 "$dir/$name.db" "SELECT count(*) FROM sync_runs")
  sync_gs "$name"
  local written counters runs_after
  written=$(disarm_write_count "$dir/$name.db")
  counters=$(last_run "$name" "status || ': ' || inserted || '+' || updated || '+' || deleted")
  runs_after=$(sqlite3 "$dir/$name.db" "SELECT count(*) FROM sync_runs")
  label="No-op resync, $(commas "$n")"
  row "$label" "CPU (user+sys)" "$(fmt "$t_cpu") s" "initial pull $(fmt "$p_cpu") s" "$(ratio "$t_cpu" "$p_cpu")" "≤ 0.3×"
  row "$label" "rows written" "$written" "sync_runs $counters" "–" "0"
  row "$label" "peak RSS" "$(mb "$t_rss") MB" "initial pull $(mb "$p_rss") MB" "$(ratio "$t_rss" "$p_rss")" "≤ 64 MB"
  note "  (no-op resync wall $(fmt "$t_wall") s; sync_runs rows $runs_before -> $runs_after)"
  pull_db[$n]=$dir/$name.db
  stop_sandbox
}

# --- scenario: a writer's wait while a pull applies N changes --------------------------------
# The sandbox is started with the same data as the initial pull (same --seed, default
# --data-seed), so that mirror is reused; then every object is changed through the sandbox's
# admin API (PUT /_sandbox/integrations/ID/ with city + " ~"), so the pull applies N updates.
scenario_writer() {
  local n=$1 k=${2:-$1}
  local name=writer${n}_$k
  if [[ $k == initial ]]; then
    note "== a one-row UPDATE every ~50 ms while the initial pull of $(commas "$n") runs"
  else
    note "== a one-row UPDATE every ~50 ms while a pull of $(commas "$n") applies $(commas "$k") changes"
  fi
  start_sandbox "$name" --seed "$n"
  write_config "$name"
  if [[ $k == initial ]]; then
    scenario_writer_measure "$n" "$k" "$name" "the initial pull of $(commas "$n")"
    return
  fi
  if [[ -n ${pull_db[$n]:-} ]]; then
    sqlite3 "${pull_db[$n]}" ".backup '$dir/$name.db'"
  else
    sync_gs "$name"
  fi
  # Change every object on the sandbox: one curl process, keep-alive, the token from a file.
  curl -sf -H "@$dir/auth.header" "$sb_origin/_sandbox/integrations/" |
    jq -r --arg o "$sb_origin" --arg h "@$dir/auth.header" --argjson k "$k" '.[:$k][] | .city = ((.city // "") + " ~") |
      "url = \("\($o)/_sandbox/integrations/\(.id)/" | tojson)\noutput = \"/dev/null\"\nrequest = \"PUT\"\nheader = \($h | tojson)\nheader = \"Content-Type: application/json\"\ndata-binary = \(tojson | tojson)\nwrite-out = \"%{http_code}\\n\"\nnext"' |
    sed '$d' >"$dir/$name.put"
  local t0 t1 changed
  t0=$(date +%s.%N)
  changed=$(curl -s -K "$dir/$name.put" | grep -c '^200$' || true)
  t1=$(date +%s.%N)
  rm -f "$dir/$name.put"
  note "  changed $changed of $n objects ($k asked) on the sandbox in $(fmt "$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')") s"
  scenario_writer_measure "$n" "$k" "$name" "a pull of $(commas "$n"), $(commas "$k") changed"
}

# scenario_writer_measure N K NAME WHAT: the writer loop against `gigasync sync` of NAME, then the
# rows. Before the initial pull the mirror has no row: the UPDATE then targets an id that is not
# there, which still waits for the write lock like any other.
scenario_writer_measure() {
  local n=$1 k=$2 name=$3 what=$4
  # The writer: one sqlite3 process with a 30 s busy timeout (a long-lived connection, as an
  # application has), fed one statement every ~50 ms; each UPDATE is timed inside SQLite, from
  # just before to just after it (the wait for the write lock included), in ms.
  local target now="SELECT printf('%.1f', (julianday('now') - 2440587.5) * 86400000.0);"
  if [[ $k == initial ]]; then
    target=no-such-integration
    # The writer needs the table: a push-only cycle creates the mirror's schema and pulls nothing.
    "$gs" sync --push-only -c "$dir/$name.toml" 2>>"$dir/$name.stderr"
  else
    target=$(sqlite3 "$dir/$name.db" "SELECT id FROM integrations WHERE type = 3 ORDER BY id LIMIT 1")
  fi
  local update="UPDATE integrations SET city = city WHERE id = '${target//\'/\'\'}';"
  (sync_gs "$name"; echo "$t_wall $t_cpu $t_rss $t_rc" >"$dir/$name.sync") &
  local sync_pid=$!
  pids+=("$sync_pid")
  {
    while kill -0 "$sync_pid" 2>/dev/null; do
      printf '%s\n%s\n%s\n' "$now" "$update" "$now"
      sleep 0.05
    done
  } | sqlite3 -cmd '.timeout 30000' "$dir/$name.db" >"$dir/$name.stamps" 2>"$dir/$name.writer-errors" || true
  wait "$sync_pid" || true
  awk 'NR % 2 == 1 { t0 = $1 } NR % 2 == 0 { printf "%.1f\n", $1 - t0 }' "$dir/$name.stamps" >"$dir/$name.waits"
  local errors
  errors=$(grep -c . "$dir/$name.writer-errors" || true)
  ((errors == 0)) || note "  !! the writer's UPDATE failed: $(head -n 3 "$dir/$name.writer-errors")"
  local s_wall s_cpu s_rss s_rc
  read -r s_wall s_cpu s_rss s_rc <"$dir/$name.sync"
  ((s_rc == 0)) || note "  !! the pull under the writer exited $s_rc"
  local applied
  applied=$(last_run "$name" "status || ': ' || inserted || '+' || updated || '+' || deleted")
  local samples max p99 median
  samples=$(wc -l <"$dir/$name.waits")
  read -r max p99 median < <(sort -n "$dir/$name.waits" | awk '{ v[NR] = $1 } END {
    if (NR == 0) { print "– – –"; exit }
    i = int(NR * 0.99); if (i < NR * 0.99) i++  # nearest rank
    printf "%.0f %.0f %.0f\n", v[NR], v[i], v[int((NR + 1) / 2)] }')
  local label
  label="Writer during $what"
  row "$label" "UPDATE wait, max" "$max ms" "target 250 ms" "$(ratio "$max" 250)" "≤ 250 ms"
  row "$label" "UPDATE wait, p99" "$p99 ms" "target 250 ms" "$(ratio "$p99" 250)" "≤ 250 ms"
  note "  $samples UPDATEs (median $median ms), $errors failed; the pull: $(fmt "$s_wall") s wall, $(fmt "$s_cpu") s CPU," \
       "$(mb "$s_rss") MB, sync_runs $applied"
  stop_sandbox
}

# --- scenario: 20 ms per request, concurrency 1 against 4; then the push of 1,000 updates ----
scenario_latency() {
  local n=$latency_n name=latency
  note "== pull of $(commas "$n") with $latency_ms ms per request: concurrency 1 and $concurrency"
  start_sandbox "$name" --seed "$n" --latency-ms "$latency_ms" --request-log "$dir/$name.requests"
  write_config "${name}_c1" 1
  write_config "${name}_c$concurrency" "$concurrency"
  sync_gs "${name}_c1"
  local w1=$t_wall
  sync_gs "${name}_c$concurrency"
  local w4=$t_wall pages=$(( (n + page_size - 1) / page_size ))
  local label
  label="Pull of $(commas "$n"), $latency_ms ms latency"
  row "$label" "wall, concurrency 1" "$(fmt "$w1") s" "ideal $(fmt "$(awk -v p="$pages" -v l="$latency_ms" 'BEGIN { print p * l / 1000 }')") s" \
    "$(ratio "$w1" "$(awk -v p="$pages" -v l="$latency_ms" 'BEGIN { print p * l / 1000 }')")" "–"
  row "$label" "wall, concurrency $concurrency" "$(fmt "$w4") s" "concurrency 1 $(fmt "$w1") s" "$(ratio "$w1" "$w4") faster" "≥ 3× faster"
}

# --- scenario: the initial pull from a server as slow as the issue's reference ----------------
scenario_reference() {
  local n=$1 name=reference$1
  note "== initial pull of $(commas "$n") from a sandbox answering in $reference_ms ms a request (the issue's server)"
  start_sandbox "$name" --seed "$n" --latency-ms "$reference_ms"
  write_config "$name"
  curl_pages "$n" "$name"
  peer_pages "$n" "$name"
  sync_gs "$name"
  local label
  label="Initial pull, $(commas "$n"), $reference_ms ms a page"
  row "$label" "wall" "$(fmt "$t_wall") s" "curl $(fmt "$c_wall") s" "$(ratio "$t_wall" "$c_wall")" "≤ 1.2× curl"
  row "$label" "CPU (user+sys)" "$(fmt "$t_cpu") s" "curl $(fmt "$c_cpu") s" "$(ratio "$t_cpu" "$c_cpu")" \
    "≤ $(fmt "$(awk -v n="$n" 'BEGIN { print 1.3 * n / 100000 }')") s"
  peer_row "$label" "$t_cpu"
  stop_sandbox
}

scenario_push() {  # reuses the concurrency-4 mirror and the sandbox of scenario_latency
  local name=latency_c$concurrency
  note "== push of $(commas "$push_n") local updates with $latency_ms ms per request, concurrency $concurrency"
  sqlite3 -cmd '.timeout 30000' "$dir/$name.db" \
    "UPDATE integrations SET city = coalesce(city, '') || ' ~' WHERE id IN
       (SELECT id FROM integrations WHERE type = 3 ORDER BY id LIMIT $push_n)"
  local queued before
  queued=$(sqlite3 "$dir/$name.db" "SELECT count(*) FROM pending_changes WHERE state = 'pending'")
  ((queued == push_n)) || note "  !! $queued changes queued, expected $push_n (seed too small?)"
  before=$(wc -l <"$dir/latency.requests")
  sync_gs "$name" --push-only --force-push  # 1,000 rows: past the outbound guard
  sleep 0.2  # the request log is written after each answer
  local gets writes left ideal
  gets=$(tail -n +"$((before + 1))" "$dir/latency.requests" | grep -c '"method":"GET"' || true)
  writes=$(tail -n +"$((before + 1))" "$dir/latency.requests" | grep -Ec '"method":"(PATCH|PUT|POST|DELETE)"' || true)
  left=$(sqlite3 "$dir/$name.db" "SELECT count(*) FROM pending_changes WHERE state <> 'done'")
  ideal=$(awk -v n="$push_n" -v l="$latency_ms" -v c="$concurrency" 'BEGIN { print 2 * n * l / c / 1000 }')
  row "Push of $(commas "$push_n") updates, $latency_ms ms latency" "wall, concurrency $concurrency" "$(fmt "$t_wall") s" \
    "ideal $(fmt "$ideal") s" "$(ratio "$t_wall" "$ideal")" "≤ 1.5×"
  note "  requests made: $gets GET + $writes writes (ideal counts $push_n + $push_n); CPU $(fmt "$t_cpu") s;" \
       "$left changes not done afterwards"
  stop_sandbox
}

# --- scenario: the rest of the account at scale ------------------------------------------------
# The account's tables, and the ones its cycles keep their own state in (not rows of the mirror).
account_tables=(employees employee_base payouts payout_base payruns payrun_base invoices invoice_base account_changes)
account_state_tables=(account_sync account_watermarks listing_pages)

# account_counts DB: "unsettled payouts, unpaid payruns, unpaid invoices" of the mirror (what a
# cycle re-reads), as three numbers.
account_counts() {
  sqlite3 -separator ' ' "$1" "SELECT (SELECT count(*) FROM payouts WHERE accepted_at IS NULL AND canceled_at IS NULL),
    (SELECT count(*) FROM payruns WHERE paid_at IS NULL), (SELECT count(*) FROM invoices WHERE paid_at IS NULL)"
}

# account_unsettled_pages DB: the pages that the listings of what can still change take if they
# depend on nothing else: per integration and listing, ceil(k / page_size), at least 1, k the
# mirror's unsettled objects of that integration the listing returns (payouts neither accepted nor
# canceled; payruns unpaid; invoices unpaid, not issued (status=proforma) and issued (status=invoice)).
account_unsettled_pages() {
  local one="(k + $page_size - 1) / $page_size"
  sqlite3 "$1" "SELECT sum(max(1, $one)) FROM (
    SELECT (SELECT count(*) FROM payouts x WHERE x.integration_id = i.id AND x.accepted_at IS NULL AND x.canceled_at IS NULL) AS k FROM integrations i
    UNION ALL SELECT (SELECT count(*) FROM payruns x WHERE x.integration_id = i.id AND x.paid_at IS NULL) FROM integrations i
    UNION ALL SELECT (SELECT count(*) FROM invoices x WHERE x.integration_id = i.id AND x.paid_at IS NULL AND x.issued_at IS NULL) FROM integrations i
    UNION ALL SELECT (SELECT count(*) FROM invoices x WHERE x.integration_id = i.id AND x.paid_at IS NULL AND x.issued_at IS NOT NULL) FROM integrations i)"
}

# account_requests LOG FROM: the GETs of the request log from line FROM on, by kind, as
# "integrations window unsettled single" (list pages of integrations; of the account's time windows
# and newest-first listings; of the listings of what can still change; objects read one by one).
account_requests() {
  tail -n +"$2" "$1" | jq -r 'select(.method == "GET") |
      if (.path | test("^/v2/[a-z]+/$") | not) then "single"
      elif .path == "/v2/integrations/" then "integrations"
      elif ((.query // "") | test("_null=|status=")) then "unsettled"
      else "window" end' |
    awk '{ n[$1]++ } END { printf "%d %d %d %d\n", n["integrations"], n["window"], n["unsettled"], n["single"] }'
}

# account_size PAYOUTS NAME: seeds a sandbox with account_integrations integrations and PAYOUTS
# payouts (employees, payruns, invoices with them), times the initial pull, then a no-change cycle
# with its rows written counted. Leaves the sandbox running. Sets a_wall a_cpu a_rss a_objects
# (of the pull), n_cpu n_wall n_rss n_written n_state n_runs (of the no-change cycle), n_pages
# n_int n_win n_uns n_single (its GETs), u_payouts u_payruns u_invoices (unsettled in the mirror)
# and u_pages (the unsettled listings' pages those predict).
account_size() {
  local p=$1 name=$2 t0 t1
  t0=$(date +%s.%N)
  start_sandbox "$name" --seed "$account_integrations" --seed-payouts "$p" --request-log "$dir/$name.requests"
  t1=$(date +%s.%N)
  note "  sandbox seeded in $(fmt "$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')") s:" \
       "$(sed -n 's/.*listening on [^ ]* (\(.*\)).*/\1/p' "$dir/$name.sandbox.out")"
  write_config "$name" "" account
  sync_gs "$name"
  a_wall=$t_wall a_cpu=$t_cpu a_rss=$t_rss
  local run seeded
  run=$(last_run "$name" "status || ' ' || (fetched + account_fetched)")
  a_objects=${run#* }
  seeded=$(sqlite3 "$dir/$name.db" "SELECT (SELECT count(*) FROM integrations) + (SELECT count(*) FROM employees) +
    (SELECT count(*) FROM payouts) + (SELECT count(*) FROM payruns) + (SELECT count(*) FROM invoices)")
  [[ ${run%% *} == ok ]] || note "  !! initial pull: sync_runs says '$run'"
  ((seeded == a_objects)) || note "  !! initial pull: $a_objects objects read, $seeded rows in the mirror"
  read -r u_payouts u_payruns u_invoices < <(account_counts "$dir/$name.db")
  u_pages=$(account_unsettled_pages "$dir/$name.db")

  local before
  before=$(($(wc -l <"$dir/$name.requests") + 1))
  arm_write_count "$dir/$name.db" "${watched_tables[@]}" "${account_tables[@]}" "${account_state_tables[@]}"
  local mirror_sql
  mirror_sql=$(printf "'%s'," "${watched_tables[@]}" "${account_tables[@]}")
  sync_gs "$name"
  n_wall=$t_wall n_cpu=$t_cpu n_rss=$t_rss
  n_written=$(sqlite3 "$dir/$name.db" "SELECT total(n) FROM bench_writes WHERE tbl IN (${mirror_sql%,})" | awk '{ printf "%d", $1 }')
  n_state=$(disarm_write_count "$dir/$name.db" "${watched_tables[@]}" "${account_tables[@]}" "${account_state_tables[@]}")
  n_runs=$(last_run "$name" "status || ': read ' || account_fetched || ', wrote ' || account_written || ' (integrations ' || inserted || '+' || updated || '+' || deleted || ')'")
  sleep 0.2  # the request log is written after each answer
  read -r n_int n_win n_uns n_single < <(account_requests "$dir/$name.requests" "$before")
  n_pages=$((n_int + n_win + n_uns + n_single))
}

# account_webhooks NAME MOVES: `gigasync daemon` on NAME's mirror with a webhook listener (no
# timed cycle after its first), `gigasync webhooks register`, then MOVES payouts that can still
# change are accepted one after the other through the sandbox's admin API; for each, the time from
# just before the POST to the first poll (every ~10 ms, sqlite3) that sees accepted_at in the
# mirror. Sets w_min w_median w_max (ms) and w_missed (not seen within 10 s).
account_webhooks() {
  local name=$1 moves=$2 port
  port=$("$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  sed 's/^level = "warn"$/level = "info"/' "$dir/$name.toml" >"$dir/$name.daemon.toml"
  printf '[sync]\ninterval_s = 86400\njitter_s = 0\n[webhooks]\nlisten = "127.0.0.1:%s"\n' "$port" >>"$dir/$name.daemon.toml"
  "$gs" daemon -c "$dir/$name.daemon.toml" >"$dir/$name.daemon.log" 2>&1 &
  local daemon_pid=$!
  pids+=("$daemon_pid")
  local i
  for ((i = 0; i < 6000; i++)); do  # its first cycle (a no-change one), up to 10 minutes
    grep -Eq 'cycle (ok|partial|failed)' "$dir/$name.daemon.log" && break
    kill -0 "$daemon_pid" 2>/dev/null || { note "  !! the daemon exited: $(tail -n 3 "$dir/$name.daemon.log")"; return; }
    sleep 0.1
  done
  note "  daemon: $(grep -Em1 'cycle (ok|partial|failed)' "$dir/$name.daemon.log" | sed 's/^[^ ]* //')"
  local registered
  "$gs" webhooks register -c "$dir/$name.daemon.toml" >"$dir/$name.register.out" 2>&1 ||
    note "  !! webhooks register exited $?: $(tail -n 1 "$dir/$name.register.out")"
  registered=$(grep -c ' registered ' "$dir/$name.register.out" || true)
  sqlite3 "$dir/$name.db" "SELECT integration_id || ' ' || id FROM payouts WHERE accepted_at IS NULL AND canceled_at IS NULL
    ORDER BY random() LIMIT $moves" >"$dir/$name.moves"
  : >"$dir/$name.latency"
  w_missed=0
  local iid id t0 t1 code seen
  while read -r iid id <&3; do
    t0=$(date +%s%N)
    code=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H "@$dir/auth.header" -H 'Content-Type: application/json' \
      -d '{}' "$sb_origin/_sandbox/integrations/$iid/payouts/$id/accept/" || true)
    if [[ $code != 200 ]]; then note "  !! accept $iid/$id answered $code"; continue; fi
    seen=0
    for ((i = 0; i < 1000; i++)); do
      seen=$(sqlite3 -cmd '.timeout 1000' "$dir/$name.db" "SELECT count(*) FROM payouts WHERE integration_id = '${iid//\'/\'\'}'
        AND id = '${id//\'/\'\'}' AND accepted_at IS NOT NULL" </dev/null)
      ((seen == 0)) || break
      sleep 0.01
    done
    t1=$(date +%s%N)
    if ((seen == 0)); then w_missed=$((w_missed + 1)); continue; fi
    awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f\n", (b - a) / 1e6 }' >>"$dir/$name.latency"
    sleep 0.1
  done 3<"$dir/$name.moves"
  read -r w_min w_median w_max < <(sort -n "$dir/$name.latency" | awk '{ v[NR] = $1 } END {
    if (NR == 0) { print "– – –"; exit }
    printf "%d %d %d\n", v[1], v[int((NR + 1) / 2)], v[NR] }')
  note "  $registered webhooks registered; $(wc -l <"$dir/$name.latency") of $(wc -l <"$dir/$name.moves") moves seen in the mirror" \
       "(in order, ms: $(paste -sd' ' "$dir/$name.latency")); $w_missed not within 10 s;" \
       "the daemon logged $(grep -c 'webhook: payout' "$dir/$name.daemon.log" || true) payout notifications applied"
  kill "$daemon_pid" 2>/dev/null || true
  wait "$daemon_pid" 2>/dev/null || true
}

scenario_account() {
  local big=$account_payouts small=$account_small ints=$account_integrations ref_n=100000
  note "== the rest of the account: $(commas "$big") payouts across $(commas "$ints") integrations"
  # The reference: an integrations-only initial pull of 100,000 ([account] resources = []), the
  # figure the pull scenario's target is set for.
  start_sandbox account_ref --seed "$ref_n"
  write_config account_ref
  sync_gs account_ref
  local r_cpu=$t_cpu r_inserted
  r_inserted=$(last_run account_ref "status || ' ' || inserted")
  [[ $r_inserted == "ok $ref_n" ]] || note "  !! integrations pull: sync_runs says '$r_inserted', expected 'ok $ref_n'"
  stop_sandbox
  local r_us
  r_us=$(awk -v c="$r_cpu" -v n="$ref_n" 'BEGIN { printf "%.1f", c / n * 1e6 }')
  note "  integrations-only pull of $(commas "$ref_n"): wall $(fmt "$t_wall") s, CPU $(fmt "$r_cpu") s ($r_us µs per object)"

  local s_rss="" s_pages="" s_cpu="" s_uns="" s_objects="" s_win=""
  if ((small > 0)); then
    note "  -- the comparison account: $(commas "$small") payouts"
    account_size "$small" account_small
    s_rss=$a_rss s_pages=$n_pages s_cpu=$n_cpu s_objects=$a_objects s_win=$n_win
    s_uns="$u_payouts $u_payruns $u_invoices"
    note "  initial pull: $(commas "$a_objects") objects, wall $(fmt "$a_wall") s, CPU $(fmt "$a_cpu") s" \
         "($(awk -v c="$a_cpu" -v n="$a_objects" 'BEGIN { printf "%.1f", c / n * 1e6 }') µs per object), peak RSS $(mb "$a_rss") MB"
    note "  no-change cycle: $n_pages GETs = $n_int integrations + $n_win window + $n_uns unsettled-listing pages (predicted from the mirror's unsettled objects: $u_pages) + $n_single single;" \
         "unsettled in the mirror: $u_payouts payouts, $u_payruns payruns, $u_invoices invoices; CPU $(fmt "$n_cpu") s," \
         "wall $(fmt "$n_wall") s; rows written $n_written; with bookkeeping $n_state; sync_runs $n_runs"
    stop_sandbox
  fi

  note "  -- $(commas "$big") payouts"
  account_size "$big" account_big
  local label us ratio_us
  label="Account pull, $(commas "$big") payouts"
  us=$(awk -v c="$a_cpu" -v n="$a_objects" 'BEGIN { printf "%.1f", c / n * 1e6 }')
  row "$label" "wall" "$(fmt "$a_wall") s" "$(commas "$a_objects") objects" \
    "$(commas "$(awk -v n="$a_objects" -v w="$a_wall" 'BEGIN { printf "%d", n / w }')")/s" "–"
  row "$label" "CPU (user+sys)" "$(fmt "$a_cpu") s" "integrations $(commas "$ref_n") $(fmt "$r_cpu") s" \
    "$(ratio "$a_cpu" "$r_cpu")" "–"
  row "$label" "CPU per object" "$us µs" "integrations pull $r_us µs" "$(ratio "$us" "$r_us")" "≤ 1.00×"
  local at_small="–"  # the comparison account's figure, when there is one
  [[ -z $s_rss ]] || at_small="$(mb "$s_rss") MB ($(commas "$small") payouts)"
  row "$label" "peak RSS" "$(mb "$a_rss") MB" "$at_small" "$(ratio "$a_rss" "${s_rss:-0}")" "≤ 64 MB, flat"

  label="No-change cycle, $(commas "$big") payouts"
  [[ -z $s_pages ]] || at_small="$(commas "$s_pages") ($(commas "$small") payouts)"
  row "$label" "pages (GETs)" "$(commas "$n_pages")" "$at_small" "$(ratio "$n_pages" "${s_pages:-0}")" "∝ unsettled + new"
  [[ -z $s_win ]] || at_small="$(commas "$s_win") ($(commas "$small") payouts)"
  row "$label" "pages of time windows" "$(commas "$n_win")" "$at_small" "$(ratio "$n_win" "${s_win:-0}")" "1.00× (not ∝ size)"
  row "$label" "pages of unsettled listings" "$(commas "$n_uns")" "predicted $(commas "$u_pages")" "$(ratio "$n_uns" "$u_pages")" \
    "1.00× (∝ unsettled)"
  [[ -z $s_cpu ]] || at_small="$(fmt "$s_cpu") s ($(commas "$small") payouts)"
  row "$label" "CPU (user+sys)" "$(fmt "$n_cpu") s" "$at_small" "$(ratio "$n_cpu" "${s_cpu:-0}")" "∝ unsettled + new"
  row "$label" "rows written" "$n_written" "sync_runs $n_runs" "–" "0"
  note "  no-change cycle: $n_pages GETs = $n_int integrations + $n_win window + $n_uns unsettled-listing pages (predicted from the mirror's unsettled objects: $u_pages) + $n_single single;" \
       "unsettled in the mirror: $u_payouts payouts, $u_payruns payruns, $u_invoices invoices${s_uns:+ (at $(commas "$small") payouts: $s_uns)};" \
       "wall $(fmt "$n_wall") s, peak RSS $(mb "$n_rss") MB; rows written with bookkeeping $n_state"
  note "  -- webhooks: $webhook_moves payouts accepted on the sandbox, each timed to its row in the mirror"
  account_webhooks account_big "$webhook_moves"
  label="Webhook to row, $(commas "$big") payouts"
  row "$label" "latency, min" "$w_min ms" "target 2,000 ms" "$(ratio "$w_min" 2000)" "≤ 2 s"
  row "$label" "latency, median" "$w_median ms" "target 2,000 ms" "$(ratio "$w_median" 2000)" "≤ 2 s"
  row "$label" "latency, max" "$w_max ms" "target 2,000 ms" "$(ratio "$w_max" 2000)" "≤ 2 s"
  stop_sandbox
}

mapfile -t sizes_sorted < <(printf '%s\n' "${sizes[@]}" | sort -n | uniq)
writer_n=${sizes_sorted[0]}
for n in "${sizes_sorted[@]}"; do ((n == 100000)) && writer_n=100000; done

want() { [[ -z $only || ",$only," == *",$1,"* ]]; }
note "gigasync benchmark: $("$gs" --version 2>&1 | head -n 1), $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)," \
     "sizes ${sizes_sorted[*]}, page_size $page_size, concurrency $concurrency${only:+, only $only}"
if want pull; then for n in "${sizes_sorted[@]}"; do scenario_pull "$n"; done; fi
if want writer; then
  scenario_writer "$writer_n" "$((writer_n / 10))"
  scenario_writer "$writer_n"
  scenario_writer "$writer_n" initial
fi
if want reference; then scenario_reference "$writer_n"; fi
if want latency || want push; then scenario_latency; fi  # push reuses its mirror and sandbox
if want push; then scenario_push; elif want latency; then stop_sandbox; fi
if want account; then scenario_account; fi

echo
shown_sizes=" ${sizes_sorted[*]}"  # the sizes, unless only scenarios that take none were run
if ! want pull && ! want writer && ! want reference; then shown_sizes=""; fi
echo "\`scripts/bench.sh${only:+ --only $only}$shown_sizes\` — $("$gs" --version 2>&1 | head -n 1), sandbox on loopback, $(nproc) cores," \
     "load average at the end $(cut -d' ' -f1-3 /proc/loadavg):"
echo
echo "| scenario | figure | gigasync | reference | ratio | target |"
echo "|---|---|---|---|---|---|"
printf '%s\n' "${rows[@]}"
