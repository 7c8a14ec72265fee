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
            await new TimelinePage(page).WaitForUrlAfterAsync("the nav link to /delivery", url => url.Contains("/delivery", StringComparison.Ordinal));
            await Assertions.Expect(page.Locator("[data-testid=delivery-components]")).ToContainTextAsync(component, new() { Timeout = 20_000 }); // the first page of a loaded machine's circuit
            await Assertions.Expect(page.Locator("[data-testid=delivery-daily-chart] svg").First).ToBeVisibleAsync();

            Assert.Equal($"/delivery?days=30&component={component}",
                await page.Locator("[data-testid=delivery-components] a", new() { HasText = component }).GetAttributeAsync("href"));
            await page.GotoAsync($"/delivery?days=30&component={component}");
            await Assertions.Expect(page.Locator("[data-testid=figure-failure-rate]")).ToHaveTextAsync("33.3 %");
            // The period links keep the component.
            await Assertions.Expect(page.Locator("[data-testid=period-7]")).ToHaveAttributeAsync("href", $"/delivery?days=7&component={component}");
            await page.GotoAsync($"/delivery?days=7&component={component}");
            await Assertions.Expect(page.Locator("[data-testid=figure-deploys-per-day]")).ToHaveTextAsync("0.43");
            var shown = new TimelinePage(page);
            // The dark theme is applied once the circuit runs, which also enables the component picker.
            await page.Locator("[data-testid=delivery-component]:not([disabled]):not(.mud-disabled)").First.WaitForAsync(new() { State = WaitForSelectorState.Attached });
            await shown.ScreenshotAsync(scheme == ColorScheme.Dark ? "delivery-dark" : "delivery-light");
            await page.Context.CloseAsync();
        }
    }
}
