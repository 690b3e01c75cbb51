#!/usr/bin/env bash
# The production path as a test (run by .ci/run): the shell blocks of docs/operating.md, "From a clone to
# a running instance", read from the doc (each follows a `<!-- production-path: NAME -->` marker) and run
# as they are, in this shell, so that the doc and this script cannot drift:
#   build · install · environment · start · operate · stop
# The build runs in a copy of the sources in a temporary folder; the doc's defaults that this script
# changes are the ones the doc lets the operator change: APP_DIR (the temporary folder), PORT (a free
# one) and DATABASE_URL (a new PostgreSQL database on 127.0.0.1:5432). Between the blocks it checks that a
# start without DATABASE_URL is refused with one line, that the ready line carries the PID of PID_FILE,
# that SIGHUP reloads, the resident memory of the service after a minute without requests (limit
# 100 MiB), and the exit after SIGTERM. Also the Dockerfile's steps are these.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
doc="$repo/docs/operating.md"
work=$(mktemp -d)
database="bridge_production_path_$$"
server=postgres://postgres@127.0.0.1:5432
pid=''
npm_pid=''
cleanup() {
  [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null || true
  [ -n "$npm_pid" ] && kill -TERM "$npm_pid" 2>/dev/null || true
  dropdb --if-exists -h 127.0.0.1 -U postgres "$database" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
step() { echo "--- $*"; }
fail() { echo "FAILED: $*"; exit 1; }
# The fenced block after `<!-- production-path: NAME -->` in the doc, without the list's indentation.
block() {
  awk -v name="$1" '
    $0 ~ "<!-- production-path: " name " -->" { marked = 1; next }
    marked && !inside && /^ *```/ { inside = 1; match($0, /^ */); indent = RLENGTH; next }
    inside && /^ *```/ { exit }
    inside { print substr($0, indent + 1) }' "$doc"
}
run_block() {
  local text
  text=$(block "$1")
  [ -n "$text" ] || fail "docs/operating.md has no block after <!-- production-path: $1 -->"
  step "docs/operating.md, production-path: $1"
  echo "$text" | sed 's/^/    /'
  eval "$text"
}
free_port() { node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }

step 'the clone: the sources a checkout has, in a temporary folder'
mkdir -p "$work/clone"
cp "$repo"/package.json "$repo"/package-lock.json "$repo"/tsconfig.json "$repo"/tsconfig.build.json "$work/clone/"
cp -r "$repo"/src "$repo"/migrations "$repo"/bin "$repo"/docs "$repo"/config.example "$work/clone/"
cd "$work/clone"
run_block build

export APP_DIR="$work/app"
run_block install
[ ! -e node_modules/tsx ] || fail 'tsx is installed in production'
[ -e docs/support-desk.md ] || fail 'docs/support-desk.md (named by --help) is not installed'

createdb -h 127.0.0.1 -U postgres "$database"
export DATABASE_URL="$server/$database"
PORT=$(free_port)
export PORT
run_block environment
[ "$PWD" = "$APP_DIR" ] || fail "the blocks run in $PWD, not in APP_DIR"

step 'a production start without DATABASE_URL is refused with one clear line'
set +e
refusal=$(env -u DATABASE_URL npx diary-bridge serve 2>&1 >/dev/null)
refused=$?
set -e
echo "$refusal"
[ "$refused" -eq 1 ] || fail "exit status $refused, not 1"
[ "$(wc -l <<<"$refusal")" -eq 1 ] || fail 'more than one line'
grep -q 'DATABASE_URL' <<<"$refusal" || fail 'the line does not name DATABASE_URL'

run_block start
npm_pid=$!
echo
pid=$(cat "$PID_FILE")
grep -q "\"pid\":$pid,.*\"msg\":\"bridge is ready\"" "$APP_DIR/bridge.log" || { cat "$APP_DIR/bridge.log"; fail 'the ready line does not carry the PID of PID_FILE'; }

run_block operate
for _ in $(seq 1 20); do
  grep -q '"msg":"configuration reloaded"' "$APP_DIR/bridge.log" && break
  sleep 0.5
done
grep -q '"msg":"configuration reloaded"' "$APP_DIR/bridge.log" || fail 'SIGHUP did not reload'
kill -0 "$pid" || fail 'SIGHUP ended the service'

# Idle: a minute without a request (V8 shrinks its heap after some 10-30 s of idleness); sampled every 5 s.
samples=''
for _ in $(seq 1 12); do
  samples="$samples $(awk '/VmRSS/ { printf "%.0f", $2 / 1024 }' "/proc/$pid/status")"
  sleep 5
done
rss=$(awk '/VmRSS/ { printf "%.0f", $2 / 1024 }' "/proc/$pid/status")
echo "resident memory of the service on PostgreSQL, every 5 s of a minute without requests (MiB):$samples; idle: $rss MiB (limit 100)"

run_block stop
status=0
wait "$npm_pid" || status=$?
pid=''
npm_pid=''
echo "exit status after SIGTERM: $status"
grep -q '"msg":"shutdown complete"' "$APP_DIR/bridge.log" || fail 'no "shutdown complete" in the log'
[ ! -e "$PID_FILE" ] || fail 'PID_FILE is still there'
[ "$status" -eq 0 ] || fail "exit status $status after SIGTERM"
[ "$rss" -le 100 ] || fail "idle resident memory $rss MiB is above 100 MiB"
echo 'production path: every step passed'
