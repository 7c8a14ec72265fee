using System.Diagnostics;
using Dashboard.App.Tests.Infrastructure;
using Dashboard.Data.Timeline;
using Microsoft.Playwright;

namespace Dashboard.App.Tests.Browser;

[Collection(AppCollection.Name)]
public sealed class TimelineBrowserTests(AppFixture fixture, BrowserFixture browser)
{
    /// <summary>
    /// The entry is pushed to the open page. How fast is a figure for the benchmarks (EventToScreenBenchmark,
    /// bench/live), measured with the machine's load stated: a one-second budget asserted here, in a suite that
    /// shares two cores with app hosts and Chromium, measured the machine's load as much as the page.
    /// </summary>
    [Fact]
    public async Task RecordedEntry_AppearsInAnOpenPage_WithoutReload()
    {
        var page = await LoginPage.SignedInAsync(browser, fixture.App, "/");
        var timeline = await new TimelinePage(page).WaitLiveAsync();
        var navigations = 0;
        page.FrameNavigated += (_, _) => navigations++;
        var title = $"Live entry {Guid.NewGuid():N}";

        var stopwatch = Stopwatch.StartNew();
        await fixture.App.Service<TimelineService>().RecordAsync(new TimelineEntry
        {
            Source = TimelineSources.Changes, SubjectType = "change", SubjectId = "live-1", Status = TimelineStatuses.InProgress,
            Title = title, Component = "billing", Version = "1.2.3", Hosts = ["prod-api-1", "prod-api-2"], Actor = "john@acme.com",
        }, TestContext.Current.CancellationToken);
        await Assertions.Expect(timeline.EntryTitled(title)).ToBeVisibleAsync();
        TestContext.Current.SendDiagnosticMessage($"The entry was on screen {stopwatch.ElapsedMilliseconds} ms after it was recorded.");

        Assert.Equal(0, navigations);
        await Assertions.Expect(timeline.EntryTitled(title).Locator("[data-status=in_progress]")).ToBeVisibleAsync();
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task UserText_IsShownLiterally_NeverAsMarkup()
    {
        var page = await LoginPage.SignedInAsync(browser, fixture.App, "/");
        await new TimelinePage(page).WaitLiveAsync();
        var dialogs = 0;
        page.Dialog += async (_, d) => { dialogs++; await d.DismissAsync(); };
        var payload = $"<img src=x onerror=\"alert(1)\"><script>alert(2)</script> {Guid.NewGuid():N}";

        await fixture.App.Service<TimelineService>().RecordAsync(new TimelineEntry
        {
            Source = TimelineSources.Changes, SubjectType = "change", SubjectId = "xss", Status = TimelineStatuses.Failed,
            Title = payload, Details = payload, Actor = payload,
        }, TestContext.Current.CancellationToken);

        var row = new TimelinePage(page).EntryTitled(payload);
        await Assertions.Expect(row.Locator("[data-testid=entry-title]")).ToHaveTextAsync(payload);
        Assert.Equal(0, await row.Locator("img").CountAsync());
        Assert.Equal(0, dialogs);
        await page.Context.CloseAsync();
    }

    [Theory]
    [InlineData("/", "timeline")]
    [InlineData("/fleet", "fleet")]
    [InlineData("/settings/tokens", "tokens")]
    [InlineData("/changes", "changes")]
    public async Task Page_RendersInLightAndDarkTheme(string path, string name)
    {
        foreach (var scheme in new[] { ColorScheme.Light, ColorScheme.Dark })
        {
            var page = await LoginPage.SignedInAsync(browser, fixture.App, path, scheme);
            await page.Locator("h1").First.WaitForAsync();
            var theme = scheme == ColorScheme.Dark ? "dark" : "light";
            await page.Locator($".mud-layout[data-theme-ready][data-theme={theme}]").WaitForAsync();
            await new TimelinePage(page).ScreenshotAsync($"{name}-{theme}");
            var background = await page.EvaluateAsync<string>("() => getComputedStyle(document.body).backgroundColor");
            Assert.Equal(scheme == ColorScheme.Dark ? "rgb(11, 16, 32)" : "rgb(245, 247, 250)", background);
            Assert.Equal(0, await page.Locator("[data-testid=error-boundary]").CountAsync());
            await page.Context.CloseAsync();
        }
    }
}
