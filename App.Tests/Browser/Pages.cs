using Dashboard.App.Tests.Infrastructure;
using Microsoft.Playwright;

namespace Dashboard.App.Tests.Browser;

/// <summary>Page objects: one method per thing a person does or checks.</summary>
public abstract class BasePage(IPage page)
{
    public IPage Page { get; } = page;

    /// <summary>Waits until the Blazor circuit is connected, so clicks are not lost.</summary>
    public Task WaitUntilInteractiveAsync() =>
        Page.Locator("[data-testid=live-indicator]:has-text('live'), .mud-main-content[data-interactive]").First.WaitForAsync();

    public Task ScreenshotAsync(string name) =>
        Page.ScreenshotAsync(new PageScreenshotOptions { Path = Screenshots.PathFor(name), FullPage = true });
}

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
        await page.WaitForURLAsync(url => !url.Contains("/login", StringComparison.Ordinal));
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
