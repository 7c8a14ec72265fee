using System.Net.Http.Json;
using Dashboard.App.Tests.Infrastructure;
using Microsoft.Playwright;

namespace Dashboard.App.Tests.Browser;

[Collection(AppCollection.Name)]
public sealed class DeliveryBrowserTests(AppFixture fixture, BrowserFixture browser)
{
    [Fact]
    public async Task DeliveryPage_ShowsChartsAndNumbers_FromTheNavigation_AndForOneComponent()
    {
        var ct = TestContext.Current.CancellationToken;
        var component = $"shop-{Guid.NewGuid():N}"[..12];
        using var api = fixture.App.ApiClient();
        foreach (var (version, status) in new[] { ("1", "success"), ("2", "failure"), ("3", "success") })
        {
            var change = new { component, version, hosts = new[] { "shop-1" } };
            (await api.PostAsJsonAsync("/data/events/deployments/start", change, ct)).EnsureSuccessStatusCode();
            (await api.PostAsJsonAsync("/data/events/deployments/end", new { component, version, change.hosts, status }, ct)).EnsureSuccessStatusCode();
        }

        foreach (var scheme in new[] { ColorScheme.Light, ColorScheme.Dark })
        {
            var page = await LoginPage.SignedInAsync(browser, fixture.App, "/", scheme);
            await page.Locator("nav a[href='/delivery']").ClickAsync();
            await page.WaitForURLAsync(url => url.Contains("/delivery", StringComparison.Ordinal));
            await Assertions.Expect(page.Locator("[data-testid=delivery-components]")).ToContainTextAsync(component, new() { Timeout = 20_000 }); // the first page of a loaded machine's circuit
            await Assertions.Expect(page.Locator("[data-testid=delivery-daily-chart] svg").First).ToBeVisibleAsync();

            await page.Locator("[data-testid=delivery-components] a", new() { HasText = component }).ClickAsync();
            // The period links carry the component once the page re-rendered for it.
            await Assertions.Expect(page.Locator("[data-testid=period-7]")).ToHaveAttributeAsync("href", $"/delivery?days=7&component={component}");
            await Assertions.Expect(page.Locator("[data-testid=figure-failure-rate]")).ToHaveTextAsync("33.3 %");
            await page.Locator("[data-testid=period-7]").ClickAsync();
            await page.WaitForURLAsync(url => url.Contains("days=7", StringComparison.Ordinal));
            await Assertions.Expect(page.Locator("[data-testid=figure-deploys-per-day]")).ToHaveTextAsync("0.43");
            await new TimelinePage(page).ScreenshotAsync(scheme == ColorScheme.Dark ? "delivery-dark" : "delivery-light");
            await page.Context.CloseAsync();
        }
    }
}
