using Dashboard.App.Tests.Infrastructure;
using Dashboard.Jobs.Demo;
using Microsoft.Playwright;

namespace Dashboard.App.Tests.Browser;

/// <summary>A newcomer's first run: the demo fleet with its activity on, and a timeline that moves within a minute.</summary>
[Collection(AppCollection.Name)]
public sealed class DemoBrowserTests(BrowserFixture browser)
{
    [Fact]
    public async Task FirstRun_OnTheDemoFleet_ShowsALivingTimelineWithinAMinute()
    {
        using var data = new TempDirectory();
        await using var app = new DashboardApp(data.Path, new Dictionary<string, string?>
        {
            [DemoActivityHost.ActivityKey] = "true",
            [DemoActivityHost.BeatKey] = "1",
        }).Start();

        foreach (var scheme in new[] { ColorScheme.Light, ColorScheme.Dark })
        {
            var page = await LoginPage.SignedInAsync(browser, app, "/", scheme);
            var timeline = new TimelinePage(page);
            var demoEntries = timeline.Entries.Filter(new() { HasTextRegex = new System.Text.RegularExpressions.Regex(string.Join('|', DemoActivity.Components)) });
            await Assertions.Expect(demoEntries.First).ToBeVisibleAsync(new() { Timeout = 60_000 });
            await Assertions.Expect(timeline.Entries.Nth(4)).ToBeVisibleAsync(new() { Timeout = 60_000 });
            await timeline.ScreenshotAsync(scheme == ColorScheme.Dark ? "demo-first-run-dark" : "demo-first-run-light");
            await page.Context.CloseAsync();
        }
    }
}
