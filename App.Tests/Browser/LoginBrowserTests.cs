using Dashboard.App.Tests.Infrastructure;
using Microsoft.Playwright;

namespace Dashboard.App.Tests.Browser;

[Collection(AppCollection.Name)]
public sealed class LoginBrowserTests(AppFixture fixture, BrowserFixture browser)
{
    [Fact]
    public async Task SignIn_LandsOnTheRequestedPage_WithTheRightPassword()
    {
        var page = await browser.NewPageAsync(fixture.App.BaseAddress);
        await page.GotoAsync("/fleet");
        Assert.Contains("/login", page.Url, StringComparison.Ordinal);

        await new LoginPage(page).SignInAsync("admin", DashboardApp.AdminPassword);

        await new LoginPage(page).WaitForUrlAfterAsync("signing in", url => new Uri(url).AbsolutePath == "/fleet");
        await Assertions.Expect(page.Locator("[data-testid=signed-in-user]")).ToHaveTextAsync("admin");
        // Other tests in the shared app add devices (batches), so only the demo fleet's 12 are certain.
        await Assertions.Expect(page.Locator("[data-testid=stat-devices]")).ToHaveTextAsync(new System.Text.RegularExpressions.Regex(@"^(1[2-9]|[2-9]\d|\d{3,})$"));
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task SignIn_IsRefused_WithAWrongPassword()
    {
        var page = await browser.NewPageAsync(fixture.App.BaseAddress);
        var login = await new LoginPage(page).OpenAsync("/");

        await login.SignInAsync("admin", "not the password");

        await Assertions.Expect(login.Error).ToBeVisibleAsync();
        await login.ScreenshotAsync("login-error");
        Assert.Contains("/login", page.Url, StringComparison.Ordinal);
        await page.GotoAsync("/");
        Assert.Contains("/login", page.Url, StringComparison.Ordinal);
        await page.Context.CloseAsync();
    }
}
