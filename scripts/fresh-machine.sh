#!/usr/bin/env bash
# A machine with Node.js and npm only, on this one: OpenSSL's GOST engine and Chromium are hidden behind
# /dev/null in a private mount namespace (unshare --mount; needs root) and DATABASE_URL is unset, for the
# command and what it starts only. ESIA's GOST then runs in JavaScript, the browser tests skip with their
# reason, and the database is the embedded one (PGlite).
#   scripts/fresh-machine.sh npm test        the whole suite, as a newcomer's machine runs it
#   scripts/fresh-machine.sh npm run demo    the demo (Ctrl-C stops it)
# scripts/without-gost-engine.sh hides only the engine and, without a command, checks the demo end to end.
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$#" -gt 0 ] || { echo "usage: scripts/fresh-machine.sh COMMAND [ARGS...]" >&2; exit 2; }

if [ "${FRESH_MACHINE:-}" != yes ]; then
  exec unshare --mount env -u DATABASE_URL FRESH_MACHINE=yes bash "$0" "$@"
fi
for hide in /usr/lib/*/engines-3/gost.so /usr/bin/chromium; do
  [ -e "$hide" ] || continue
  mount --bind /dev/null "$hide"
  echo "hidden: $hide"
done
exec "$@"
