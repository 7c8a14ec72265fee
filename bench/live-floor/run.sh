#!/usr/bin/env bash
# The floor under bench/live's timeline figures: the same N pages, rate and measurement against a
# minimal push server (server.js: Node, one WebSocket message per batch, no framework, no database).
#   bench/live-floor/run.sh 20 200 10              # N pages, R events/s, S seconds
#   ACK=1 bench/live-floor/run.sh 20 200 10        # a page's next batch waits for its acknowledgement
#   APP_LOAD=1 ACK=1 bench/live-floor/run.sh ...   # and every event also goes to the real app (its ingest on the same cores)
#   PAGE=plain ...                                 # one small stylesheet instead of the app's
# Needs npm (playwright-core drives /usr/bin/chromium; ws). Uses the app published by bench/live.sh for its stylesheets.
set -euo pipefail
cd "$(dirname "$0")"
[ -d node_modules ] || npm install --no-audit --no-fund --silent >/dev/null
[ -f ../live/bin/app/Dashboard.App.dll ] || dotnet publish ../../App -c Release -o ../live/bin/app -nologo -v q >/dev/null
port=${PORT:-5300}
pids=()
trap 'kill "${pids[@]}" 2>/dev/null; [ -n "${data:-}" ] && rm -rf "$data"' EXIT
node server.js "$port" & pids+=($!)
if [ "${APP_LOAD:-}" = 1 ]; then
  data=$(mktemp -d); export APP_PORT=${APP_PORT:-5301} APP_TOKEN=bench-token-0123456789
  ( cd ../live/bin/app && Dashboard__DataDirectory="$data" Dashboard__AdminPassword=bench Dashboard__Demo__Activity=false \
      Dashboard__BootstrapToken=$APP_TOKEN Logging__LogLevel__Default=Warning \
      exec dotnet Dashboard.App.dll --urls "http://127.0.0.1:$APP_PORT" >"$data/app.log" 2>&1 ) & pids+=($!)
  for _ in $(seq 1 120); do curl -sf "http://127.0.0.1:$APP_PORT/healthz" >/dev/null && break; sleep 0.5; done
fi
sleep 1
node driver.js "${1:-20}" "${2:-200}" "${3:-10}" "$port"
