#!/usr/bin/env bash
# The production path as a test (run by .ci/run): what the Dockerfile does, in a temporary folder, with
# the README's production commands word for word (README, "Running in production"):
#   build stage:   npm ci · npm run build
#   runtime stage: npm ci --omit=dev · npx diary-bridge config check · npx diary-bridge migrate ·
#                  npm start · npx diary-bridge keys list · kill -HUP / -TERM "$(cat "$PID_FILE")"
# against a new PostgreSQL database with the shipped config.example/; checks that a start without
# DATABASE_URL is refused with one line, that /readyz answers, prints the resident memory of the service
# after a minute without requests (limit 100 MiB) and checks the exit after SIGTERM.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
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

step 'build stage: the sources, npm ci, npm run build'
mkdir -p "$work/build" "$work/app"
cp "$repo"/package.json "$repo"/package-lock.json "$repo"/tsconfig.json "$repo"/tsconfig.build.json "$work/build/"
cp -r "$repo"/src "$repo"/migrations "$repo"/bin "$work/build/"
(cd "$work/build" && npm ci && npm run build)

step 'runtime stage: production dependencies, the build, the tool and config.example/ as the configuration'
cp "$repo"/package.json "$repo"/package-lock.json "$work/app/"
cp -r "$work/build/dist" "$repo/bin" "$work/app/"
cp -r "$repo/config.example" "$work/app/config"
mkdir -p "$work/app/data"
cd "$work/app"
npm ci --omit=dev
[ ! -e node_modules/tsx ] || { echo 'tsx is installed in production'; exit 1; }

export NODE_ENV=production
export BRIDGE_CONFIG_DIR="$work/app/config"
export DATA_DIR="$work/app/data"
export PORT=3998
export HOST=127.0.0.1
export PUBLIC_URL=http://127.0.0.1:3998
export SESSION_KEYS=$(openssl rand -base64 32)
export SNILS_PEPPER=$(openssl rand -base64 32)
export KEY_ENCRYPTION_KEY=$(openssl rand -base64 32)
export DIARY_CLIENT_SECRET=$(openssl rand -base64 24)
export PID_FILE="$work/diary-bridge.pid"

step 'a production start without DATABASE_URL is refused with one clear line'
set +e
refusal=$(npx diary-bridge serve 2>&1 >/dev/null)
refused=$?
set -e
echo "$refusal"
[ "$refused" -eq 1 ] || fail "exit status $refused, not 1"
[ "$(wc -l <<<"$refusal")" -eq 1 ] || fail 'more than one line'
grep -q 'DATABASE_URL' <<<"$refusal" || fail 'the line does not name DATABASE_URL'

createdb -h 127.0.0.1 -U postgres "$database"
export DATABASE_URL="$server/$database"

step 'npx diary-bridge config check'
npx diary-bridge config check
step 'npx diary-bridge migrate'
npx diary-bridge migrate

step 'npm start'
npm start >"$work/service.log" 2>&1 &
npm_pid=$!
for _ in $(seq 1 60); do
  curl -sf "$PUBLIC_URL/readyz" >/dev/null && break
  kill -0 "$npm_pid" 2>/dev/null || { cat "$work/service.log"; exit 1; }
  sleep 1
done
curl -sf "$PUBLIC_URL/readyz"
echo
pid=$(cat "$PID_FILE")
grep -q "\"pid\":$pid,.*\"msg\":\"bridge is ready\"" "$work/service.log" || fail 'the ready line does not carry the PID of PID_FILE'

step 'npx diary-bridge keys list'
npx diary-bridge keys list

step 'kill -HUP "$(cat "$PID_FILE")"'
kill -HUP "$(cat "$PID_FILE")"
for _ in $(seq 1 20); do
  grep -q '"msg":"configuration reloaded"' "$work/service.log" && break
  sleep 0.5
done
grep -q '"msg":"configuration reloaded"' "$work/service.log" || fail 'SIGHUP did not reload'
kill -0 "$pid" || fail 'SIGHUP ended the service'

# Idle: a minute without a request (V8 shrinks its heap after some 10-30 s of idleness); sampled every 5 s.
samples=''
for _ in $(seq 1 12); do
  samples="$samples $(awk '/VmRSS/ { printf "%.0f", $2 / 1024 }' "/proc/$pid/status")"
  sleep 5
done
rss=$(awk '/VmRSS/ { printf "%.0f", $2 / 1024 }' "/proc/$pid/status")
echo "resident memory of the service on PostgreSQL, every 5 s of a minute without requests (MiB):$samples; idle: $rss MiB (limit 100)"

step 'kill -TERM "$(cat "$PID_FILE")"'
kill -TERM "$(cat "$PID_FILE")"
status=0
wait "$npm_pid" || status=$?
pid=''
npm_pid=''
echo "exit status after SIGTERM: $status"
grep -q '"msg":"shutdown complete"' "$work/service.log" || fail 'no "shutdown complete" in the log'
[ ! -e "$PID_FILE" ] || fail 'PID_FILE is still there'
[ "$status" -eq 0 ] || fail "exit status $status after SIGTERM"
[ "$rss" -le 100 ] || fail "idle resident memory $rss MiB is above 100 MiB"
echo 'production path: every step passed'
