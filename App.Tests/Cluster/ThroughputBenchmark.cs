using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using Dashboard.App.Tests.Infrastructure;
using Dashboard.App.Tests.Rollouts;

namespace Dashboard.App.Tests.Cluster;

// Change-event ingest and device status reports per second on PostgreSQL, one node and two nodes
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

        // Status reports: two devices in one rollout, each alternating downloading/installing (every
        // report a real transition); device 1 always reports to A, device 2 to A or B.
        var (rollout, tokens) = await RolloutOfTwoDevicesAsync(work.Path);
        var status = $"/api/devices/v1/deployments/device/deployments/{rollout}/status";
        var scripts = new List<string>();
        for (var i = 0; i < tokens.Length; i++)
        {
            scripts.Add(await WrkScriptAsync(work.Path, $"status{i}", "PUT", tokens[i], Rollouts.RolloutBenchmark.AlternatingStatusScript));
        }
        foreach (var (label, second) in new[] { ("one node", A), ("two nodes", B) })
        {
            var rate = await PairAsync((A, status, scripts[0]), (second, status, scripts[1]));
            Report($"status reports, {label}: {rate}");
        }
    }

    /// <summary>Runs two wrk processes at once and sums their rates.</summary>
    private static async Task<string> PairAsync((DashboardApp App, string Path, string Script) first, (DashboardApp App, string Path, string Script) second)
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

    private static async Task<(double Rate, string Summary)> WrkAsync(DashboardApp app, string path, string script)
    {
        var (code, output) = await MenderCommands.RunAsync("/usr/bin/wrk",
            ["-t1", "-c16", "-d10s", "--latency", "-s", script, app.BaseAddress.ToString().TrimEnd('/') + path]);
        Assert.True(code == 0, output);
        Assert.DoesNotContain("Non-2xx", output, StringComparison.Ordinal);
        string Field(string prefix) => output.Split('\n').First(l => l.TrimStart().StartsWith(prefix, StringComparison.Ordinal)).Trim();
        var rate = double.Parse(Field("Requests/sec").Split(':')[1].Trim(), CultureInfo.InvariantCulture);
        return (rate, $"{rate:0}/s, p50 {Field("50%").Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]}, p99 {Field("99%").Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]}");
    }

    /// <summary>Two admitted devices (one through each node) in one rollout, each handed its deployment.</summary>
    private async Task<(string Rollout, string[] Tokens)> RolloutOfTwoDevicesAsync(string directory)
    {
        var type = "bench-" + Guid.NewGuid().ToString("N")[..6];
        using var first = new MenderTestDevice(A.BaseAddress);
        using var second = new MenderTestDevice(B.BaseAddress);
        var ids = new List<string>();
        foreach (var (device, node) in new[] { (first, A), (second, B) })
        {
            await MenderDeviceApiTests.AdmitAsync(node, device);
            using (await device.SendInventoryAsync(type, "release-0", Ct)) { }
            using var management = node.ApiClient();
            ids.Add((await MenderDeviceApiTests.FindAsync(management, device.Mac)).DeviceId);
        }
        using var admin = A.ApiClient();
        var artifact = "bench-app-" + Guid.NewGuid().ToString("N")[..6];
        using (await MenderCommands.UploadAsync(admin, await MenderCommands.SingleFileArtifactAsync(directory, artifact, type, "/tmp/bench"))) { }
        using var created = await admin.PostAsJsonAsync("/api/management/v1/deployments/deployments", new { name = "bench", artifact_name = artifact, devices = ids }, Ct);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        foreach (var (device, node) in new[] { (first, A), (second, B) })
        {
            // The first phase started with the create, so each device is handed it at once, on either node.
            using var handed = await device.NextAsync(type, "release-0", Ct, node.BaseAddress);
            Assert.Equal(HttpStatusCode.OK, handed.StatusCode);
        }
        return (created.Headers.Location!.ToString().Split('/')[^1], [first.Token!, second.Token!]);
    }
}
