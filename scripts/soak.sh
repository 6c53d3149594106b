#!/usr/bin/env bash
# scripts/soak.sh: a soak run of `gigasync daemon` against a faulty sandbox.
#
# For SOAK_SECONDS (default 300) the daemon syncs a mirror with `gigasync sandbox` while
#   - the sandbox injects lost responses, 502/503, 429, page drift and truncated bodies,
#   - a local editor keeps changing the mirror with sqlite3 (UPDATE, INSERT, INSERT OR REPLACE,
#     DELETE),
#   - a remote editor keeps changing objects through the API (PATCH, POST, DELETE, each with an
#     Idempotency-Key, retried with the same key until it gets an answer),
#   - open conflicts are resolved now and then (keep local or remote, at random),
#   - the daemon is SIGKILLed at random moments and started again.
# Then the editors stop, the faults go off, every conflict is resolved, `gigasync sync` runs
# until nothing is left, and the mirror is compared with the API field by field (plus
# `gigasync verify`). Every edit is checked for loss: each field's final value must be the last
# value written to it (or, where the two sides raced or a conflict was kept remote, the last
# value of either side), and no Idempotency-Key may be applied twice.
#
# Environment:
#   GIGASYNC_BIN   the gigasync binary (default build/gigasync)
#   SOAK_SECONDS   how long the editors and kills run (default 300)
#   SOAK_SEED      seed for the editors, the kills and the sandbox's faults (default: random)
#   SOAK_OBJECTS   integrations the sandbox starts with (default 200)
#   SOAK_DIR       working folder (default: a new temp folder; kept when the run fails or
#                  SOAK_KEEP=1)
# Needs: bash 5, curl, jq, sqlite3. Traffic goes to 127.0.0.1 only.
# Exit: 0 divergence 0 and nothing lost; 1 otherwise; 2 setup failed.
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=${GIGASYNC_BIN:-$ROOT/build/gigasync}
[[ $BIN = /* ]] || BIN=$PWD/$BIN
SOAK_SECONDS=${SOAK_SECONDS:-300}
SOAK_SEED=${SOAK_SEED:-$(( (RANDOM << 15) | RANDOM ))}
SOAK_OBJECTS=${SOAK_OBJECTS:-200}
KEEP=${SOAK_KEEP:-0}

for tool in curl jq sqlite3; do
  command -v "$tool" >/dev/null || { echo "soak: $tool is needed" >&2; exit 2; }
done
[[ -x $BIN ]] || { echo "soak: no gigasync binary at $BIN (set GIGASYNC_BIN)" >&2; exit 2; }

if [[ -n ${SOAK_DIR:-} ]]; then
  DIR=$SOAK_DIR
  mkdir -p "$DIR"
else
  DIR=$(mktemp -d /tmp/gigasync-soak.XXXXXX)
fi
DIR=$(cd "$DIR" && pwd)
DB=$DIR/mirror.db
CFG=$DIR/gigasync.toml
STOP=$DIR/stop
rm -f "$STOP"

say() { printf 'soak: %s\n' "$*"; }
now() { echo "$EPOCHREALTIME"; }

# --- token, sandbox -------------------------------------------------------------------------
umask 077
TOKEN="soak-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
printf '%s\n' "$TOKEN" >"$DIR/token"
printf 'Authorization: Token %s\n' "$TOKEN" >"$DIR/auth.hdr"   # curl -H @file: never in argv
unset TOKEN

PIDS=()
cleanup() {
  [[ -d $DIR ]] && touch "$STOP"  # a passing run has removed its folder already
  local p
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
  [[ -f $DIR/daemon.pid ]] && kill -9 "$(cat "$DIR/daemon.pid")" 2>/dev/null
  [[ -n ${SANDBOX_PID:-} ]] && kill "$SANDBOX_PID" 2>/dev/null
  wait 2>/dev/null
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

"$BIN" sandbox --port 0 --seed "$SOAK_OBJECTS" --data-seed "$SOAK_SEED" --max-page-size 50 \
  --token-file "$DIR/token" --request-log "$DIR/requests.jsonl" >"$DIR/sandbox.out" 2>"$DIR/sandbox.err" &
SANDBOX_PID=$!
for _ in $(seq 100); do
  grep -q 'listening on' "$DIR/sandbox.out" 2>/dev/null && break
  sleep 0.1
done
BASE=$(sed -n 's/.*listening on \(http[^ ]*\).*/\1/p' "$DIR/sandbox.out")
[[ -n $BASE ]] || { echo "soak: the sandbox did not start:" >&2; cat "$DIR/sandbox.err" >&2; exit 2; }
ORIGIN=${BASE%/v2/}

admin() {  # METHOD PATH [BODY]
  if [[ $# -ge 3 ]]; then
    curl -sS -H @"$DIR/auth.hdr" -H 'Content-Type: application/json' -X "$1" --data-binary "$3" "$ORIGIN$2"
  else
    curl -sS -H @"$DIR/auth.hdr" -X "$1" "$ORIGIN$2"
  fi
}

FAULTS_ON=$(jq -nc --argjson s "$SOAK_SEED" '{error_rate: 0.08, lose_response_rate: 0.15, rate_limit_every: 9,
  retry_after_s: 1, truncate_rate: 0.06, drift_every: 7, fault_seed: ($s % 4000000000)}')
FAULTS_OFF='{"error_rate":0,"lose_response_rate":0,"rate_limit_every":0,"truncate_rate":0,"drift_every":0}'

cat >"$CFG" <<EOF
# written by scripts/soak.sh
[api]
base_url = "$BASE"
token_file = "$DIR/token"
page_size = 50
concurrency = 4
timeout_s = 5
max_retries = 4
[database]
path = "$DB"
[sync]
interval_s = 3
jitter_s = 1
conflict_policy = "manual"
max_delete_fraction = 0.5
min_delete_guard = 50
max_push_fraction = 1.0
min_push_guard = 100000
push_delay_s = 1
max_backoff_s = 8
[log]
level = "info"
format = "text"
EOF

say "folder $DIR, seed $SOAK_SEED, $SOAK_SECONDS s, sandbox $BASE ($SOAK_OBJECTS integrations)"
say "binary $BIN ($("$BIN" --version 2>&1 | head -1))"

# A first clean sync makes the mirror; the faults go on after it.
"$BIN" sync -c "$CFG" >"$DIR/first-sync.log" 2>&1 || { echo "soak: the first sync failed:" >&2; cat "$DIR/first-sync.log" >&2; exit 2; }
admin POST /_sandbox/faults/ "$FAULTS_ON" >"$DIR/faults-on.json" || exit 2
say "faults on: $(cat "$DIR/faults-on.json")"

# --- the daemon, killed now and then ------------------------------------------------------------
rand_sleep() {  # MIN_TENTHS MAX_TENTHS: sleep a random time, in steps, stopping early at the stop flag
  local tenths=$(( $1 + RANDOM % ($2 - $1 + 1) ))
  while (( tenths > 0 )) && [[ ! -e $STOP ]]; do
    local step=$(( tenths < 5 ? tenths : 5 ))
    sleep "$(printf '0.%d' "$step")"
    [[ $step -eq 5 ]] && tenths=$(( tenths - 5 )) || tenths=0
  done
}

supervisor() {
  RANDOM=$(( SOAK_SEED % 32768 + 1 ))
  while [[ ! -e $STOP ]]; do
    "$BIN" daemon -c "$CFG" >>"$DIR/daemon.log" 2>&1 &
    local pid=$!
    echo "$pid" >"$DIR/daemon.pid"
    echo "$(now) start $pid" >>"$DIR/daemon-events.log"
    rand_sleep 20 150   # 2 to 15 s, then SIGKILL at whatever it is doing
    if ! kill -0 "$pid" 2>/dev/null; then
      wait "$pid"
      echo "$(now) exited-by-itself $pid rc=$?" >>"$DIR/daemon-events.log"
      continue
    fi
    [[ -e $STOP ]] && break
    kill -9 "$pid"
    wait "$pid" 2>/dev/null
    echo "$(now) sigkill $pid" >>"$DIR/daemon-events.log"
  done
}

# --- the local editor (sqlite3 on the mirror) -----------------------------------------------
# Logs one line per field written: op_no <TAB> side <TAB> op <TAB> id <TAB> field <TAB> value
# <TAB> t_start <TAB> t_end. Metadata is logged by its "soak" key.
LOCAL_FIELDS=(email name address_line_1 address_line_2 city zip_code metadata)
sql() { sqlite3 -batch -cmd '.timeout 5000' "$DB" "$1" 2>>"$DIR/local-errors.log"; }
# Six edits in ten go to a hot set (the 6 lowest type 3 ids, the same for both editors), so
# that both sides often edit one integration between two cycles: conflicts and merges.
HOT=6
PICK_ANY="(SELECT id FROM integrations WHERE type = 3 ORDER BY random() LIMIT 1)"
PICK_HOT="(SELECT id FROM (SELECT id FROM integrations WHERE type = 3 ORDER BY id LIMIT $HOT) ORDER BY random() LIMIT 1)"

local_editor() {
  RANDOM=$(( (SOAK_SEED + 1) % 32768 + 1 ))
  local n=0 roll field value id t0 t1
  while [[ ! -e $STOP ]]; do
    n=$(( n + 1 ))
    roll=$(( RANDOM % 100 ))
    (( RANDOM % 10 < 6 )) && PICK_LOCAL=$PICK_HOT || PICK_LOCAL=$PICK_ANY
    t0=$(now)
    if (( roll < 6 )); then
      id="soak-l-$n"
      if sql "INSERT INTO integrations (id, name, email, recipient, address_line_1, zip_code, city, metadata)
              VALUES ('$id', 'L$n new', 'l$n@soak.example', 'L$n recipient', 'L$n street', '1$n', 'L$n city',
                      '{\"soak\":\"l$n\"}');" >/dev/null; then
        t1=$(now)
        printf 'l%d\tlocal\tinsert\t%s\t%s\t%s\t%s\t%s\n' "$n" "$id" email "l$n@soak.example" "$t0" "$t1" >>"$DIR/edits.tsv"
        printf 'l%d\tlocal\tinsert\t%s\t%s\t%s\t%s\t%s\n' "$n" "$id" metadata "l$n" "$t0" "$t1" >>"$DIR/edits.tsv"
      fi
    elif (( roll < 10 )); then
      id=$(sql "DELETE FROM integrations WHERE id = $PICK_LOCAL RETURNING id;")
      [[ -n $id ]] && printf 'l%d\tlocal\tdelete\t%s\t\t\t%s\t%s\n' "$n" "$id" "$t0" "$(now)" >>"$DIR/edits.tsv"
    elif (( roll < 15 )); then
      id=$(sql "INSERT OR REPLACE INTO integrations (id, name, type, logo, metadata, email, recipient,
                  address_line_1, address_line_2, zip_code, city)
                SELECT id, name, type, logo, json_set(metadata, '\$.soak', 'l$n'), 'l$n@soak.example', recipient,
                  address_line_1, address_line_2, zip_code, city FROM integrations WHERE id = $PICK_LOCAL
                RETURNING id;")
      if [[ -n $id ]]; then
        t1=$(now)
        printf 'l%d\tlocal\treplace\t%s\t%s\t%s\t%s\t%s\n' "$n" "$id" email "l$n@soak.example" "$t0" "$t1" >>"$DIR/edits.tsv"
        printf 'l%d\tlocal\treplace\t%s\t%s\t%s\t%s\t%s\n' "$n" "$id" metadata "l$n" "$t0" "$t1" >>"$DIR/edits.tsv"
      fi
    else
      field=${LOCAL_FIELDS[RANDOM % ${#LOCAL_FIELDS[@]}]}
      case $field in
        email) value="l$n@soak.example"; set_sql="email = '$value'" ;;
        metadata) value="l$n"; set_sql="metadata = json_set(metadata, '\$.soak', '$value')" ;;
        zip_code) value="1$n"; set_sql="zip_code = '$value'" ;;
        *) value="L$n $field"; set_sql="$field = '$value'" ;;
      esac
      id=$(sql "UPDATE integrations SET $set_sql WHERE id = $PICK_LOCAL RETURNING id;")
      [[ -n $id ]] && printf 'l%d\tlocal\tupdate\t%s\t%s\t%s\t%s\t%s\n' "$n" "$id" "$field" "$value" "$t0" "$(now)" >>"$DIR/edits.tsv"
    fi
    rand_sleep 1 8
  done
}

# --- the remote editor (the API, with the sandbox's faults) -----------------------------------
# A write is retried with the same Idempotency-Key until it gets an answer that is not a fault
# (lost connection, 5XX, 429): the API then applied it exactly once.
api_write() {  # METHOD PATH BODY KEY -> prints the final HTTP status
  local code tries=0
  while (( tries < 40 )); do
    tries=$(( tries + 1 ))
    code=$(curl -s -o "$DIR/remote-body.json" -w '%{http_code}' --max-time 10 -H @"$DIR/auth.hdr" \
      -H 'Content-Type: application/json' -H "Idempotency-Key: $4" -X "$1" ${3:+--data-binary "$3"} "$ORIGIN$2")
    case $code in
      000|429|5??) echo "$(now) $1 $2 key=$4 got $code, retrying" >>"$DIR/remote-retries.log"; sleep 0.3 ;;
      *) echo "$code"; return 0 ;;
    esac
  done
  echo "gave-up"
}

remote_editor() {
  RANDOM=$(( (SOAK_SEED + 2) % 32768 + 1 ))
  local n=0 roll field value id t0 t1 code body ids
  while [[ ! -e $STOP ]]; do
    n=$(( n + 1 ))
    roll=$(( RANDOM % 100 ))
    t0=$(now)
    ids=$(admin GET /_sandbox/integrations/ | jq -r '[.[] | select(.type == 3) | .id] | sort | .[]')
    (( RANDOM % 10 < 6 )) && ids=$(head -n "$HOT" <<<"$ids")
    id=$(sed -n "$(( RANDOM % $(wc -l <<<"$ids") + 1 ))p" <<<"$ids")
    if (( roll < 6 )); then
      id="soak-r-$SOAK_SEED-$n"
      body=$(jq -nc --arg id "$id" --arg n "$n" '{id: $id, name: ("R" + $n + " new"), email: ("r" + $n + "@soak.example"),
        recipient: ("R" + $n + " recipient"), address_line_1: ("R" + $n + " street"), zip_code: ("2" + $n),
        city: ("R" + $n + " city"), metadata: {soak: ("r" + $n)}}')
      code=$(api_write POST /v2/integrations/ "$body" "soak-remote-$SOAK_SEED-$n")
      t1=$(now)
      if [[ $code = 201 ]]; then
        printf 'r%d\tremote\tinsert\t%s\t%s\t%s\t%s\t%s\n' "$n" "$id" email "r$n@soak.example" "$t0" "$t1" >>"$DIR/edits.tsv"
        printf 'r%d\tremote\tinsert\t%s\t%s\t%s\t%s\t%s\n' "$n" "$id" metadata "r$n" "$t0" "$t1" >>"$DIR/edits.tsv"
      else
        echo "$(now) POST $id -> $code $(head -c 300 "$DIR/remote-body.json")" >>"$DIR/remote-refused.log"
      fi
    elif (( roll < 10 )); then
      code=$(api_write DELETE "/v2/integrations/$id/" "" "soak-remote-$SOAK_SEED-$n")
      if [[ $code = 204 ]]; then
        printf 'r%d\tremote\tdelete\t%s\t\t\t%s\t%s\n' "$n" "$id" "$t0" "$(now)" >>"$DIR/edits.tsv"
      else
        echo "$(now) DELETE $id -> $code" >>"$DIR/remote-refused.log"
      fi
    else
      field=${LOCAL_FIELDS[RANDOM % ${#LOCAL_FIELDS[@]}]}
      case $field in
        email) value="r$n@soak.example"; body=$(jq -nc --arg v "$value" '{email: $v}') ;;
        metadata) value="r$n"; body=$(jq -nc --arg v "$value" '{metadata: {soak: $v, by: "remote"}}') ;;
        zip_code) value="2$n"; body=$(jq -nc --arg v "$value" '{zip_code: $v}') ;;
        *) value="R$n $field"; body=$(jq -nc --arg f "$field" --arg v "$value" '{($f): $v}') ;;
      esac
      code=$(api_write PATCH "/v2/integrations/$id/" "$body" "soak-remote-$SOAK_SEED-$n")
      if [[ $code = 200 ]]; then
        printf 'r%d\tremote\tupdate\t%s\t%s\t%s\t%s\t%s\n' "$n" "$id" "$field" "$value" "$t0" "$(now)" >>"$DIR/edits.tsv"
      else
        echo "$(now) PATCH $id $field -> $code" >>"$DIR/remote-refused.log"
      fi
    fi
    rand_sleep 1 8
  done
}

# --- conflicts: resolved now and then during the run, and all of them at the end -------------
resolve_open() {  # resolves every open conflict, keep local or remote at random
  local k keep rc
  for k in $(sqlite3 -cmd '.timeout 5000' "$DB" "SELECT id FROM conflicts WHERE resolved_at IS NULL ORDER BY id"); do
    (( RANDOM % 2 )) && keep=local || keep=remote
    "$BIN" conflicts resolve "$k" --keep "$keep" -c "$CFG" >>"$DIR/resolve.log" 2>&1
    rc=$?
    if [[ $rc -eq 64 && $keep = local ]]; then   # e.g. the row is gone: keep remote instead
      keep=remote
      "$BIN" conflicts resolve "$k" --keep remote -c "$CFG" >>"$DIR/resolve.log" 2>&1
      rc=$?
    fi
    echo "$(now) conflict $k keep $keep rc=$rc" >>"$DIR/resolutions.log"
  done
}

resolver() {
  RANDOM=$(( (SOAK_SEED + 3) % 32768 + 1 ))
  while [[ ! -e $STOP ]]; do
    rand_sleep 100 300
    [[ -e $STOP ]] && break
    resolve_open
  done
}

START=$(now)
supervisor & PIDS+=($!)
local_editor & PIDS+=($!)
remote_editor & PIDS+=($!)
resolver & PIDS+=($!)
say "running for $SOAK_SECONDS s (daemon, local editor, remote editor, resolver, random SIGKILLs)"
END_AT=$(( ${START%.*} + SOAK_SECONDS ))
while (( ${EPOCHSECONDS} < END_AT )); do
  sleep 1
  if ! kill -0 "$SANDBOX_PID" 2>/dev/null; then echo "soak: the sandbox died" >&2; exit 2; fi
done
touch "$STOP"
for p in "${PIDS[@]}"; do wait "$p"; done
PIDS=()
RUN_END=$(now)

# The daemon still running is stopped cleanly: SIGTERM must end it with 0.
DAEMON_TERM_RC=none
if [[ -f $DIR/daemon.pid ]] && kill -0 "$(cat "$DIR/daemon.pid")" 2>/dev/null; then
  kill -TERM "$(cat "$DIR/daemon.pid")"
  for _ in $(seq 300); do kill -0 "$(cat "$DIR/daemon.pid")" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$(cat "$DIR/daemon.pid")" 2>/dev/null; then
    DAEMON_TERM_RC="still running 30 s after SIGTERM"
    kill -9 "$(cat "$DIR/daemon.pid")"
  fi
  [[ $DAEMON_TERM_RC = none ]] && DAEMON_TERM_RC=stopped
fi
rm -f "$DIR/daemon.pid"

# --- settle: faults off, conflicts resolved, sync until clean -----------------------------------
admin POST /_sandbox/faults/ "$FAULTS_OFF" >/dev/null
say "editors stopped, faults off; settling"
SETTLED=no
for round in $(seq 12); do
  resolve_open
  for c in $(sqlite3 -cmd '.timeout 5000' "$DB" "SELECT id FROM pending_changes WHERE state = 'failed'"); do
    echo "round $round: failed change $c: $(sqlite3 "$DB" "SELECT op || ' ' || integration_id || ' ' || coalesce(last_error, '') FROM pending_changes WHERE id = $c")" >>"$DIR/failed-changes.log"
    "$BIN" changes retry "$c" -c "$CFG" >>"$DIR/settle.log" 2>&1
  done
  "$BIN" changes approve --all -c "$CFG" >>"$DIR/settle.log" 2>&1
  "$BIN" sync --wait 60 -c "$CFG" >>"$DIR/settle.log" 2>&1
  rc=$?
  open=$(sqlite3 "$DB" "SELECT count(*) FROM conflicts WHERE resolved_at IS NULL")
  waiting=$(sqlite3 "$DB" "SELECT count(*) FROM pending_changes WHERE state IN ('pending', 'in_flight', 'failed', 'conflict')")
  echo "settle round $round: sync rc=$rc, open conflicts $open, changes waiting $waiting" >>"$DIR/settle.log"
  if [[ $rc -eq 0 && $open -eq 0 && $waiting -eq 0 ]]; then SETTLED=yes; SETTLE_ROUNDS=$round; break; fi
done
# One more cycle must find nothing to do.
"$BIN" sync -c "$CFG" >>"$DIR/settle.log" 2>&1
FINAL_SYNC_RC=$?
"$BIN" verify -c "$CFG" >"$DIR/verify.log" 2>&1
VERIFY_RC=$?

# SOAK_SABOTAGE=1 tests this script's checks: the API's copy of the field the local editor last
# wrote is changed behind gigasync's back, so divergence and a lost edit must be reported.
if [[ ${SOAK_SABOTAGE:-0} = 1 ]]; then
  sab_id=$(awk -F'\t' '$2 == "local" && $3 == "update" && $5 == "email" {id = $4} END {print id}' "$DIR/edits.tsv")
  admin GET "/_sandbox/integrations/$sab_id/" | jq -c '.email = "sabotage@soak.example"' >"$DIR/sabotage.json"
  admin PUT "/_sandbox/integrations/$sab_id/" "$(cat "$DIR/sabotage.json")" >/dev/null
  say "sabotage: the API's email of $sab_id changed behind gigasync's back"
fi

# --- field by field: the API (every page) against the mirror ---------------------------------
FIELDS='["id","name","type","logo","metadata","email","recipient","address_line_1","address_line_2","zip_code","city"]'
url="${BASE}integrations/?page_size=50"
pages=0
: >"$DIR/api.jsonl"
while [[ -n $url && $url != null ]]; do
  curl -sS -f -H @"$DIR/auth.hdr" "$url" >"$DIR/page.json" || { echo "soak: GET $url failed" >&2; exit 1; }
  jq -c '.results[]' "$DIR/page.json" >>"$DIR/api.jsonl"
  url=$(jq -r '.next' "$DIR/page.json")
  pages=$(( pages + 1 ))
done
to_fields() {  # JSON objects on stdin -> "id<TAB>field<TAB>value as JSON" lines, sorted
  jq -r --argjson f "$FIELDS" '. as $o | $f[] as $k | [$o.id, $k, ($o[$k] | tojson)] | @tsv' | LC_ALL=C sort
}
sqlite3 -json "$DB" "SELECT id, name, type, logo, metadata, email, recipient, address_line_1, address_line_2, zip_code, city FROM integrations" |
  jq -c '.[] | .metadata |= (fromjson)' | jq -S -c . | to_fields >"$DIR/mirror.tsv"
# metadata on the API side with sorted keys too
jq -S -c . "$DIR/api.jsonl" | to_fields >"$DIR/api.tsv"
LC_ALL=C comm -3 "$DIR/api.tsv" "$DIR/mirror.tsv" >"$DIR/divergence.txt"
DIVERGENCE=$(sed 's/^\t//' "$DIR/divergence.txt" | cut -f1,2 | LC_ALL=C sort -u | grep -c .)
API_OBJECTS=$(wc -l <"$DIR/api.jsonl")
MIRROR_ROWS=$(sqlite3 "$DB" "SELECT count(*) FROM integrations")
ADMIN_OBJECTS=$(admin GET /_sandbox/integrations/ | jq length)

# --- lost edits -----------------------------------------------------------------------------
# Loaded into a scratch database: the edits, the API's final values, the resolutions.
CHK=$DIR/check.db
rm -f "$CHK"
jq -r '[.id, (.email // ""), (.metadata.soak // ""), (.name // ""), (.address_line_1 // ""),
        (.address_line_2 // ""), (.city // ""), (.zip_code // "")] | @tsv' "$DIR/api.jsonl" >"$DIR/final.tsv"
touch "$DIR/edits.tsv"
sqlite3 "$CHK" <<EOF
CREATE TABLE edits (op_no TEXT, side TEXT, op TEXT, id TEXT, field TEXT, value TEXT, t0 REAL, t1 REAL);
CREATE TABLE final_wide (id TEXT, email TEXT, metadata TEXT, name TEXT, address_line_1 TEXT, address_line_2 TEXT,
                         city TEXT, zip_code TEXT);
.mode tabs
.import $DIR/edits.tsv edits
.import $DIR/final.tsv final_wide
ATTACH '$DB' AS m;
CREATE TABLE final AS
  SELECT id, 'email' AS field, email AS value FROM final_wide UNION ALL SELECT id, 'metadata', metadata FROM final_wide
  UNION ALL SELECT id, 'name', name FROM final_wide UNION ALL SELECT id, 'address_line_1', address_line_1 FROM final_wide
  UNION ALL SELECT id, 'address_line_2', address_line_2 FROM final_wide UNION ALL SELECT id, 'city', city FROM final_wide
  UNION ALL SELECT id, 'zip_code', zip_code FROM final_wide;
-- ids some side deleted (or that a conflict or the drift may have removed): judged leniently
CREATE TABLE deleted AS SELECT DISTINCT id FROM edits WHERE op = 'delete'
  UNION SELECT DISTINCT integration_id FROM m.conflicts WHERE field LIKE '(deleted%'
  UNION SELECT DISTINCT integration_id FROM m.integration_changes WHERE op = 'delete';
-- deletions no editor made: the sandbox's page drift (checked against its count below)
CREATE TABLE drift_deleted AS SELECT DISTINCT integration_id AS id FROM m.integration_changes
  WHERE source = 'remote' AND op = 'delete' AND integration_id NOT IN (SELECT id FROM edits WHERE op = 'delete');
-- fields where a conflict was settled any way but "kept local": either side's last value may stand
CREATE TABLE lenient AS SELECT DISTINCT integration_id AS id, field FROM m.conflicts
  WHERE resolved_at IS NOT NULL AND coalesce(resolution, '') <> 'kept local';
CREATE TABLE last AS
  SELECT e.id, e.field, e.side, e.value, e.t0, e.t1 FROM edits e
  WHERE e.field <> '' AND e.t1 = (SELECT max(t1) FROM edits x WHERE x.id = e.id AND x.field = e.field AND x.side = e.side);
CREATE TABLE verdict AS
  SELECT k.id, k.field, l.value AS local_value, l.t1 AS local_t, r.value AS remote_value, r.t0 AS remote_t0,
         r.t1 AS remote_t1, f.value AS final_value,
         (k.id IN (SELECT id FROM deleted)) AS was_deleted,
         EXISTS (SELECT 1 FROM lenient z WHERE z.id = k.id AND z.field = k.field) AS was_lenient,
         (SELECT count(*) FROM final_wide w WHERE w.id = k.id) AS exists_now
  FROM (SELECT DISTINCT id, field FROM last) k
  LEFT JOIN last l ON l.id = k.id AND l.field = k.field AND l.side = 'local'
  LEFT JOIN last r ON r.id = k.id AND r.field = k.field AND r.side = 'remote'
  LEFT JOIN final f ON f.id = k.id AND f.field = k.field;
EOF
# Strict: not deleted, still there, no lenient resolution, and one side clearly wrote last.
#   only local edits, or the last local edit committed after the last remote one was answered -> local
#   only remote edits -> remote
# Otherwise (the two raced, or a conflict was kept remote): the final value is one side's last value.
sqlite3 -separator $'\t' "$CHK" "
  SELECT 'LOST', id, field, 'expected local ' || local_value, 'final ' || coalesce(final_value, '(missing)') FROM verdict
   WHERE NOT was_deleted AND NOT was_lenient AND local_value IS NOT NULL
     AND (remote_value IS NULL OR local_t > remote_t1) AND final_value IS NOT local_value
  UNION ALL
  SELECT 'LOST', id, field, 'expected remote ' || remote_value, 'final ' || coalesce(final_value, '(missing)') FROM verdict
   WHERE NOT was_deleted AND NOT was_lenient AND local_value IS NULL AND final_value IS NOT remote_value
  UNION ALL
  SELECT 'LOST', id, field, 'expected local ' || local_value || ' or remote ' || remote_value,
         'final ' || coalesce(final_value, '(missing)') FROM verdict
   WHERE NOT was_deleted AND local_value IS NOT NULL AND remote_value IS NOT NULL
     AND (was_lenient OR local_t <= remote_t1) AND final_value IS NOT local_value AND final_value IS NOT remote_value
  UNION ALL
  SELECT 'VANISHED', id, field, 'edited, never deleted by an editor or a conflict', 'not in the API' FROM verdict
   WHERE NOT was_deleted AND exists_now = 0 AND field = 'email';" >"$DIR/lost.txt"
LOST=$(grep -c '^LOST' "$DIR/lost.txt" || true)
DRIFT_DELETED=$(sqlite3 "$CHK" "SELECT count(*) FROM drift_deleted")
CHECKED_STRICT=$(sqlite3 "$CHK" "SELECT count(*) FROM verdict WHERE NOT was_deleted AND NOT was_lenient AND
  ((local_value IS NOT NULL AND (remote_value IS NULL OR local_t > remote_t1)) OR local_value IS NULL)")
CHECKED_EITHER=$(sqlite3 "$CHK" "SELECT count(*) FROM verdict WHERE NOT was_deleted AND local_value IS NOT NULL
  AND remote_value IS NOT NULL AND (was_lenient OR local_t <= remote_t1)")
VANISHED=$(grep -c '^VANISHED' "$DIR/lost.txt" || true)

# --- figures ----------------------------------------------------------------------------------
count_ops() { cut -f1,2 "$DIR/edits.tsv" | LC_ALL=C sort -u | awk -F'\t' -v s="$1" '$2 == s' | wc -l; }
ops_by() { cut -f1-3 "$DIR/edits.tsv" | LC_ALL=C sort -u | awk -F'\t' -v s="$1" '$2 == s {print $3}' |
             sort | uniq -c | awk '{printf "%s%s %s", sep, $1, $2; sep=", "}'; }
LOCAL_EDITS=$(count_ops local)
REMOTE_EDITS=$(count_ops remote)
KILLS=$(grep -c ' sigkill ' "$DIR/daemon-events.log" || true)
SELF_EXITS=$(grep -c 'exited-by-itself' "$DIR/daemon-events.log" || true)
# Faults as the sandbox logged them: daemon traffic (no soak-remote key) vs the remote editor's.
fault_counts() {  # jq filter selecting the records
  jq -r "select($1) | .fault // empty | split(\",\")[]" "$DIR/requests.jsonl" | sort | uniq -c |
    awk '{printf "%s%s %s", sep, $2, $1; sep=", "}'
}
FAULTS_DAEMON=$(fault_counts '(.idempotency_key // "" | startswith("soak-remote-")) | not')
FAULTS_REMOTE=$(fault_counts '.idempotency_key // "" | startswith("soak-remote-")')
FAULTS_TOTAL=$(jq -r 'select(.fault) | .fault | split(",")[]' "$DIR/requests.jsonl" | wc -l)
DRIFTS=$(jq -r 'select(.fault) | .fault | split(",")[] | select(. == "drift")' "$DIR/requests.jsonl" | wc -l)
REQUESTS=$(wc -l <"$DIR/requests.jsonl")
# No Idempotency-Key may be applied twice (the sandbox marks a repeat answered from its store).
DOUBLE_APPLIED=$(jq -r 'select(.idempotency_key and .replayed == false and .status >= 200 and .status < 300)
                        | .idempotency_key' "$DIR/requests.jsonl" |
                 sort | uniq -d | wc -l)
q() { sqlite3 "$DB" "$1"; }
CYCLES=$(q "SELECT count(*) FROM sync_runs WHERE started_at <= strftime('%Y-%m-%dT%H:%M:%fZ', $RUN_END, 'unixepoch')")
CYCLES_ALL=$(q "SELECT count(*) FROM sync_runs")
CYCLES_LOGGED=$(grep -Ec ' (full|push) cycle ' "$DIR/daemon.log")
RUN_STATUSES=$(q "SELECT group_concat(status || ' ' || n, ', ') FROM (SELECT status, count(*) n FROM sync_runs GROUP BY status ORDER BY n DESC)")
PUSHED=$(q "SELECT coalesce(sum(pushed), 0) FROM sync_runs")
CONFLICTS_TOTAL=$(q "SELECT count(*) FROM conflicts")
CONFLICTS_HOW=$(q "SELECT group_concat(r || ' ' || n, ', ') FROM (SELECT coalesce(resolution, 'open') r, count(*) n FROM conflicts GROUP BY 1 ORDER BY n DESC)")
BY_HAND=$(cat "$DIR/resolutions.log" 2>/dev/null | grep -c 'rc=0')
DIVERGED_RUNS=$(q "SELECT count(*) FROM sync_runs WHERE status = 'diverged' OR diverged > 0")
FAILED_CHANGES=$(cut -d: -f1 "$DIR/failed-changes.log" 2>/dev/null | wc -l)
DAEMON_ERRORS=$(grep -c ' ERROR\|\[error\]\|\[critical\]' "$DIR/daemon.log" || true)
ELAPSED=$(awk -v a="$START" -v b="$RUN_END" 'BEGIN {printf "%.0f", b - a}')

cat <<EOF | tee "$DIR/summary.txt"

== gigasync soak: seed $SOAK_SEED, folder $DIR
duration (editors, kills, faults)   ${ELAPSED} s
cycles run (sync_runs)              $CYCLES during the run, $CYCLES_ALL with the settling ($RUN_STATUSES)
cycles the daemon logged            $CYCLES_LOGGED (a cycle that changes nothing writes no sync_runs row)
changes pushed (sum of pushed)      $PUSHED
edits, local (sqlite3)              $LOCAL_EDITS ($(ops_by local))
edits, remote (API)                 $REMOTE_EDITS ($(ops_by remote))
API requests seen by the sandbox    $REQUESTS
faults injected                     $FAULTS_TOTAL: daemon traffic: ${FAULTS_DAEMON:-none}; remote editor: ${FAULTS_REMOTE:-none}
daemon SIGKILLs                     $KILLS (exits on its own: $SELF_EXITS; final SIGTERM: $DAEMON_TERM_RC)
conflicts                           $CONFLICTS_TOTAL recorded ($CONFLICTS_HOW); $BY_HAND resolved with 'conflicts resolve'
settled                             $SETTLED (rounds: ${SETTLE_ROUNDS:--}; failed changes seen: $FAILED_CHANGES)
runs with status diverged           $DIVERGED_RUNS
daemon log ERROR lines              $DAEMON_ERRORS
final sync / verify exit            $FINAL_SYNC_RC / $VERIFY_RC
objects: API pages / API / mirror   $pages / $API_OBJECTS (admin: $ADMIN_OBJECTS) / $MIRROR_ROWS
divergence (fields differing)       $DIVERGENCE
edited fields checked for loss       $CHECKED_STRICT must hold the last write, $CHECKED_EITHER either side's last write (raced or kept remote)
lost edits / vanished objects       $LOST / $VANISHED
deletions by neither editor         $DRIFT_DELETED (page drift deleted $DRIFTS)
Idempotency-Keys applied twice      $DOUBLE_APPLIED
EOF

FAIL=0
[[ $DIVERGENCE -ne 0 ]] && { say "DIVERGENCE: see $DIR/divergence.txt"; head -20 "$DIR/divergence.txt"; FAIL=1; }
[[ $LOST -ne 0 || $VANISHED -ne 0 ]] && { say "LOST EDITS: see $DIR/lost.txt"; head -20 "$DIR/lost.txt"; FAIL=1; }
[[ $DRIFT_DELETED -gt $DRIFTS ]] && { say "more remote deletions than the editors and the drift made"; FAIL=1; }
[[ $DOUBLE_APPLIED -ne 0 ]] && { say "an Idempotency-Key was applied twice"; FAIL=1; }
[[ $SETTLED != yes ]] && { say "the mirror did not settle: see $DIR/settle.log"; FAIL=1; }
[[ $VERIFY_RC -ne 0 || $FINAL_SYNC_RC -ne 0 ]] && { say "final sync/verify failed: see $DIR/settle.log, $DIR/verify.log"; FAIL=1; }
[[ $SELF_EXITS -ne 0 ]] && { say "the daemon exited on its own: see $DIR/daemon-events.log"; FAIL=1; }
[[ $DIVERGED_RUNS -ne 0 ]] && { say "a cycle's self-check found divergence: see sync_runs"; FAIL=1; }
if [[ $FAIL -eq 0 ]]; then
  say "PASS"
  [[ $KEEP = 1 || -n ${SOAK_DIR:-} ]] || rm -rf "$DIR"
else
  say "FAIL (folder kept: $DIR)"
fi
exit $FAIL
