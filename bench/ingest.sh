#!/usr/bin/env bash
# Change-event ingest: start a Release build of the dashboard on a fresh SQLite data directory
# (WAL, synchronous writes), then drive BigPanda start/end events at it from bench/ingest with
# several concurrency levels. Loopback only; bounded in time.
#   bench/ingest.sh                 # CONCURRENCY="16 64 128" SECONDS_PER_RUN=15
#   RATE=200 CONCURRENCY=16 bench/ingest.sh   # paced to 200 events/s: read the server CPU per 1,000 events
#   APP_DIR=/tmp/before bench/ingest.sh       # run a copy of an earlier Release build (A/B), no app build
#   PERF_SECONDS=10 RATE=200 CONCURRENCY="16 16" bench/ingest.sh   # also `perf record` the app during the last level
set -euo pipefail
cd "$(dirname "$0")/.."
port=${PORT:-5099}
seconds=${SECONDS_PER_RUN:-15}
levels=${CONCURRENCY:-"16 64 128"}
rate=${RATE:-0}
token=bench-token-0123456789
data=$(mktemp -d)
app_dir=${APP_DIR:-}
if [ -z "$app_dir" ]; then
  dotnet build App -c Release -nologo -v q >/dev/null
  app_dir=$PWD/App/bin/Release/net10.0
fi
perf_seconds=${PERF_SECONDS:-0}
dotnet build bench/ingest -c Release -nologo -v q >/dev/null
# Perf maps (and no W^X double mapping) let perf name JIT-compiled methods; off unless profiling.
if [ "$perf_seconds" -gt 0 ]; then export DOTNET_PerfMapEnabled=1 DOTNET_EnableWriteXorExecute=0; fi
( cd App && Dashboard__DataDirectory="$data" Dashboard__AdminPassword=bench Dashboard__BootstrapToken=$token Dashboard__Demo=false \
    Logging__LogLevel__Default=Warning exec dotnet "$app_dir/Dashboard.App.dll" --urls "http://127.0.0.1:$port" >"$data/app.log" 2>&1 ) &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$data"' EXIT
for _ in $(seq 1 60); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.5; done
app=$(pgrep -P $pid -f Dashboard.App.dll || echo $pid)
cpu() { awk '{print $14 + $15}' /proc/$app/stat; }   # server user+system time, in clock ticks
# Context switches of the server's live threads (a thread that ended takes its count with it).
switches() { cat /proc/$app/task/*/status 2>/dev/null | awk '/ctxt_switches/ {n += $2} END {print n + 0}'; }
ticks=$(getconf CLK_TCK)
remaining=$(echo $levels | wc -w)
for c in $levels; do
  before=$(cpu)
  switched=$(switches)
  remaining=$((remaining - 1))
  if [ "$perf_seconds" -gt 0 ] && [ "$remaining" -eq 0 ]; then
    # Starts after the driver's warm-up, records the app's threads only.
    ( sleep 4; perf record -F 999 -g -p "$app" -o "${PERF_OUT:-/tmp/ingest.perf.data}" -- sleep "$perf_seconds" >/dev/null 2>&1 ) &
  fi
  line=$(dotnet bench/ingest/bin/Release/net10.0/Dashboard.Ingest.dll "http://127.0.0.1:$port" "$token" "$c" "$seconds" 3 "$rate" || true)
  echo "$line"
  ms=$(( ($(cpu) - before) * 1000 / ticks ))
  requests=$(echo "$line" | sed -n 's/.*requests in all (warm-up included) \([0-9]*\).*/\1/p')
  echo "  server CPU during the run (warm-up included): $ms ms, $(( ms * 1000 / ${requests:-1} )) ms per 1,000 events, $(( ($(switches) - switched) * 1000 / ${requests:-1} )) context switches per 1,000 events; machine load: $(cut -d' ' -f1-3 /proc/loadavg)"
done
echo "changes stored: $(sqlite3 "$data/dashboard.db" 'select count(*) from Changes;' 2>/dev/null || echo '?')"
