#!/usr/bin/env bash
# The floor under bench/live's timeline figures: the same N pages, rate and measurement against a
# minimal push server (server.js: Node, one WebSocket message per batch, no framework, no database).
#   bench/live-floor/run.sh 20 200 10              # N pages, R events/s, S seconds
#   ACK=1 bench/live-floor/run.sh 20 200 10        # a page's next batch waits for its acknowledgement
#   APP_LOAD=1 ACK=1 bench/live-floor/run.sh ...   # and every event also goes to the real app (its ingest on the same cores)
#   PAGE=plain ...                                 # one small stylesheet instead of the app's
#   PAGE=snapshot ...                              # the app's own timeline page (layout, filters, lanes, rows), saved by snapshot.js
#   TRACE=/tmp/floor.json SHOT=/tmp/floor.png ...  # a Chromium trace of the sending; a screenshot of the first page
# Needs npm (playwright-core drives /usr/bin/chromium; ws). Uses the app published by bench/live.sh for its stylesheets.
set -euo pipefail
cd "$(dirname "$0")"
[ -d node_modules ] || npm install --no-audit --no-fund --silent >/dev/null
[ -f ../live/bin/app/Dashboard.App.dll ] || dotnet publish ../../App -c Release -o ../live/bin/app -nologo -v q >/dev/null
port=${PORT:-5300}
pids=()
trap 'kill "${pids[@]}" 2>/dev/null; [ -n "${data:-}" ] && rm -rf "$data"' EXIT
app_port=${APP_PORT:-5301} token=bench-token-0123456789
if [ "${APP_LOAD:-}" = 1 ] || [ "${PAGE:-}" = snapshot ]; then
  data=$(mktemp -d)
  ( cd ../live/bin/app && Dashboard__DataDirectory="$data" Dashboard__AdminPassword=bench Dashboard__Demo__Activity=false \
      Dashboard__BootstrapToken=$token Logging__LogLevel__Default=Warning \
      exec dotnet Dashboard.App.dll --urls "http://127.0.0.1:$app_port" >"$data/app.log" 2>&1 ) & pids+=($!)
  for _ in $(seq 1 120); do curl -sf "http://127.0.0.1:$app_port/healthz" >/dev/null && break; sleep 0.5; done
fi
if [ "${PAGE:-}" = snapshot ]; then
  # The same history as bench/live.sh seeds, so the snapshot shows a full list and a lane picture.
  for i in $(seq 1 300); do
    curl -sf -o /dev/null -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
      -d "{\"component\":\"seed-$((i % 30))\",\"version\":\"1.$i\",\"hosts\":[\"prod-$((i % 9))\"],\"owner\":\"seed\"}" "http://127.0.0.1:$app_port/data/events/deployments/start"
    curl -sf -o /dev/null -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
      -d "{\"component\":\"seed-$((i % 30))\",\"version\":\"1.$i\",\"hosts\":[\"prod-$((i % 9))\"],\"status\":\"success\"}" "http://127.0.0.1:$app_port/data/events/deployments/end"
  done
  node snapshot.js "http://127.0.0.1:$app_port" "$data/timeline.html"
  export SNAPSHOT=$data/timeline.html
fi
[ "${APP_LOAD:-}" = 1 ] && export APP_PORT=$app_port APP_TOKEN=$token
node server.js "$port" & pids+=($!)
sleep 1
node driver.js "${1:-20}" "${2:-200}" "${3:-10}" "$port"
