using Dashboard.App.Tests.Infrastructure;
using Microsoft.Playwright;

namespace Dashboard.App.Tests.Browser;

[Collection(AppCollection.Name)]
public sealed class DocsBrowserTests(AppFixture fixture, BrowserFixture browser)
{
    [Fact]
    public async Task Docs_ShowsEveryApiFamily()
    {
        var page = await browser.NewPageAsync(fixture.App.BaseAddress);
        foreach (var (name, title) in new[]
        {
            ("packet", "Packet (batches of devices)"),
            ("mender", "Mender (phased rollouts)"),
            ("nomad", "Nomad (canary deployments)"),
            ("bigpanda", "BigPanda (change events)"),
            ("dashboard", "Dashboard (/api)"),
        })
        {
            await page.GotoAsync($"/docs/{name}");
            await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = title }).First).ToBeVisibleAsync();
            // The viewport, not the full page: a whole API reference is thousands of pixels tall.
            if (name is "packet" or "mender") await page.ScreenshotAsync(new() { Path = Screenshots.PathFor($"docs-{name}-light") });
        }
        await page.Context.CloseAsync();
    }
}
