using System.Diagnostics;
using System.Globalization;
using System.Text;
using Dashboard.App.Tests.Browser;
using Dashboard.App.Tests.Infrastructure;

namespace Dashboard.App.Tests.Cluster;

// Event to screen across nodes, measured (skipped unless DASHBOARD_BENCH=1): a timeline page open on
// node B, change events posted at a steady rate to B itself (one node) and then to A (across nodes),
// and the moment each title appears timestamped inside Chromium. Part of TwoNodeTests so that it
// shares its two nodes instead of starting two more.
//   DASHBOARD_BENCH=1 dotnet test App.Tests --filter Benchmark_EventToScreen
public sealed partial class TwoNodeTests
{
    private const int EventsPerSecond = 50;
    private const int Seconds = 6;

    [Fact]
    public async Task Benchmark_EventToScreen_OnB_ForEventsPostedToB_AndToA()
    {
        if (Environment.GetEnvironmentVariable("DASHBOARD_BENCH") != "1") Assert.Skip("A benchmark: run with DASHBOARD_BENCH=1.");
        if (nodes.Unavailable is { } why) Assert.Skip(why);
        var report = new StringBuilder();
        foreach (var (label, poster) in new[] { ("same node (B to B)", nodes.B), ("across nodes (A to B)", nodes.A) })
        {
            var component = "x2n" + Guid.NewGuid().ToString("N")[..6];
            var line = await MeasureAsync(poster, component);
            report.AppendLine(CultureInfo.InvariantCulture, $"{label}: {line}; load {File.ReadAllText("/proc/loadavg").Trim()}");
        }
        TestContext.Current.SendDiagnosticMessage(report.ToString());
        await File.WriteAllTextAsync(Path.Combine(AppContext.BaseDirectory, "cross-node-event-to-screen.txt"), report.ToString(), TestContext.Current.CancellationToken);
    }

    private async Task<string> MeasureAsync(DashboardApp poster, string component)
    {
        var ct = TestContext.Current.CancellationToken;
        var page = await LoginPage.SignedInAsync(browser, nodes.B, $"/?source=changes&component={component}");
        await new TimelinePage(page).WaitLiveAsync();
        await page.EvaluateAsync("""
            prefix => {
              window.__seen = {};
              const pattern = new RegExp('^' + prefix + ' (\\d+) started$');
              const mark = () => {
                const now = performance.timeOrigin + performance.now();
                for (const el of document.querySelectorAll('[data-testid=entry-title]')) {
                  const m = pattern.exec(el.textContent);
                  if (m && !(m[1] in window.__seen)) window.__seen[m[1]] = now;
                }
              };
              new MutationObserver(mark).observe(document.body, { childList: true, subtree: true, characterData: true });
            }
            """, component);

        using var client = poster.ApiClient();
        var total = EventsPerSecond * Seconds;
        var sent = new double[total];
        var posts = new List<Task<HttpResponseMessage>>(total);
        var clock = Stopwatch.StartNew();
        var epochAtStart = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - clock.Elapsed.TotalMilliseconds;
        for (var i = 0; i < total; i++)
        {
            var due = TimeSpan.FromSeconds((double)i / EventsPerSecond);
            if (due > clock.Elapsed) await Task.Delay(due - clock.Elapsed, ct);
            sent[i] = epochAtStart + clock.Elapsed.TotalMilliseconds;
            var body = $$"""{"component":"{{component}}","version":"{{i}}","hosts":["prod-api-1"]}""";
            posts.Add(client.PostAsync("/data/events/deployments/start", new StringContent(body, Encoding.UTF8, "application/json"), ct));
        }
        foreach (var response in await Task.WhenAll(posts)) response.Dispose();
        // Let the last entries reach the page; this is a measurement, not a test of time-based logic.
        await Task.Delay(3000, ct);

        var seen = await page.EvaluateAsync<Dictionary<string, double>>("() => window.__seen");
        await page.Context.CloseAsync();
        var latencies = seen.Select(kv => kv.Value - sent[int.Parse(kv.Key, CultureInfo.InvariantCulture)]).Order().ToArray();
        if (latencies.Length == 0) return $"0/{total} seen";
        double P(double q) => latencies[Math.Min(latencies.Length - 1, (int)Math.Ceiling(q * latencies.Length) - 1)];
        return string.Create(CultureInfo.InvariantCulture,
            $"{EventsPerSecond}/s for {Seconds}s: {latencies.Length}/{total} seen, p50 {P(0.5):0} ms, p99 {P(0.99):0} ms, max {latencies[^1]:0} ms");
    }
}
