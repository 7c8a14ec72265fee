using System.Net;
using System.Text;
using Dashboard.App.Tests.Infrastructure;
using Microsoft.Playwright;

namespace Dashboard.App.Tests.Browser;

/// <summary>The live-page pattern end to end: Chromium, the real app, events over the BigPanda API.</summary>
[Collection(AppCollection.Name)]
public sealed class LivePagesBrowserTests(AppFixture fixture, BrowserFixture browser)
{
    private static readonly CancellationToken Ct = TestContext.Current.CancellationToken;

    private Task PostStartAsync(string component, string version) => fixture.App.PostCreatedAsync("/data/events/deployments/start",
        $$"""{"component":"{{component}}","version":"{{version}}","hosts":["prod-api-1"],"owner":"ops@acme.com"}""", Ct);

    /// <summary>
    /// Live pages are islands in a static layout (ADR 0008); the layout's buttons and navigation must
    /// work there and on pages of the interactive router alike, and a filter change must still reach
    /// the island's live feed.
    /// </summary>
    [Fact]
    public async Task LayoutThemeDrawerAndNavigation_Work_OnAnIslandAndOnAnInteractivePage()
    {
        var page = await LoginPage.SignedInAsync(browser, fixture.App, "/");
        await new TimelinePage(page).WaitLiveAsync();
        var layout = page.Locator(".mud-layout");
        await Assertions.Expect(layout).ToHaveAttributeAsync("data-theme", "light");

        await page.ClickAsync("[data-testid=theme-toggle]");
        await Assertions.Expect(page.Locator("html")).ToHaveAttributeAsync("data-theme", "dark");
        await Assertions.Expect(layout).ToHaveAttributeAsync("data-theme", "dark");
        await page.ClickAsync("[aria-label='Toggle navigation']");
        await Assertions.Expect(page.Locator(".mud-drawer")).ToBeHiddenAsync();
        await page.ClickAsync("[aria-label='Toggle navigation']");
        await Assertions.Expect(page.Locator(".mud-drawer")).ToBeVisibleAsync();

        // A filter on the island: the page is still live for the filtered component only.
        var component = $"isle-{Guid.NewGuid():N}"[..13];
        await page.FillAsync("[data-testid=filter-component]", component);
        await page.PressAsync("[data-testid=filter-component]", "Enter");
        await new TimelinePage(page).WaitForUrlAfterAsync("the island's filter", url => url.Contains(component, StringComparison.Ordinal));
        await new TimelinePage(page).WaitLiveAsync();
        await PostStartAsync(component, "1.0");
        await Assertions.Expect(new TimelinePage(page).EntryTitled($"{component} 1.0 started")).ToBeVisibleAsync();

        // The nav into the interactive router and back; the theme chosen above stays (cookie).
        await page.ClickAsync(".mud-drawer a[href='/fleet']");
        await Assertions.Expect(page.Locator("h1", new() { HasText = "Fleet" })).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator(".mud-layout[data-theme-ready][data-theme=dark]")).ToBeVisibleAsync();
        await page.ClickAsync("[data-testid=theme-toggle]");
        await Assertions.Expect(page.Locator("html")).ToHaveAttributeAsync("data-theme", "light");
        await page.ClickAsync(".mud-drawer a[href='/changes']");
        await new ChangesPage(page).WaitLiveAsync();
        // The theme people see is <html data-theme> (the dark palette is scoped to it). The layout's own
        // attribute is a marker that the interactive layout on /fleet may still overwrite with the theme
        // it read when its circuit started, if the toggle raced that start (seen once in a run).
        await Assertions.Expect(page.Locator("html")).ToHaveAttributeAsync("data-theme", "light");
        await Assertions.Expect(page.Locator(".theme-toggle .when-light")).ToBeVisibleAsync();
        Assert.Equal(0, await page.Locator("[data-testid=error-boundary]").CountAsync());
        await page.Context.CloseAsync();
    }

    /// <summary>
    /// The layout's own buttons work as soon as they are on screen: a full page load paints the layout (from the
    /// server's HTML) while the scripts at the end of the body still load, so a click that came before their
    /// handler was attached was lost (seen under load: the theme toggle on /fleet, right after the page showed).
    /// The script below the layout is held back here until the clicks are checked.
    /// </summary>
    [Fact]
    public async Task LayoutButtons_Work_BeforeTheScriptsAtTheEndOfThePageHaveLoaded()
    {
        var page = await LoginPage.SignedInAsync(browser, fixture.App, "/fleet");
        await page.Locator(".mud-main-content[data-interactive]").WaitForAsync();
        var held = new TaskCompletionSource();
        await page.RouteAsync("**/_content/MudBlazor/MudBlazor.min.*.js", async route =>
        {
            await held.Task;
            await route.ContinueAsync();
        });
        try
        {
            await page.GotoAsync("/fleet", new() { WaitUntil = WaitUntilState.Commit });
            var theme = await page.Locator("html").GetAttributeAsync("data-theme");
            await page.ClickAsync("[data-testid=theme-toggle]");
            await Assertions.Expect(page.Locator("html")).Not.ToHaveAttributeAsync("data-theme", theme!);
            await page.ClickAsync("[aria-label='Toggle navigation']");
            await Assertions.Expect(page.Locator(".mud-drawer")).ToBeHiddenAsync();
            Assert.NotEqual("complete", await page.EvaluateAsync<string>("document.readyState"));
        }
        finally
        {
            held.TrySetResult();
        }
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task OneEvent_AppearsOnTwoOpenPages_WithoutReload()
    {
        var timeline = await LoginPage.SignedInAsync(browser, fixture.App, "/");
        var changes = await LoginPage.SignedInAsync(browser, fixture.App, "/changes");
        await new TimelinePage(timeline).WaitLiveAsync();
        await new ChangesPage(changes).WaitLiveAsync();
        var navigations = 0;
        timeline.FrameNavigated += (_, _) => navigations++;
        changes.FrameNavigated += (_, _) => navigations++;
        var component = $"two-{Guid.NewGuid():N}"[..12];

        await PostStartAsync(component, "7.1");

        await Assertions.Expect(new TimelinePage(timeline).EntryTitled($"{component} 7.1")).ToBeVisibleAsync();
        await Assertions.Expect(new ChangesPage(changes).StatusOf(component)).ToHaveAttributeAsync("data-status", "in_progress");
        Assert.Equal(0, navigations);
        await timeline.Context.CloseAsync();
        await changes.Context.CloseAsync();
    }

    /// <summary>
    /// The page loses its connection while more entries commit than it shows (80 for 50 rows). The
    /// circuit is kept (DisconnectedCircuitRetentionPeriod), its feed folds what it cannot show, and
    /// once the browser is back the page shows the newest 50 and counts the other 30: nothing is lost
    /// silently. How long the page is offline does not matter to the outcome, only what commits
    /// meanwhile, so the test does not wait 30 seconds of wall clock.
    /// </summary>
    [Fact]
    public async Task PageThatWasOffline_CatchesUp_ShowingTheNewestAndCountingTheRest()
    {
        var component = $"off-{Guid.NewGuid():N}"[..12];
        var page = await browser.NewPageAsync(fixture.App.BaseAddress);
        // Chromium's offline mode blocks new connections but leaves an open WebSocket alone, so the
        // test keeps a handle on the page's sockets to drop the circuit's connection as a network would.
        await page.Context.AddInitScriptAsync("""
            (() => {
              const Native = window.WebSocket;
              window.__sockets = [];
              window.WebSocket = class extends Native { constructor(...args) { super(...args); window.__sockets.push(this); } };
            })();
            """);
        await (await new LoginPage(page).OpenAsync($"/?component={component}")).SignInAsync("admin", DashboardApp.AdminPassword);
        var timeline = await new TimelinePage(page).WaitLiveAsync();
        await PostStartAsync(component, "0");
        await Assertions.Expect(timeline.EntryTitled($"{component} 0")).ToBeVisibleAsync();

        await page.Context.SetOfflineAsync(true);
        await page.EvaluateAsync("() => window.__sockets.forEach(s => s.close())");
        await Assertions.Expect(page.Locator("#components-reconnect-modal")).ToBeAttachedAsync(new() { Timeout = 20_000 });
        for (var i = 1; i <= 80; i++) await PostStartAsync(component, i.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(0, await page.Locator("[data-testid=entry-title]", new() { HasText = $"{component} 80 started" }).CountAsync());

        // Back online: reconnect as the reconnect dialog's "Retry" does, to the same circuit.
        await page.Context.SetOfflineAsync(false);
        Assert.True(await page.EvaluateAsync<bool>("() => Blazor.reconnect()"));

        await Assertions.Expect(timeline.EntryTitled($"{component} 80 started")).ToBeVisibleAsync(new() { Timeout = 30_000 });
        await Assertions.Expect(page.Locator("[data-testid=more-rows]")).ToHaveAttributeAsync("data-hidden", "31", new() { Timeout = 30_000 });
        Assert.Equal(50, await timeline.Entries.CountAsync());
        var titles = await page.Locator("[data-testid=entry-title]").AllTextContentsAsync();
        Assert.Equal(Enumerable.Range(31, 50).Reverse().Select(i => $"{component} {i} started"), titles);

        // "N more" leads to the older entries, none missing.
        await page.ClickAsync("[data-testid=more-rows-link]");
        await Assertions.Expect(timeline.EntryTitled($"{component} 30 started")).ToBeVisibleAsync();
        Assert.Equal(31, await timeline.Entries.CountAsync());
        await page.Context.CloseAsync();
    }

    /// <summary>Timeline, Changes and the kiosk after a burst of events, for people to look at (light and dark; the kiosk at two sizes).</summary>
    [Fact]
    public async Task Screenshots_UnderLoad()
    {
        var component = $"load-{Guid.NewGuid():N}"[..10];
        using var client = fixture.App.ApiClient();
        var posts = new List<Task<HttpResponseMessage>>();
        for (var i = 0; i < 120; i++)
        {
            var body = $$"""{"component":"{{component}}-{{i % 6}}","version":"2.{{i}}","hosts":["prod-api-{{i % 5}}","prod-db-{{i % 3}}"],"owner":"ops@acme.com"}""";
            posts.Add(client.PostAsync("/data/events/deployments/start", new StringContent(body, Encoding.UTF8, "application/json"), Ct));
            if (i % 3 != 0) continue;
            var end = $$"""{"component":"{{component}}-{{i % 6}}","version":"2.{{i}}","hosts":["prod-api-{{i % 5}}","prod-db-{{i % 3}}"],"status":"{{(i % 9 == 0 ? "failure" : "success")}}","errorMessage":"{{(i % 9 == 0 ? "health check failed on prod-api-2" : "")}}"}""";
            posts.Add(client.PostAsync("/data/events/deployments/end", new StringContent(end, Encoding.UTF8, "application/json"), Ct));
        }
        foreach (var response in await Task.WhenAll(posts)) response.Dispose();

        foreach (var scheme in new[] { ColorScheme.Light, ColorScheme.Dark })
        {
            var name = scheme == ColorScheme.Light ? "light" : "dark";
            var timeline = await LoginPage.SignedInAsync(browser, fixture.App, "/", scheme);
            await new TimelinePage(timeline).WaitLiveAsync();
            await timeline.Locator("[data-theme-ready=true]").WaitForAsync();
            await Assertions.Expect(timeline.Locator("[data-testid=more-rows]")).ToBeVisibleAsync();
            await timeline.ScreenshotAsync(new() { Path = Screenshots.PathFor($"live-timeline-{name}") });
            await timeline.GotoAsync("/changes");
            await new ChangesPage(timeline).WaitLiveAsync();
            await timeline.Locator("[data-theme-ready=true]").WaitForAsync();
            await timeline.ScreenshotAsync(new() { Path = Screenshots.PathFor($"live-changes-{name}") });
            await timeline.Context.CloseAsync();
        }
        foreach (var (width, height) in new[] { (800, 480), (1920, 1080) })
        {
            var kiosk = await LoginPage.SignedInAsync(browser, fixture.App, "/kiosk", ColorScheme.Dark, width, height);
            await new KioskPage(kiosk).WaitLiveAsync();
            await kiosk.ScreenshotAsync(new() { Path = Screenshots.PathFor($"live-kiosk-{width}x{height}") });
            var overflow = await kiosk.EvaluateAsync<bool>("() => document.scrollingElement.scrollHeight > innerHeight || document.scrollingElement.scrollWidth > innerWidth");
            Assert.False(overflow);
            await kiosk.Context.CloseAsync();
        }
    }
}
