using System.Diagnostics;
using System.Globalization;
using System.Text;
using Dashboard.App.Tests.Infrastructure;

namespace Dashboard.App.Tests.Browser;

/// <summary>
/// Event to screen, measured (not a timed test: it is skipped unless DASHBOARD_BENCH=1).
/// Posts start events at a steady rate to the real app and timestamps, inside Chromium, the moment
/// each entry's title appears in an open timeline page. Both clocks are this machine's wall clock.
///   DASHBOARD_BENCH=1 dotnet test --filter EventToScreen
/// </summary>
[Collection(AppCollection.Name)]
public sealed class EventToScreenBenchmark(AppFixture fixture, BrowserFixture browser)
{
    private const int EventsPerSecond = 200;
    private const int Seconds = 10;

    [Fact]
    public async Task EventToScreen_Latency_At200EventsPerSecond()
    {
        if (Environment.GetEnvironmentVariable("DASHBOARD_BENCH") != "1") Assert.Skip("A benchmark: run with DASHBOARD_BENCH=1.");
        var ct = TestContext.Current.CancellationToken;
        var page = await LoginPage.SignedInAsync(browser, fixture.App, "/?source=changes&component=e2s");
        await new TimelinePage(page).WaitLiveAsync();
        await page.EvaluateAsync("""
            () => {
              window.__seen = {};
              const mark = () => {
                const now = performance.timeOrigin + performance.now();
                for (const el of document.querySelectorAll('[data-testid=entry-title]')) {
                  const m = /^e2s (\d+) started$/.exec(el.textContent);
                  if (m && !(m[1] in window.__seen)) window.__seen[m[1]] = now;
                }
              };
              new MutationObserver(mark).observe(document.body, { childList: true, subtree: true, characterData: true });
            }
            """);

        using var client = fixture.App.ApiClient();
        var total = EventsPerSecond * Seconds;
        var sent = new double[total];
        var posts = new List<Task>(total);
        var clock = Stopwatch.StartNew();
        var epochAtStart = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - clock.Elapsed.TotalMilliseconds;
        for (var i = 0; i < total; i++)
        {
            var due = TimeSpan.FromSeconds((double)i / EventsPerSecond);
            if (due > clock.Elapsed) await Task.Delay(due - clock.Elapsed, ct);
            sent[i] = epochAtStart + clock.Elapsed.TotalMilliseconds;
            var body = $$"""{"component":"e2s","version":"{{i}}","hosts":["prod-api-1"]}""";
            posts.Add(client.PostAsync("/data/events/deployments/start", new StringContent(body, Encoding.UTF8, "application/json"), ct));
        }
        await Task.WhenAll(posts);
        await Task.Delay(2000, ct);

        var seen = await page.EvaluateAsync<Dictionary<string, double>>("() => window.__seen");
        var latencies = seen.Select(kv => kv.Value - sent[int.Parse(kv.Key, CultureInfo.InvariantCulture)]).Order().ToArray();
        double P(double q) => latencies[Math.Min(latencies.Length - 1, (int)Math.Ceiling(q * latencies.Length) - 1)];
        var report = string.Create(CultureInfo.InvariantCulture,
            $"event to screen at {EventsPerSecond}/s for {Seconds}s: {latencies.Length}/{total} seen, p50 {P(0.5):0} ms, p90 {P(0.9):0} ms, p99 {P(0.99):0} ms, max {latencies[^1]:0} ms");
        TestContext.Current.SendDiagnosticMessage(report);
        await File.WriteAllTextAsync(Path.Combine(AppContext.BaseDirectory, "event-to-screen.txt"), report + Environment.NewLine, ct);
        await page.Context.CloseAsync();
    }
}
