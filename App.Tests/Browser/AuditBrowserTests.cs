using Dashboard.App.Tests.Infrastructure;
using Dashboard.App.Tests.Audit;
using Microsoft.Playwright;

namespace Dashboard.App.Tests.Browser;

public sealed class UsersPageObject(IPage page) : BasePage(page)
{
    public async Task CreateAsync(string userName, string password)
    {
        var create = Page.Locator("[data-testid=user-create]:not([disabled])");
        await create.WaitForAsync(); // typed text is only kept once the circuit is interactive
        await Page.Locator("input[data-testid=user-name]").FillAsync(userName);
        await Page.Locator("input[data-testid=user-password]").FillAsync(password);
        await create.ClickAsync();
        await Page.Locator($"[data-testid=user-row-{userName}]").WaitForAsync();
    }
}

public sealed class AuditPageObject(IPage page) : BasePage(page)
{
    public ILocator Rows => Page.Locator("[data-testid=audit-row]");

    public async Task<string> ExportAsync()
    {
        var download = await Page.RunAndWaitForDownloadAsync(() => Page.ClickAsync("[data-testid=audit-export]"));
        var path = await download.PathAsync();
        return await File.ReadAllTextAsync(path);
    }
}

/// <summary>The main path of roles and the audit log in real Chromium: an administrator creates an operator, the operator acts, the administrator finds it.</summary>
[Collection(AppCollection.Name)]
public sealed class AuditBrowserTests(AppFixture fixture, BrowserFixture browser)
{
    private const string Password = "operator-password-1";

    private Task<string> RunningDeploymentAsync() => RunningDeployments.StartAsync(fixture.App, "audit", TestContext.Current.CancellationToken);

    [Fact]
    public async Task AdminCreatesAnOperator_OperatorPauses_AdminFindsItOnTheAuditPage_AndExportsIt()
    {
        var deploymentId = await RunningDeploymentAsync();
        var operatorName = "op-" + Guid.NewGuid().ToString("N")[..8];

        var admin = await LoginPage.SignedInAsync(browser, fixture.App, "/settings/users");
        await new UsersPageObject(admin).CreateAsync(operatorName, Password);
        await Assertions.Expect(admin.Locator($"[data-testid=user-row-{operatorName}] select")).ToHaveValueAsync("operator");

        var op = await browser.NewPageAsync(fixture.App.BaseAddress);
        var login = await new LoginPage(op).OpenAsync($"/deployments/{deploymentId}");
        await login.SignInAsync(operatorName, Password);
        var deployments = new DeploymentsPage(op);
        await deployments.WaitLiveAsync();
        Assert.Equal(0, await op.Locator("[data-testid=nav-users], [data-testid=nav-audit]").CountAsync());
        await op.Locator("[data-testid=pause]:not([disabled])").ClickAsync();
        await Assertions.Expect(deployments.Status).ToHaveAttributeAsync("data-status", "paused");
        await op.Context.CloseAsync();

        await admin.GotoAsync($"/audit?actor={operatorName}");
        var audit = new AuditPageObject(admin);
        await Assertions.Expect(audit.Rows.Filter(new() { HasText = "deployment.pause" })).ToContainTextAsync("succeeded");
        await Assertions.Expect(audit.Rows.Filter(new() { HasText = "signin" })).ToHaveCountAsync(1);
        await audit.ScreenshotAsync("audit-light");
        var csv = await audit.ExportAsync();
        Assert.StartsWith("id,at,actor", csv, StringComparison.Ordinal);
        Assert.Contains($",{operatorName},person,,", csv, StringComparison.Ordinal);
        Assert.Contains($",deployment.pause,deployment,{deploymentId},succeeded,", csv, StringComparison.Ordinal);
        await admin.Context.CloseAsync();
    }

    [Fact]
    public async Task Viewer_SeesTheDeploymentReadOnly_WithTheReason()
    {
        var deploymentId = await RunningDeploymentAsync();
        var viewerName = "view-" + Guid.NewGuid().ToString("N")[..8];
        var admin = await LoginPage.SignedInAsync(browser, fixture.App, "/settings/users");
        await admin.Locator("[data-testid=user-create]:not([disabled])").WaitForAsync();
        await admin.Locator("input[data-testid=user-name]").FillAsync(viewerName);
        await admin.Locator("[data-testid=user-role]").ClickAsync();
        await admin.Locator(".mud-popover-open .mud-list-item", new() { HasText = "viewer" }).ClickAsync();
        // The choice must have reached the server before Create; otherwise the user is made with the default role
        // and the failure shows up only later, on the list (seen once under load).
        await Assertions.Expect(admin.Locator("[data-testid=user-role]")).ToContainTextAsync("viewer");
        await admin.Locator("input[data-testid=user-password]").FillAsync(Password);
        await admin.Locator("[data-testid=user-create]").ClickAsync();
        await Assertions.Expect(admin.Locator($"[data-testid=user-row-{viewerName}] select")).ToHaveValueAsync("viewer");
        await admin.Context.CloseAsync();

        foreach (var scheme in new[] { ColorScheme.Light, ColorScheme.Dark })
        {
            var viewer = await browser.NewPageAsync(fixture.App.BaseAddress, scheme);
            await new LoginPage(viewer).OpenAsync($"/deployments/{deploymentId}").ContinueWith(t => t.Result.SignInAsync(viewerName, Password)).Unwrap();
            await new DeploymentsPage(viewer).WaitLiveAsync();
            await Assertions.Expect(viewer.Locator("[data-testid=read-only-notice]")).ToContainTextAsync("viewer");
            await Assertions.Expect(viewer.Locator("[data-testid=pause]")).ToBeDisabledAsync();
            await Assertions.Expect(viewer.Locator("[data-testid=fail]")).ToBeDisabledAsync();
            var theme = scheme == ColorScheme.Dark ? "dark" : "light";
            await viewer.Locator($".mud-layout[data-theme-ready][data-theme={theme}]").WaitForAsync();
            await new LoginPage(viewer).ScreenshotAsync($"deployment-viewer-{theme}");
            await viewer.Context.CloseAsync();
        }
    }

    [Fact]
    public async Task UsersAndAuditPages_LightAndDark()
    {
        await Themes.ScreenshotBothAsync(browser, fixture.App, "/settings/users", "users");
        await Themes.ScreenshotBothAsync(browser, fixture.App, "/audit", "audit");
    }
}
