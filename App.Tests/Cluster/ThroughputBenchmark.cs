using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using Dashboard.App.Tests.Infrastructure;
using Dashboard.App.Tests.Rollouts;
using Dashboard.Data.Rollouts;
using Dashboard.Data.Work;

namespace Dashboard.App.Tests.Cluster;

// Change-event ingest, idle `next` and device status reports per second on PostgreSQL, one node and two nodes
// (skipped unless DASHBOARD_BENCH=1). The same load both times: two wrk processes (-t1 -c16 each),
// both at node A for one node, one at A and one at B for two nodes.
//   DASHBOARD_BENCH=1 dotnet test App.Tests --filter Benchmark_Throughput
public sealed partial class TwoNodeTests
{
    [Fact]
    public async Task Benchmark_Throughput_OneNodeAndTwoNodes()
    {
        if (Environment.GetEnvironmentVariable("DASHBOARD_BENCH") != "1") Assert.Skip("A benchmark: run with DASHBOARD_BENCH=1.");
        SkipWithoutPostgres();
        Assert.True(File.Exists("/usr/bin/wrk"), "needs wrk: apt-get install -y wrk");
        using var work = new TempDirectory();
        var output = Path.Combine(AppContext.BaseDirectory, "two-node-throughput.txt");
        File.Delete(output);
        void Report(string line)
        {
            line = $"{line}; load {File.ReadAllText("/proc/loadavg").Trim()}";
            TestContext.Current.SendDiagnosticMessage(line);
            File.AppendAllText(output, line + "\n");
        }

        // Change events: every request starts a new change (a component per wrk process and run, a version per request).
        foreach (var (label, second) in new[] { ("one node", A), ("two nodes", B) })
        {
            var ingest = new List<string>();
            for (var i = 0; i < 2; i++)
            {
                ingest.Add(await WrkScriptAsync(work.Path, $"ingest{i}", "POST", DashboardApp.BootstrapToken, $$"""
                    local n = 0
                    request = function()
                      n = n + 1
                      return wrk.format(nil, nil, nil, '{"component":"ing{{Guid.NewGuid():N}}","version":"' .. n .. '","hosts":["h1"]}')
                    end
                    """));
            }
            var rate = await PairAsync((A, "/data/events/deployments/start", ingest[0]), (second, "/data/events/deployments/start", ingest[1]));
            Report($"change events, {label}: {rate}");
        }

        // next with nothing to do (the idle-device cache, on across nodes): two devices in no rollout yet,
        // device 1 always asking A, device 2 asking A or B.
        using var viaA = new MenderTestDevice(A.BaseAddress);
        using var viaB = new MenderTestDevice(B.BaseAddress);
        var (type, ids) = await AdmitTwoAsync(viaA, viaB);
        var idle = new List<string>();
        foreach (var (device, i) in new[] { (viaA, 0), (viaB, 1) })
        {
            idle.Add(await WrkScriptAsync(work.Path, $"next{i}", "POST", device.Token!,
                $$$"""wrk.body = '{"device_provides":{"artifact_name":"release-0","device_type":"{{{type}}}"}}'"""));
        }
        foreach (var (label, node) in new[] { ("one node", A), ("two nodes", B) })
        {
            var rate = await PairAsync((A, NextPath, idle[0]), (node, NextPath, idle[1]));
            Report($"next with nothing to do, {label}: {rate}");
        }

        // Status reports: the same two devices in one rollout, each alternating downloading/installing
        // (every report a real transition); device 1 always reports to A, device 2 to A or B.
        var rollout = await RolloutAsync(work.Path, type, ids, viaA, viaB);
        var status = $"/api/devices/v1/deployments/device/deployments/{rollout}/status";
        var scripts = new List<string>();
        foreach (var (device, i) in new[] { (viaA, 0), (viaB, 1) })
        {
            scripts.Add(await WrkScriptAsync(work.Path, $"status{i}", "PUT", device.Token!, Rollouts.RolloutBenchmark.AlternatingStatusScript));
        }
        foreach (var (label, node) in new[] { ("one node", A), ("two nodes", B) })
        {
            var rate = await PairAsync((A, status, scripts[0]), (node, status, scripts[1]));
            Report($"status reports, {label}: {rate}");
        }
    }

    private const string NextPath = "/api/devices/v2/deployments/device/deployments/next";

    /// <summary>Runs two wrk processes at once and sums their rates.</summary>
    private async Task<string> PairAsync((DashboardApp App, string Path, string Script) first, (DashboardApp App, string Path, string Script) second)
    {
        var runs = await Task.WhenAll(WrkAsync(first.App, first.Path, first.Script), WrkAsync(second.App, second.Path, second.Script));
        return string.Create(CultureInfo.InvariantCulture,
            $"{runs.Sum(r => r.Rate):0}/s (wrk A: {runs[0].Summary}; wrk {(second.App == first.App ? "A" : "B")}: {runs[1].Summary})");
    }

    private static async Task<string> WrkScriptAsync(string directory, string name, string method, string token, string lua)
    {
        var script = Path.Combine(directory, name + ".lua");
        await File.WriteAllTextAsync(script, $$"""
            wrk.method = "{{method}}"
            wrk.headers["Authorization"] = "Bearer {{token}}"
            wrk.headers["Content-Type"] = "application/json"
            {{lua}}
            """, Ct);
        return script;
    }

    private async Task<(double Rate, string Summary)> WrkAsync(DashboardApp app, string path, string script)
    {
        var (code, output) = await MenderCommands.RunAsync("/usr/bin/wrk",
            ["-t1", "-c16", "-d10s", "--latency", "-s", script, app.BaseAddress.ToString().TrimEnd('/') + path]);
        Assert.True(code == 0, output);
        // What the nodes logged as errors says why requests failed; wrk only counts them.
        Assert.True(!output.Contains("Non-2xx", StringComparison.Ordinal), output + string.Join("\n",
            A.Logs.Entries.Concat(B.Logs.Entries).Select(e => $"{e.Category}: {e.Message} {e.Exception?.GetType().Name}: {e.Exception?.Message}").Distinct().Take(10)));
        string Field(string prefix) => output.Split('\n').First(l => l.TrimStart().StartsWith(prefix, StringComparison.Ordinal)).Trim();
        var rate = double.Parse(Field("Requests/sec").Split(':')[1].Trim(), CultureInfo.InvariantCulture);
        return (rate, $"{rate:0}/s, p50 {Field("50%").Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]}, p99 {Field("99%").Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]}");
    }

    /// <summary>Two admitted devices of a fresh type, one through each node, with their inventory sent.</summary>
    private async Task<(string Type, List<string> Ids)> AdmitTwoAsync(MenderTestDevice first, MenderTestDevice second)
    {
        var type = "bench-" + Guid.NewGuid().ToString("N")[..6];
        var ids = new List<string>();
        foreach (var (device, node) in new[] { (first, A), (second, B) })
        {
            await MenderDeviceApiTests.AdmitAsync(node, device);
            using (await device.SendInventoryAsync(type, "release-0", Ct)) { }
            using var management = node.ApiClient();
            ids.Add((await MenderDeviceApiTests.FindAsync(management, device.Mac)).DeviceId);
        }
        return (type, ids);
    }

    /// <summary>A rollout of the two devices created on A, each handed its deployment by its own node.</summary>
    private async Task<string> RolloutAsync(string directory, string type, List<string> ids, MenderTestDevice first, MenderTestDevice second)
    {
        using var admin = A.ApiClient();
        var artifact = "bench-app-" + Guid.NewGuid().ToString("N")[..6];
        using (await MenderCommands.UploadAsync(admin, await MenderCommands.SingleFileArtifactAsync(directory, artifact, type, "/tmp/bench"))) { }
        string rollout;
        // Both devices were just told "nothing" on their node: B must hear A's create (the cluster
        // relay) before it stops answering from its idle-device cache.
        var heard = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using (B.Service<ProgressNotifier>().Subscribe(IdleDeviceCache.SignalKind, null, _ => heard.TrySetResult()))
        {
            using var created = await admin.PostAsJsonAsync("/api/management/v1/deployments/deployments", new { name = "bench", artifact_name = artifact, devices = ids }, Ct);
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
            rollout = created.Headers.Location!.ToString().Split('/')[^1];
            await heard.Task.WaitAsync(TimeSpan.FromSeconds(30), Ct);
        }
        foreach (var (device, node) in new[] { (first, A), (second, B) })
        {
            using var handed = await device.NextAsync(type, "release-0", Ct, node.BaseAddress);
            Assert.Equal(HttpStatusCode.OK, handed.StatusCode);
        }
        return rollout;
    }
}
