#!/usr/bin/env bash
# Kill -9 crash safety at the benchmark size of issue 12: a 10,000-device three-phase Mender
# rollout with every device reporting, a 200-device Packet batch, a Nomad canary deployment and a
# stream of BigPanda events; the app (its own process, Release build) is killed with SIGKILL 20
# times at random moments and started again on the same data. After every kill the database is
# checked against what the clients were acknowledged; the figures (kills, restarts, start-up and
# resume times, counts checked, load average) are printed and appended to crash-figures.txt.
#   bench/crash.sh               # both providers
#   bench/crash.sh sqlite        # one provider: sqlite | postgres
# PostgreSQL is a throw-away server from /usr/local/bin (as the tests start it), or
# DASHBOARD_TEST_POSTGRES=<connection string> for an existing one. Loopback only.
set -euo pipefail
cd "$(dirname "$0")/.."
providers=${1:-"sqlite postgres"}
dotnet build App.Tests -c Release -nologo -v q >/dev/null
figures=App.Tests/bin/Release/net10.0/crash-figures.txt
: >"$figures"
status=0
for provider in $providers; do
  echo "== $provider (load average before: $(cut -d' ' -f1-3 /proc/loadavg))"
  DASHBOARD_BENCH=1 dotnet test App.Tests -c Release --no-build -nologo \
    --filter "FullyQualifiedName~CrashSafetyTests.Benchmark_10000DeviceRollout_200DeviceBatch_20Kills&DisplayName~$provider" \
    || status=$?
done
cat "$figures"
exit $status
