#!/usr/bin/env bash
# Idle memory of the running dashboard: start a Release build on a fresh data directory with the demo
# fleet, touch /healthz and /login, wait, and print the resident set size; then stop it and start it
# again on the same data directory (a restart, the steady state of a deployed node) and print that too.
# RESTART=0 measures the first start only. Also prints the time from launch to a healthy /healthz.
set -euo pipefail
cd "$(dirname "$0")/.."
port=${PORT:-5055}
settle=${SETTLE_SECONDS:-30}
data=$(mktemp -d)
dotnet build App -c Release -nologo -v q >/dev/null
pid=
trap '[ -n "$pid" ] && kill $pid 2>/dev/null; rm -rf "$data"' EXIT

measure() {
    local label=$1 started ready
    started=$(date +%s%N)
    ( cd App && Dashboard__DataDirectory="$data" Dashboard__AdminPassword=bench Dashboard__Demo__Activity=false \
        exec dotnet bin/Release/net10.0/Dashboard.App.dll --urls "http://127.0.0.1:$port" >/dev/null 2>&1 ) &
    pid=$!
    for _ in $(seq 1 600); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
    ready=$(date +%s%N)
    curl -sf "http://127.0.0.1:$port/login" >/dev/null
    sleep "$settle"
    local app rss hwm anon file shmem
    app=$(pgrep -P $pid -f Dashboard.App.dll || echo $pid)
    rss=$(awk '/VmRSS/ {print $2}' /proc/$app/status)
    hwm=$(awk '/VmHWM/ {print $2}' /proc/$app/status)
    anon=$(awk '/RssAnon/ {print $2}' /proc/$app/status)
    file=$(awk '/RssFile/ {print $2}' /proc/$app/status)
    shmem=$(awk '/RssShmem/ {print $2}' /proc/$app/status)
    echo "$label: idle RSS $((rss / 1024)) MiB = $(awk -v k=$rss 'BEGIN { printf "%.1f", k * 1024 / 1e6 }') MB (peak $((hwm / 1024)) MiB) after ${settle}s: anonymous $((anon / 1024)) MiB," \
        "mapped files $((file / 1024)) MiB, JIT code and loader heaps (shmem) $((shmem / 1024)) MiB;" \
        "/healthz after $(( (ready - started) / 1000000 )) ms; load $(cut -d' ' -f1-3 /proc/loadavg)"
    kill $pid; wait $pid 2>/dev/null || true; pid=
}

measure "first start"
[ "${RESTART:-1}" = 0 ] || measure "restart    "
