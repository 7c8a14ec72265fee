#!/usr/bin/env bash
# Live pages at scale: start a Release build of the dashboard in its own process on a fresh SQLite
# data directory, seed some history, then run one scenario of bench/live (Chromium via Playwright,
# load over HTTP, server CPU and RSS from /proc). Loopback only; bounded in time.
#   bench/live.sh timeline 20 200 10        # N timeline pages, R events/s, S seconds
#   WARMUP=10 bench/live.sh timeline 20 200 10   # the same after 10 s of unmeasured load (a warm server)
#   bench/live.sh idle 100                  # KiB per open circuit (RSS after a full GC)
#   bench/live.sh kiosk 800 480 200 60      # one kiosk, CPU throttled 4x
set -euo pipefail
cd "$(dirname "$0")/.."
port=${PORT:-5097}
token=bench-token-0123456789
data=$(mktemp -d -p "${DATA_PARENT:-${TMPDIR:-/tmp}}")   # DATA_PARENT=/dev/shm: the database on tmpfs (no disk in the ingest path)
# Published, not just built: outside Development only a published app serves its static assets (CSS, JS).
out=bench/live/bin/app
# REUSE_BUILD=1 skips both builds (several scenarios in a row on the same code). APP_DIR runs another
# published build instead (an A/B against an earlier commit: dotnet publish App -c Release -o DIR there).
if [ -n "${APP_DIR:-}" ]; then out=$APP_DIR; REUSE_BUILD=1; fi
if [ -z "${REUSE_BUILD:-}" ]; then
  dotnet publish App -c Release -o "$out" -nologo -v q >/dev/null
  dotnet build bench/live -c Release -nologo -v q >/dev/null
fi
( cd "$out" && Dashboard__DataDirectory="$data" Dashboard__AdminPassword=bench Dashboard__Demo__Activity=false Dashboard__BootstrapToken=$token \
    Dashboard__Bench__GcEndpoint=true Logging__LogLevel__Default=Warning \
    exec dotnet Dashboard.App.dll --urls "http://127.0.0.1:$port" >"$data/app.log" 2>&1 ) &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$data"' EXIT
for _ in $(seq 1 120); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.5; done
app=$(pgrep -P $pid -f Dashboard.App.dll || echo $pid)
# History for the pages to show: 300 finished changes over 30 components.
for i in $(seq 1 300); do
  body="{\"component\":\"seed-$((i % 30))\",\"version\":\"1.$i\",\"hosts\":[\"prod-$((i % 9))\"],\"owner\":\"seed\"}"
  curl -sf -o /dev/null -H "Authorization: Bearer $token" -H 'Content-Type: application/json' -d "$body" "http://127.0.0.1:$port/data/events/deployments/start"
  curl -sf -o /dev/null -H "Authorization: Bearer $token" -H 'Content-Type: application/json' -d "{\"component\":\"seed-$((i % 30))\",\"version\":\"1.$i\",\"hosts\":[\"prod-$((i % 9))\"],\"status\":\"$([ $((i % 13)) = 0 ] && echo failure || echo success)\"}" "http://127.0.0.1:$port/data/events/deployments/end"
done
sleep "${SETTLE_SECONDS:-8}"   # past the app's post-start GC
echo "app pid $app, idle RSS before any page: $(( $(awk '/VmRSS/ {print $2}' /proc/$app/status) / 1024 )) MiB, load $(cut -d' ' -f1-3 /proc/loadavg)"
( cd bench/live && BENCH_PASSWORD=bench dotnet bin/Release/net10.0/Dashboard.LiveBench.dll "http://127.0.0.1:$port" "$token" "$app" "$@" )
