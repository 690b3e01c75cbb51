#!/usr/bin/env bash
# A machine without OpenSSL's GOST engine, on this one: the engine (/usr/lib/*/engines-3/gost.so) is
# hidden behind /dev/null in a private mount namespace (unshare --mount; needs root), for this script
# and what it starts only. ESIA's GOST then runs in JavaScript (docs/state-services.md, "Which GOST implementation").
#   scripts/without-gost-engine.sh              the demo, as `npm run demo` starts it: /readyz answers,
#                                               the log says JavaScript, region 29 signs in through the
#                                               ESIA simulator end to end, region 78's login reaches the
#                                               OIDC simulator; then the server is stopped by its PID
#   scripts/without-gost-engine.sh CMD ARGS...  CMD with the engine hidden (.ci/run: the GOST tests)
# The demo listens on PORT (default 3996) and on the simulators' fixed ports 3001-3003 (config/).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "${GOST_ENGINE_HIDDEN:-}" != yes ]; then
  exec unshare --mount env GOST_ENGINE_HIDDEN=yes bash "$0" "$@"
fi
hidden=0
for engine in /usr/lib/*/engines-3/gost.so; do
  [ -e "$engine" ] || continue
  mount --bind /dev/null "$engine"
  hidden=$((hidden + 1))
done
echo "GOST engine hidden: $hidden file(s)$([ "$hidden" -eq 0 ] && echo ' (none installed)')"

if [ "$#" -gt 0 ]; then
  exec "$@"
fi

port=${PORT:-3996}
bridge="http://localhost:$port"
esia=http://localhost:3001
work=$(mktemp -d)
pid=''
cleanup() {
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then kill -TERM "$pid"; wait "$pid" || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
fail() {
  echo "FAILED: $*"
  echo '--- the demo log'
  cat "$work/demo.log"
  exit 1
}
get() { curl -s -c "$work/jar" -b "$work/jar" -o "$work/body" -w '%{http_code} %{redirect_url}\n' "$@"; }

# npm run demo, started with node so that $! is the server.
DATA_DIR="$work/data" PORT=$port node --import tsx demo/main.ts >"$work/demo.log" 2>&1 &
pid=$!
for _ in $(seq 1 90); do
  curl -sf "$bridge/readyz" >/dev/null && break
  kill -0 "$pid" 2>/dev/null || fail 'the demo stopped before /readyz answered'
  sleep 1
done
curl -sf "$bridge/readyz" >/dev/null || fail '/readyz never answered'
echo 'demo: /readyz answered 200'
grep -q 'GOST R 34.10/34.11-2012 for ESIA: JavaScript' "$work/demo.log" || fail 'the log has no line saying ESIA runs on JavaScript'
grep 'GOST R 34.10/34.11-2012 for ESIA' "$work/demo.log"

# Region 29: ESIA. The bridge signs v2/ac in JavaScript and the simulator checks it; the person "maria";
# the bridge signs v3/te and verifies the ID token; the account page names her.
read -r status _ < <(get "$bridge/login?region=29")
[ "$status" = 200 ] || fail "region 29's login page answered $status"
read -r status location < <(get "$bridge/login/state-services")
[[ "$status" = 302 && "$location" = "$esia/aas/oauth2/v2/ac?"* ]] || fail "region 29 did not send the browser to ESIA ($status $location)"
read -r status _ < <(get "$location")
form=$(grep -o 'action="/simulator/login/[A-Za-z0-9-]*"' "$work/body" | head -n 1 | sed -E 's/action="(.*)"/\1/')
[ "$status" = 200 ] && [ -n "$form" ] || fail "the ESIA simulator refused the signed request ($status): $(head -c 300 "$work/body")"
read -r status location < <(get -d person=maria "$esia$form")
[[ "$location" = "$bridge/login/state-services/callback?code="* ]] || fail "ESIA did not return a code ($status $location)"
read -r status location < <(get "$location")
[ "$status" = 303 ] && [ "$location" = "$bridge/account" ] || fail "the callback did not sign in ($status $location)"
read -r status _ < <(get "$bridge/account")
grep -q 'Мария' "$work/body" || fail "the account page does not name the person ($status)"
echo 'region 29: signed in through the ESIA simulator (GOST in JavaScript both ways)'

# Region 78: the standard OIDC login reaches its simulator's login page.
rm -f "$work/jar"
read -r status _ < <(get "$bridge/login?region=78")
[ "$status" = 200 ] || fail "region 78's login page answered $status"
read -r status location < <(get "$bridge/login/state-services")
[[ "$status" = 302 && "$location" = http://localhost:3003/auth?* ]] || fail "region 78 did not send the browser to the OIDC simulator ($status $location)"
read -r status _ < <(curl -s -L -c "$work/oidc-jar" -b "$work/oidc-jar" -o /dev/null -w '%{http_code} %{url_effective}\n' "$location")
[ "$status" = 200 ] || fail "the OIDC simulator's login page answered $status"
echo "region 78: the OIDC simulator's login page answered 200"

kill -TERM "$pid"
wait "$pid" || fail 'the demo did not stop cleanly on SIGTERM'
pid=''
echo 'demo: stopped'
