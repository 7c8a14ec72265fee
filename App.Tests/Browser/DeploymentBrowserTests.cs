using Dashboard.App.Tests.Infrastructure;
using Microsoft.Playwright;

namespace Dashboard.App.Tests.Browser;

public sealed class DeploymentsPage(IPage page) : BasePage(page)
{
    public ILocator Field(string testId) => Page.Locator($"input[data-testid={testId}], [data-testid={testId}] input").First;

    public async Task OpenDeployDialogAsync()
    {
        await Page.ClickAsync("[data-testid=deploy-new-version]");
        await Page.Locator("[data-testid=deploy-submit]").WaitForAsync();
    }

    public async Task FillAsync(string testId, string value) => await Field(testId).FillAsync(value);

    public Task CheckAsync(string testId) => Field(testId).CheckAsync();

    public Task ChooseAsync(string testId, string option) => Field($"{testId.Replace("deploy-", "", StringComparison.Ordinal)}-{option}").CheckAsync();

    public async Task SubmitAsync()
    {
        await Page.ClickAsync("[data-testid=deploy-submit]");
        await WaitForUrlAfterAsync("Deploy", url => System.Text.RegularExpressions.Regex.IsMatch(url, "/deployments/[0-9a-f-]{36}$"));
        await WaitLiveAsync();
    }

    public Task WaitLiveAsync() => Page.Locator("[data-testid=live-indicator]", new() { HasText = "live" }).WaitForAsync();

    public ILocator Status => Page.Locator("[data-testid=deployment-header] [data-testid=deployment-status]");
    public ILocator Description => Page.Locator("[data-testid=deployment-description]");
    public ILocator Promote => Page.Locator("[data-testid=promote]");
    public ILocator Allocations => Page.Locator("[data-testid=alloc-row]");
}

/// <summary>The main path in real Chromium on the real clock, with short deadlines: deploy, canary, promote; and a failing canary rolled back on its own.</summary>
[Collection(AppCollection.Name)]
public sealed class DeploymentBrowserTests(AppFixture fixture, BrowserFixture browser)
{
    private static readonly LocatorAssertionsToHaveAttributeOptions Slow = new() { Timeout = 30_000 };

    private static async Task DeployAsync(DeploymentsPage ui, string job, string image, bool autoRevert = false, string? simulate = null, bool fresh = true)
    {
        await ui.OpenDeployDialogAsync();
        if (fresh)
        {
            await ui.FillAsync("deploy-job", job);
            await ui.FillAsync("deploy-count", "2");
            await ui.FillAsync("deploy-canary", "1");
            await ui.FillAsync("deploy-min-healthy", "1");
            await ui.FillAsync("deploy-healthy-deadline", "20");
            await ui.FillAsync("deploy-progress-deadline", "60");
            if (autoRevert) await ui.CheckAsync("deploy-auto-revert");
        }
        await ui.FillAsync("deploy-image", image);
        if (simulate is not null) await ui.ChooseAsync("deploy-simulate", simulate);
        await ui.SubmitAsync();
    }

    [Fact]
    public async Task CanaryDeployment_FromTheUi_GoesCanaryPromoteSuccessful_Live()
    {
        var job = "pw-" + Guid.NewGuid().ToString("N")[..6];
        var page = await LoginPage.SignedInAsync(browser, fixture.App, "/deployments");
        var ui = new DeploymentsPage(page);
        await ui.WaitLiveAsync();

        await DeployAsync(ui, job, "nginx:1.26");
        await Assertions.Expect(ui.Status).ToHaveAttributeAsync("data-status", "successful", Slow);

        await page.GotoAsync($"/deployments/jobs/default/{job}");
        await ui.WaitLiveAsync();
        await DeployAsync(ui, job, "nginx:1.27", fresh: false);
        await Assertions.Expect(ui.Description).ToHaveTextAsync("Deployment is running but requires manual promotion");
        await Assertions.Expect(page.Locator("[data-testid=alloc-row][data-canary=true]")).ToHaveCountAsync(1);
        await Assertions.Expect(page.Locator("[data-testid=alloc-row][data-canary=true]")).ToHaveAttributeAsync("data-health", "healthy", Slow);
        await Assertions.Expect(ui.Promote).ToBeEnabledAsync();
        await Assertions.Expect(page.Locator("[data-testid=deployment-waiting]")).ToContainTextAsync("needs promotion");
        await ui.ScreenshotAsync("deployment-needs-promotion-light");

        await ui.Promote.ClickAsync();
        await Assertions.Expect(ui.Status).ToHaveAttributeAsync("data-status", "successful", Slow);
        await Assertions.Expect(ui.Description).ToHaveTextAsync("Deployment completed successfully");
        await Assertions.Expect(page.Locator("[data-testid=group-row] [data-testid=group-healthy]")).ToHaveTextAsync("2");
        await ui.ScreenshotAsync("deployment-successful-light");
        var url = new Uri(page.Url).PathAndQuery;
        await page.Context.CloseAsync();

        var dark = await LoginPage.SignedInAsync(browser, fixture.App, url, ColorScheme.Dark);
        await dark.Locator(".mud-layout[data-theme-ready][data-theme=dark]").WaitForAsync();
        await new DeploymentsPage(dark).WaitLiveAsync();
        await new DeploymentsPage(dark).ScreenshotAsync("deployment-successful-dark");
        foreach (var (path, name) in new[] { ("/deployments", "deployments"), ($"/deployments/jobs/default/{job}", "job-detail"), ("/deployments/jobs", "jobs") })
        {
            await dark.GotoAsync(path);
            await new DeploymentsPage(dark).WaitLiveAsync();
            await new DeploymentsPage(dark).ScreenshotAsync(name + "-dark");
        }
        await dark.Context.CloseAsync();
    }

    [Fact]
    public async Task FailingCanary_WithAutoRevert_RollsBackOnItsOwn_Live()
    {
        var job = "pw-" + Guid.NewGuid().ToString("N")[..6];
        var page = await LoginPage.SignedInAsync(browser, fixture.App, "/deployments");
        var ui = new DeploymentsPage(page);
        await ui.WaitLiveAsync();
        await DeployAsync(ui, job, "nginx:1.26", autoRevert: true);
        await Assertions.Expect(ui.Status).ToHaveAttributeAsync("data-status", "successful", Slow);

        await page.GotoAsync($"/deployments/jobs/default/{job}");
        await ui.WaitLiveAsync();
        await DeployAsync(ui, job, "nginx:broken", simulate: "unhealthy", fresh: false);
        await Assertions.Expect(page.Locator("[data-testid=fail]")).ToContainTextAsync("revert to v0");
        await Assertions.Expect(ui.Status).ToHaveAttributeAsync("data-status", "failed", Slow);
        await Assertions.Expect(ui.Description).ToHaveTextAsync("Failed due to unhealthy allocations - rolling back to job version 0");
        await ui.ScreenshotAsync("deployment-rolled-back-light");

        await page.GotoAsync("/deployments");
        await ui.WaitLiveAsync();
        var rollback = page.Locator("[data-testid=deployment-row]", new() { HasText = job }).First;
        await Assertions.Expect(rollback).ToContainTextAsync("v2");
        await Assertions.Expect(rollback).ToHaveAttributeAsync("data-status", "successful", Slow);
        await ui.ScreenshotAsync("deployments-light");
        await page.GotoAsync($"/deployments/jobs/default/{job}");
        await ui.WaitLiveAsync();
        await Assertions.Expect(page.Locator("[data-testid=version-row]")).ToHaveCountAsync(3);
        await Assertions.Expect(page.Locator("[data-testid=spec-diff] .added")).Not.ToHaveCountAsync(0);
        await ui.ScreenshotAsync("job-detail-light");
        await page.Context.CloseAsync();
    }
}
