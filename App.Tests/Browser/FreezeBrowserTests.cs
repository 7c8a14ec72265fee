using System.Globalization;
using Dashboard.App.Tests.Infrastructure;
using Dashboard.Data.Freezes;
using Microsoft.Playwright;

namespace Dashboard.App.Tests.Browser;

/// <summary>The freeze settings page: what an administrator does there.</summary>
public sealed class FreezesSettingsPage(IPage page) : BasePage(page)
{
    public ILocator Save => Page.Locator("[data-testid=freeze-create]:not([disabled])");

    public ILocator Row(string name) => Page.Locator("[data-testid=freeze-row]", new() { HasText = name });

    public ILocator Overrides => Page.Locator("[data-testid=freeze-overrides]");

    private ILocator Field(string testId) => Page.Locator($"input[data-testid={testId}], [data-testid={testId}] input").First;

    /// <summary>A one-off freeze from <paramref name="start"/> to <paramref name="end"/> (wall-clock times in <paramref name="timeZone"/>) for the given components.</summary>
    public async Task CreateOnceAsync(string name, DateTime start, DateTime end, string components, string timeZone = "UTC")
    {
        await Save.WaitForAsync(); // typed text is only kept once the circuit is interactive
        await Field("freeze-name").FillAsync(name);
        await Field("freeze-kind-once").CheckAsync();
        await Field("freeze-timezone").FillAsync(timeZone);
        await Field("freeze-starts-at").FillAsync(start.ToString("yyyy-MM-dd'T'HH:mm", CultureInfo.InvariantCulture));
        await Field("freeze-ends-at").FillAsync(end.ToString("yyyy-MM-dd'T'HH:mm", CultureInfo.InvariantCulture));
        await Field("freeze-components").FillAsync(components);
        await Save.ClickAsync();
    }
}

/// <summary>
/// The main path in real Chromium: an administrator defines a freeze, tries to deploy a new version
/// of a job it covers, sees the refusal, and overrides it with a reason that is recorded.
/// </summary>
[Collection(AppCollection.Name)]
public sealed class FreezeBrowserTests(AppFixture fixture, BrowserFixture browser)
{
    [Fact]
    public async Task Freeze_RefusesADeploymentFromTheDialog_UntilAnAdministratorOverridesItWithAReason()
    {
        var suffix = Guid.NewGuid().ToString("N")[..6];
        var (name, job) = ($"Release freeze {suffix}", $"pw-frz-{suffix}");
        var now = fixture.App.Clock.GetUtcNow().UtcDateTime;
        var settings = new FreezesSettingsPage(await LoginPage.SignedInAsync(browser, fixture.App, "/settings/freezes"));
        try
        {
            // Entered as Berlin wall-clock times, as a person there would.
            var berlin = TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin");
            await settings.CreateOnceAsync(name, TimeZoneInfo.ConvertTimeFromUtc(now.AddMinutes(-10), berlin), TimeZoneInfo.ConvertTimeFromUtc(now.AddHours(2), berlin), job, "Europe/Berlin");
            await Assertions.Expect(settings.Row(name)).ToContainTextAsync("in effect until");
            await Assertions.Expect(settings.Row(name)).ToContainTextAsync("Europe/Berlin");
            await Assertions.Expect(settings.Row(name)).ToContainTextAsync($"components {job}");
            await settings.ScreenshotAsync("freezes-light");

            var page = settings.Page;
            var ui = new DeploymentsPage(page);
            await page.GotoAsync("/deployments");
            await ui.WaitLiveAsync();
            await ui.OpenDeployDialogAsync();
            await ui.FillAsync("deploy-job", job);
            await ui.Field("deploy-job").PressAsync("Tab");
            await ui.FillAsync("deploy-count", "2");
            await ui.FillAsync("deploy-canary", "0");
            var notice = page.Locator("[data-testid=freeze-notice-active]");
            await Assertions.Expect(notice).ToContainTextAsync($"Frozen by {name} until");
            await ui.ScreenshotAsync("freeze-deploy-dialog-light");

            await page.ClickAsync("[data-testid=deploy-submit]");
            await Assertions.Expect(page.Locator("[data-testid=deploy-error]")).ToContainTextAsync($"Deployments are frozen by \"{name}\"");

            await ui.Field("freeze-override").CheckAsync();
            await ui.FillAsync("freeze-override-reason", "payments hotfix, approved by the on-call lead");
            await ui.SubmitAsync();
            await Assertions.Expect(page.Locator("[data-testid=deployment-header] [data-testid=deployment-status]")).ToHaveAttributeAsync("data-status", "successful", new() { Timeout = 30_000 });

            await page.GotoAsync("/settings/freezes");
            await Assertions.Expect(settings.Overrides).ToContainTextAsync("payments hotfix, approved by the on-call lead");
            await Assertions.Expect(settings.Overrides).ToContainTextAsync(name);
            await page.Context.CloseAsync();

            var dark = new FreezesSettingsPage(await LoginPage.SignedInAsync(browser, fixture.App, "/settings/freezes", ColorScheme.Dark));
            await Assertions.Expect(dark.Row(name)).ToContainTextAsync("in effect until");
            await dark.ScreenshotAsync("freezes-dark");
            var darkUi = new DeploymentsPage(dark.Page);
            await dark.Page.GotoAsync("/deployments");
            await darkUi.WaitLiveAsync();
            await darkUi.OpenDeployDialogAsync();
            await darkUi.FillAsync("deploy-job", job);
            await darkUi.Field("deploy-job").PressAsync("Tab");
            await Assertions.Expect(dark.Page.Locator("[data-testid=freeze-notice-active]")).ToContainTextAsync(name);
            await darkUi.Field("freeze-override").CheckAsync();
            await darkUi.ScreenshotAsync("freeze-deploy-dialog-dark");
            await dark.Page.Context.CloseAsync();
        }
        finally
        {
            // The shared app keeps running for other tests: leave no freeze behind.
            var freezes = fixture.App.Service<FreezeService>();
            foreach (var f in (await freezes.ListAsync(TestContext.Current.CancellationToken)).Where(f => f.Freeze.Name == name))
                await freezes.DeleteAsync(f.Freeze.Id, "test", TestContext.Current.CancellationToken);
        }
    }
}
