#!/usr/bin/env bash
# The dashboard as a person sees it (issue 11 §6): starts the AppHost on a throwaway local Postgres, waits until the
# API is healthy, takes screenshots of the dashboard's pages with headless Chromium, then stops the AppHost with SIGTERM
# and fails if its shutdown printed a stack trace.
# Needs: Debian's chromium (apt-get install -y chromium) and node; run from anywhere: tools/dashboard-screenshots/run.sh [out]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
out="${1:-$here/screenshots}"
data="$(mktemp -d /tmp/smarterfirms-dashboard-XXXXXX)"
log="$data/apphost.log"
chmod 755 "$data"

[ -d "$here/node_modules/puppeteer-core" ] || (cd "$here" && npm install --no-audit --no-fund --silent)

dotnet run --project "$repo/SmarterFirms.AppHost" --launch-profile http -- \
  "Postgres:Mode=local" "Postgres:DataDirectory=$data/postgres" "Postgres:Durable=false" "Monitoring:Interval=00:00:05" > "$log" 2>&1 &
apphost=$!
trap 'kill -TERM $apphost 2>/dev/null || true; sleep 20; rm -rf "$data"' EXIT

for _ in $(seq 1 180); do
  if curl -fs http://localhost:5180/health > /dev/null 2>&1; then break; fi
  kill -0 $apphost 2>/dev/null || { cat "$log"; exit 1; }
  sleep 1
done
login="$(grep -o 'http://localhost:15080/login?t=[0-9a-f]*' "$log" | head -1)"
# A few requests, and two polls of the database metrics, before the pictures.
curl -fs http://localhost:5180/.well-known/openid-configuration > /dev/null
sleep 12
node "$here/screenshots.mjs" "$login" "$out"

kill -TERM $apphost
wait $apphost || true
trap 'rm -rf "$data"' EXIT
if grep -nE '^\s+at [A-Za-z_.]+\(|Unhandled exception' "$log"; then
  echo "The AppHost printed a stack trace (above); full log: $log" >&2
  cp "$log" "$out/apphost.log"
  exit 1
fi
echo "Screenshots in $out; the AppHost stopped cleanly."
