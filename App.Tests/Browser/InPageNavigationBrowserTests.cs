using Dashboard.App.Tests.Infrastructure;
using Microsoft.Playwright;

namespace Dashboard.App.Tests.Browser;

/// <summary>
/// A navigation inside the interactive router keeps the layout, and with it the layout's interactivity marker:
/// the marker names the page it was rendered for, so <see cref="BasePage.WaitUntilInteractiveAsync"/> waits for
/// the page navigated to rather than being satisfied by the one left.
/// </summary>
[Collection(AppCollection.Name)]
public sealed class InPageNavigationBrowserTests(AppFixture fixture, BrowserFixture browser)
{
    [Fact]
    public async Task InPageNavigation_MovesTheInteractiveMarker_ToThePageNavigatedTo()
    {
        var page = await LoginPage.SignedInAsync(browser, fixture.App, "/fleet");
        var at = new LoginPage(page);
        await at.WaitUntilInteractiveAsync();
        Assert.Equal("/fleet", await page.Locator(".mud-main-content").GetAttributeAsync("data-interactive"));
        await page.EvaluateAsync("() => { window.__sameDocument = true; }");

        await page.Locator("nav a[href='/batches']").ClickAsync();
        await at.WaitForUrlAfterAsync("the nav link to /batches", url => new Uri(url).AbsolutePath == "/batches");
        await at.WaitUntilInteractiveAsync();

        Assert.True(await page.EvaluateAsync<bool?>("() => window.__sameDocument ?? null"), "the router navigated in the page, not by a full load");
        Assert.Equal("/batches", await page.Locator(".mud-main-content").GetAttributeAsync("data-interactive"));
        await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync("Batches");
        await page.Context.CloseAsync();
    }
}
