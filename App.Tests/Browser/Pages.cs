using Dashboard.App.Tests.Infrastructure;
using Microsoft.Playwright;

namespace Dashboard.App.Tests.Browser;

/// <summary>Page objects: one method per thing a person does or checks.</summary>
public abstract class BasePage(IPage page)
{
    public IPage Page { get; } = page;

    /// <summary>
    /// Waits until the page the browser is at is interactive, so clicks are not lost: the interactive router's layout
    /// marked with this page's path (the layout stays across an in-page navigation, and until the new page renders its
    /// marker still names the page left), or, on a live page (an island in a static layout), its indicator saying live.
    /// After a navigation, call it once the address is the new page's (<see cref="WaitForUrlAfterAsync"/>).
    /// </summary>
    public Task WaitUntilInteractiveAsync()
    {
        var path = new Uri(Page.Url).AbsolutePath.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal);
        return Page.Locator($".mud-main-content[data-interactive=\"{path}\"], .mud-main-content:not([data-interactive]) [data-testid=live-indicator]:has-text('live')")
            .First.WaitForAsync();
    }

    public Task ScreenshotAsync(string name) =>
        Page.ScreenshotAsync(new PageScreenshotOptions { Path = Screenshots.PathFor(name), FullPage = true });

    /// <summary>
    /// Waits until the browser is at an address <paramref name="arrived"/> accepts after <paramref name="action"/>
    /// (a submit that should open the new thing's page). If it never gets there, fails saying what the page shows
    /// instead, with a screenshot, rather than only that the wait timed out. <paramref name="server"/> adds what
    /// the server holds (whether the thing was created at all tells a lost click from a lost navigation).
    /// </summary>
    public async Task WaitForUrlAfterAsync(string action, Func<string, bool> arrived, Func<Task<string>>? server = null, WaitUntilState waitUntil = WaitUntilState.Load)
    {
        var started = DateTimeOffset.UtcNow;
        try
        {
            var navigation = Page.WaitForURLAsync(arrived, new() { WaitUntil = waitUntil });
            // Playwright can miss a same-document navigation (the router's history.pushState) that lands while it
            // sets its wait up, and then waits out its whole timeout on a page that is already there (a fresh-clone
            // failure: the address was the detail page's 29 s before the wait gave up). The address is the truth.
            while (!navigation.IsCompleted && !arrived(Page.Url)) await Task.WhenAny(navigation, Task.Delay(200));
            if (!navigation.IsCompleted)
            {
                _ = navigation.ContinueWith(t => t.Exception, TaskContinuationOptions.OnlyOnFaulted);
                if (waitUntil != WaitUntilState.Commit) await Page.WaitForLoadStateAsync(waitUntil == WaitUntilState.Load ? LoadState.Load : waitUntil == WaitUntilState.DOMContentLoaded ? LoadState.DOMContentLoaded : LoadState.NetworkIdle);
                return;
            }
            await navigation;
        }
        catch (TimeoutException ex)
        {
            // WaitForURL waits for the browser to navigate (a new document or a pushState) and then for the load
            // event; Playwright's log below lists every navigation it saw ("navigated to"): none means the browser
            // never navigated at all, one to the right address means the load event never came.
            throw new PageStateException($"After {action}, waiting for the expected page timed out.\n" +
                $"Playwright: {ex.Message.ReplaceLineEndings("\n  ")}\n{await DescribeAsync(action, server, started)}", ex);
        }
    }

    /// <summary>What the page shows now, for a failure message: address, errors, alerts, snackbars, the circuit's state, its log and a screenshot.</summary>
    public async Task<string> DescribeAsync(string what, Func<Task<string>>? server = null, DateTimeOffset? since = null)
    {
        var text = new System.Text.StringBuilder();
        text.AppendLine($"URL: {Page.Url}{(Page.IsClosed ? " (page closed)" : "")}");
        await AppendDocumentAsync(text);
        text.AppendLine($"Test process thread pool: {ThreadPoolWatch.Describe((since ?? DateTimeOffset.UtcNow).AddSeconds(-35))}");
        text.AppendLine($"Network (seconds since the page was created):\n  {string.Join("\n  ", PageActivity.Describe(Page))}");
        await AppendAsync("Step", "[data-testid=batch-wizard] .mud-step.active, .mud-stepper .mud-step-label-active, .mud-stepper-nav-step.active");
        await AppendAsync("Errors", ".mud-input-helper-text.mud-input-error, [data-testid^=error-], [data-testid$=-error], [data-testid$=-errors]");
        await AppendAsync("Alerts", ".mud-alert");
        await AppendAsync("Snackbars", ".mud-snackbar");
        await AppendAsync("Disabled buttons", "button[disabled][data-testid]", attribute: "data-testid");
        await AppendAsync("Blazor error UI", "#blazor-error-ui[style*='block']");
        await AppendAsync("Reconnect UI", "#components-reconnect-modal[open], .components-reconnect-show, #components-reconnect-modal.components-reconnect-show");
        if (server is not null)
        {
            try { text.AppendLine($"Server: {await server()}"); }
            catch (Exception ex) { text.AppendLine($"Server: could not read ({ex.Message})"); }
        }
        var log = BrowserLog.For(Page);
        text.AppendLine(log.Count == 0 ? "Browser log: (empty)" : $"Browser log:\n  {string.Join("\n  ", log)}");
        if (DashboardApp.ServingAt(Page.Url) is { } app)
        {
            // The server's side of the same seconds: did the click reach the circuit, did it ask for the navigation,
            // did the document request arrive and finish (shared app: other tests' lines only if they overlapped).
            var lines = app.Trace.Since((since ?? DateTimeOffset.UtcNow).AddSeconds(-5));
            text.AppendLine(lines.Count == 0 ? "Server trace: (empty)" : $"Server trace (last {lines.Count}):\n  {string.Join("\n  ", lines)}");
        }
        var name = "failure-" + new string(what.Select(c => char.IsLetterOrDigit(c) ? c : '-').ToArray()) + "-" + Guid.NewGuid().ToString("N")[..6];
        try
        {
            await ScreenshotAsync(name);
            text.AppendLine($"Screenshot: {Screenshots.PathFor(name)}");
        }
        catch (Exception ex) when (ex is PlaywrightException or TimeoutException)
        {
            text.AppendLine($"Screenshot failed: {ex.Message}");
        }
        return text.ToString();

        async Task AppendDocumentAsync(System.Text.StringBuilder into)
        {
            try
            {
                // Resource timing lists a request only once it ended, so "unfinished" is usually empty: the
                // network lines below (from Playwright's request events) are what shows a request still pending.
                var document = await Page.EvaluateAsync<string>("""
                    () => {
                        const n = performance.getEntriesByType('navigation')[0];
                        const nav = n ? `${n.type} ${n.name} responseEnd ${n.responseEnd.toFixed(0)} ms, DOMContentLoaded ${n.domContentLoadedEventEnd.toFixed(0)} ms, load ${n.loadEventEnd.toFixed(0)} ms` : 'none';
                        const unfinished = performance.getEntriesByType('resource').filter(e => !e.responseEnd).map(e => `${e.name} at ${e.startTime.toFixed(0)} ms`);
                        return `readyState ${document.readyState} at ${performance.now().toFixed(0)} ms; location ${location.href}; navigation: ${nav}; resources without responseEnd: ${unfinished.length ? unfinished.join(', ') : 'none'}`;
                    }
                    """).WaitAsync(TimeSpan.FromSeconds(5));
                into.AppendLine($"Document: {document}");
            }
            catch (Exception ex) when (ex is PlaywrightException or TimeoutException)
            {
                into.AppendLine($"Document: could not read ({ex.Message.Split('\n')[0]})");
            }
        }

        async Task AppendAsync(string label, string selector, string? attribute = null)
        {
            try
            {
                var found = Page.Locator(selector);
                var values = new List<string>();
                for (var i = 0; i < Math.Min(await found.CountAsync(), 10); i++)
                {
                    var item = found.Nth(i);
                    var value = attribute is null ? await item.InnerTextAsync(new() { Timeout = 2_000 }) : await item.GetAttributeAsync(attribute, new() { Timeout = 2_000 });
                    if (!string.IsNullOrWhiteSpace(value)) values.Add(value.Trim().ReplaceLineEndings(" "));
                }
                text.AppendLine($"{label}: {(values.Count == 0 ? "(none)" : string.Join(" | ", values))}");
            }
            catch (Exception ex) when (ex is PlaywrightException or TimeoutException)
            {
                text.AppendLine($"{label}: could not read ({ex.Message.Split('\n')[0]})");
            }
        }
    }
}

/// <summary>A browser test found the page in a state it did not expect; the message says what the page showed.</summary>
public sealed class PageStateException(string message, Exception inner) : Exception(message, inner);

public sealed class LoginPage(IPage page) : BasePage(page)
{
    public async Task<LoginPage> OpenAsync(string returnUrl = "/")
    {
        await Page.GotoAsync($"/login?returnUrl={Uri.EscapeDataString(returnUrl)}");
        return this;
    }

    public async Task SignInAsync(string user, string password)
    {
        await Page.FillAsync("#username", user);
        await Page.FillAsync("#password", password);
        await Page.ClickAsync("button[type=submit]");
    }

    public ILocator Error => Page.Locator("[data-testid=login-error]");

    /// <summary>Signs in as the bootstrap administrator and lands on <paramref name="returnUrl"/>.</summary>
    public static async Task<IPage> SignedInAsync(BrowserFixture browser, DashboardApp app, string returnUrl = "/", ColorScheme scheme = ColorScheme.Light, int width = 1280, int height = 800)
    {
        var page = await browser.NewPageAsync(app.BaseAddress, scheme, width, height);
        var login = await new LoginPage(page).OpenAsync(returnUrl);
        await login.SignInAsync("admin", DashboardApp.AdminPassword);
        await login.WaitForUrlAfterAsync("signing in", url => !url.Contains("/login", StringComparison.Ordinal));
        return page;
    }
}

public static class Themes
{
    /// <summary>Opens <paramref name="path"/> signed in, in the light and then the dark theme, screenshots each as
    /// <c>{name}-light</c> / <c>{name}-dark</c>, and checks no error boundary showed.</summary>
    public static async Task ScreenshotBothAsync(BrowserFixture browser, DashboardApp app, string path, string name)
    {
        foreach (var scheme in new[] { ColorScheme.Light, ColorScheme.Dark })
        {
            var page = await LoginPage.SignedInAsync(browser, app, path, scheme);
            await page.Locator("h1").First.WaitForAsync();
            var theme = scheme == ColorScheme.Dark ? "dark" : "light";
            await page.Locator($".mud-layout[data-theme-ready][data-theme={theme}]").WaitForAsync();
            await new LoginPage(page).ScreenshotAsync($"{name}-{theme}");
            Assert.Equal(0, await page.Locator("[data-testid=error-boundary]").CountAsync());
            await page.Context.CloseAsync();
        }
    }
}

public sealed class TimelinePage(IPage page) : BasePage(page)
{
    public ILocator Entries => Page.Locator("[data-testid=timeline-entry]");

    public ILocator EntryTitled(string title) => Page.Locator("[data-testid=timeline-entry]", new() { HasText = title });

    public async Task<TimelinePage> WaitLiveAsync()
    {
        await Page.Locator("[data-testid=live-indicator]", new() { HasText = "live" }).WaitForAsync();
        return this;
    }
}

public static class Screenshots
{
    /// <summary>Screenshots go to TestResults/screenshots beside the test binaries, for people to look at.</summary>
    public static string PathFor(string name)
    {
        var directory = Path.Combine(AppContext.BaseDirectory, "screenshots");
        Directory.CreateDirectory(directory);
        return Path.Combine(directory, name + ".png");
    }
}

public sealed class BatchWizardPage(IPage page) : BasePage(page)
{
    public async Task<BatchWizardPage> OpenAsync()
    {
        await Page.GotoAsync("/batches/new");
        await Page.Locator("[data-testid=wizard-next]:not([disabled])").WaitForAsync();
        return this;
    }

    /// <summary>A Mud input by its data-testid, wherever MudBlazor put the attribute.</summary>
    public ILocator Field(string testId) => Page.Locator($"input[data-testid={testId}], [data-testid={testId}] input, textarea[data-testid={testId}], [data-testid={testId}] textarea").First;

    public Task NextAsync() => Page.ClickAsync("[data-testid=wizard-next]");

    public Task SubmitAsync() => Page.ClickAsync("[data-testid=wizard-submit]");

    /// <summary>Creates the batch on the review step and waits for its detail page.</summary>
    public async Task<BatchDetailPage> SubmitAndOpenDetailAsync(Func<Task<string>>? server = null)
    {
        await SubmitAsync();
        await WaitForUrlAfterAsync("Create batch", url => url.EndsWith("/detail", StringComparison.Ordinal), server);
        return new BatchDetailPage(Page);
    }

    public async Task SetQuantityAsync(int quantity) => await Field("field-quantity").FillAsync(quantity.ToString(System.Globalization.CultureInfo.InvariantCulture));

    public Task SetHostnameAsync(string template) => Field("field-hostname").FillAsync(template);

    public Task AddFacilityAsync(string code) => Page.ClickAsync($"[data-testid=add-{code}]");

    public ILocator HostnamePreview => Page.Locator("[data-testid=hostname-preview]");

    public ILocator PlacementPreview => Page.Locator("[data-testid=placement-preview]");

    public ILocator Curl => Page.Locator("[data-testid=curl-command]");

    public ILocator ErrorText(string text) => Page.Locator(".mud-input-helper-text.mud-input-error, [data-testid^=error-]", new() { HasText = text });
}

public sealed class BatchDetailPage(IPage page) : BasePage(page)
{
    public ILocator State => Page.Locator("[data-testid=batch-header] [data-testid=batch-state]");

    public ILocator Devices => Page.Locator("[data-testid=device-hostname]");

    public ILocator DeviceStates => Page.Locator("[data-testid=device-state]");
}

public sealed class ChangesPage(IPage page) : BasePage(page)
{
    public ILocator Rows => Page.Locator("[data-testid=change-row]");

    public ILocator RowFor(string component) =>
        Page.Locator("tr", new() { Has = Page.Locator("[data-testid=change-component]", new() { HasTextString = component }) });

    public ILocator StatusOf(string component) => RowFor(component).Locator("[data-testid=change-row]");

    public ILocator Detail => Page.Locator("[data-testid=change-detail]");

    public async Task<ChangesPage> WaitLiveAsync()
    {
        await Page.Locator("[data-testid=live-indicator]", new() { HasText = "live" }).WaitForAsync();
        return this;
    }

    public Task OpenDetailAsync(string component) => RowFor(component).ClickAsync();
}

public sealed class KioskPage(IPage page) : BasePage(page)
{
    public ILocator Screen => Page.Locator("[data-testid=kiosk]");

    public ILocator Running(string component) => Page.Locator($"[data-testid=kiosk-running-item][data-component='{component}']");

    public ILocator Latest => Page.Locator("[data-testid=kiosk-entry]");

    /// <summary>Opens the one-time kiosk link, as a person setting up the wall screen would.</summary>
    public static async Task<KioskPage> SignedInAsync(BrowserFixture browser, DashboardApp app, string token, int width = 1920, int height = 1080)
    {
        var page = await browser.NewPageAsync(app.BaseAddress, ColorScheme.Dark, width, height);
        await page.GotoAsync($"/kiosk/login?token={Uri.EscapeDataString(token)}");
        var kiosk = new KioskPage(page);
        await kiosk.WaitLiveAsync();
        return kiosk;
    }

    public Task WaitLiveAsync() => Page.Locator("[data-testid=kiosk-state]", new() { HasTextString = "live" }).WaitForAsync();
}
