using Dashboard.App.Tests.Attention;
using Dashboard.App.Tests.Infrastructure;
using Dashboard.Data.Changes;
using Microsoft.Playwright;

namespace Dashboard.App.Tests.Browser;

public sealed class AttentionPage(IPage page) : BasePage(page)
{
    public ILocator Badge => Page.Locator("[data-testid=attention-badge]");

    public ILocator Item(string subjectId) => Page.Locator($"[data-testid=attention-item][data-subject='{subjectId}']");

    public Task OpenFromNavigationAsync() => Page.Locator("a[href='/attention']").First.ClickAsync();
}

public sealed class SuspectsPanel(IPage page) : BasePage(page)
{
    public ILocator Suspect(Guid changeId) => Page.Locator($"[data-testid=suspect][data-change='{changeId}']");

    public Task MarkMatchAsync(Guid changeId) => Suspect(changeId).Locator("[data-testid=mark-match]").ClickAsync();
}

[Collection(AppCollection.Name)]
public sealed class AttentionBrowserTests(AppFixture fixture, BrowserFixture browser)
{
    private static readonly CancellationToken Ct = TestContext.Current.CancellationToken;

    [Fact]
    public async Task FailedRollout_ShowsInTheInboxLive_OpensToItsSuspects_AndOneIsMarkedAMatch()
    {
        var services = fixture.App.Services;
        var (rollout, ids) = await AttentionTestData.RolloutAsync(services, DateTime.UtcNow, 2);
        var host = $"dev-{ids[0]}";
        // A firmware change on one of its devices ten minutes before it started: the suspect.
        var changes = fixture.App.Service<ChangeService>();
        var now = DateTime.UtcNow;
        var suspect = (await changes.StartAsync(new DeploymentStart($"firmware-{ids[0][..8]}", "9.1", [host], now.AddMinutes(-10), "flash the new firmware", "ops", "jenkins"), Ct)).Change;
        await changes.EndAsync(new DeploymentEnd(suspect.Component, "9.1", [host], Timestamp: now.AddMinutes(-9), Source: "jenkins"), Ct);

        var page = await LoginPage.SignedInAsync(browser, fixture.App, "/rollouts");
        var inbox = new AttentionPage(page);
        await inbox.WaitUntilInteractiveAsync();

        // It fails while the page is open: the badge and the inbox hear of it without a reload.
        await AttentionTestData.FailAsync(services, rollout.Id, ids);
        await Assertions.Expect(inbox.Badge).ToBeVisibleAsync();
        await inbox.OpenFromNavigationAsync();
        await Assertions.Expect(inbox.Item(rollout.Id)).ToContainTextAsync($"Rollout {rollout.Name} failed");
        await Assertions.Expect(inbox.Item(rollout.Id).Locator("[data-severity]")).ToHaveTextAsync("critical");
        await inbox.ScreenshotAsync("attention-light");

        await inbox.Item(rollout.Id).Locator("[data-testid=attention-link]").ClickAsync();
        await inbox.WaitForUrlAfterAsync("the inbox item's link", url => new Uri(url).AbsolutePath == $"/rollouts/{rollout.Id}");
        var suspects = new SuspectsPanel(page);
        await suspects.WaitUntilInteractiveAsync();
        await Assertions.Expect(suspects.Suspect(suspect.Id)).ToContainTextAsync($"shares host {host}");
        await suspects.MarkMatchAsync(suspect.Id);
        await Assertions.Expect(suspects.Suspect(suspect.Id)).ToHaveAttributeAsync("data-verdict", "match");
        await Assertions.Expect(suspects.Suspect(suspect.Id).Locator("[data-testid=suspect-verdict]")).ToContainTextAsync("admin");
        await suspects.ScreenshotAsync("rollout-suspects-light");
        Assert.Equal(0, await page.Locator("[data-testid=error-boundary]").CountAsync());
        await page.Context.CloseAsync();

        await Themes.ScreenshotBothAsync(browser, fixture.App, "/attention", "attention");
        await Themes.ScreenshotBothAsync(browser, fixture.App, $"/rollouts/{rollout.Id}", "rollout-suspects");
        await Themes.ScreenshotBothAsync(browser, fixture.App, $"/changes/{suspect.Id}", "change-detail");
    }
}
