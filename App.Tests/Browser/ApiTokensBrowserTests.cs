using Dashboard.App.Tests.Infrastructure;
using Microsoft.Playwright;

namespace Dashboard.App.Tests.Browser;

[Collection(AppCollection.Name)]
public sealed class ApiTokensBrowserTests(AppFixture fixture, BrowserFixture browser)
{
    [Fact]
    public async Task CreateToken_ShowsTheSecretOnce_AndTheSecretWorksOnTheApi()
    {
        var page = await LoginPage.SignedInAsync(browser, fixture.App, "/settings/tokens");
        var name = $"ci-{Guid.NewGuid():N}"[..12];
        var create = page.Locator("[data-testid=token-create]:not([disabled])");
        await create.WaitForAsync(); // typed text is only kept once the circuit is interactive

        await page.Locator("input[data-testid=token-name]").FillAsync(name);
        await create.ClickAsync();

        var secret = (await page.Locator("[data-testid=token-secret]").InnerTextAsync()).Trim();
        Assert.StartsWith("dsh_", secret, StringComparison.Ordinal);
        await Assertions.Expect(page.Locator("[data-testid=token-table]")).ToContainTextAsync(name);
        using var client = fixture.App.ApiClient("X-Auth-Token", secret);
        Assert.True((await client.GetAsync("/api/timeline", TestContext.Current.CancellationToken)).IsSuccessStatusCode);

        await page.ReloadAsync();
        await Assertions.Expect(page.Locator("[data-testid=token-table]")).ToContainTextAsync(name);
        Assert.Equal(0, await page.Locator("[data-testid=token-secret]").CountAsync());
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task CreateToken_ShowsTheErrorByTheField_WhenTheNameIsEmpty()
    {
        var page = await LoginPage.SignedInAsync(browser, fixture.App, "/settings/tokens");

        await page.Locator("[data-testid=token-create]:not([disabled])").ClickAsync();

        await Assertions.Expect(page.Locator(".mud-input-control", new() { Has = page.Locator("[data-testid=token-name]") })).ToContainTextAsync("needs a name");
        Assert.Equal(0, await page.Locator("[data-testid=token-secret]").CountAsync());
        await page.Context.CloseAsync();
    }
}
