using Dashboard.App.Tests.Infrastructure;
using Microsoft.Playwright;

namespace Dashboard.App.Tests.Browser;

/// <summary>
/// Leaving a live island (a page whose layout is static) for a page of the interactive router must land
/// on that page once its circuit runs, not on "Not found" (ADR 0008: a full load, not enhanced navigation).
/// </summary>
[Collection(AppCollection.Name)]
public sealed class IslandNavigationBrowserTests(AppFixture fixture, BrowserFixture browser)
{
    [Theory]
    [InlineData("/", "/delivery", "Delivery")]
    [InlineData("/", "/batches", "Batches")]
    [InlineData("/changes", "/rollouts", "Rollouts")]
    public async Task NavLink_FromALiveIsland_LoadsTheTargetInFull_AndItStaysThereWhenInteractive(string island, string target, string heading)
    {
        var page = await LoginPage.SignedInAsync(browser, fixture.App, island);
        await new TimelinePage(page).WaitLiveAsync();
        await page.EvaluateAsync("() => { window.__sameDocument = true; }");

        await page.Locator($"nav a[href='{target}']").ClickAsync();
        await new TimelinePage(page).WaitForUrlAfterAsync($"the nav link to {target}", url => new Uri(url).AbsolutePath == target);
        await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync(heading);
        Assert.Null(await page.EvaluateAsync<bool?>("() => window.__sameDocument ?? null"));

        // Once the target's router runs in its circuit, the heading must still be the target's.
        await page.Locator(".mud-main-content[data-interactive]").WaitForAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Not found" })).ToHaveCountAsync(0);
        await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync(heading);
        await page.Context.CloseAsync();
    }
}
