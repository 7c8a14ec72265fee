using Dashboard.App.Tests.Infrastructure;
using Microsoft.Playwright;

namespace Dashboard.App.Tests.Browser;

[Collection(AppCollection.Name)]
public sealed class SystemBrowserTests(AppFixture fixture, BrowserFixture browser)
{
    [Theory]
    [InlineData(ColorScheme.Light, "light")]
    [InlineData(ColorScheme.Dark, "dark")]
    public async Task SystemPage_ShowsThisNodeAndItsOwnCircuit(ColorScheme scheme, string name)
    {
        var page = await LoginPage.SignedInAsync(browser, fixture.App, "/system", scheme);
        var system = new SystemPage(page);
        // Refresh is enabled once the circuit is interactive, so the circuit count includes this page.
        await page.Locator("[data-testid=system-refresh]:not([disabled])").WaitForAsync();
        await page.ClickAsync("[data-testid=system-refresh]");

        await Assertions.Expect(page.Locator("[data-testid=system-database]")).ToHaveTextAsync("SQLite");
        // This page's own circuit is open, so there is at least one.
        Assert.True(int.Parse(await page.Locator("[data-testid=system-circuits]").TextContentAsync() ?? "0", System.Globalization.CultureInfo.InvariantCulture) >= 1);
        await Assertions.Expect(page.Locator("[data-testid=system-nodes] tbody tr").First).ToBeVisibleAsync();
        await system.ScreenshotAsync($"system-{name}");
        await page.Context.CloseAsync();
    }

    private sealed class SystemPage(IPage page) : BasePage(page);
}
