using System.Net;
using System.Text;
using Dashboard.App.Tests.Infrastructure;
using Dashboard.Data.Changes;
using Microsoft.Playwright;

namespace Dashboard.App.Tests.Browser;

[Collection(AppCollection.Name)]
public sealed class ChangesBrowserTests(AppFixture fixture, BrowserFixture browser)
{
    private static readonly CancellationToken Ct = TestContext.Current.CancellationToken;

    private Task PostAsync(string path, string json) => fixture.App.PostCreatedAsync(path, json, Ct);

    [Fact]
    public async Task StartEvent_AppearsLiveAsInProgress_AndTurnsToSuccessOnItsEnd()
    {
        var component = $"live-{Guid.NewGuid():N}"[..16];
        var page = await LoginPage.SignedInAsync(browser, fixture.App, "/changes");
        var changes = await new ChangesPage(page).WaitLiveAsync();
        // Filtered to this component: the shared app holds many other tests' running changes, and the
        // lane picture shows running lanes first, so an unfiltered picture could hide this one once it ends.
        var timelinePage = await LoginPage.SignedInAsync(browser, fixture.App, $"/?component={component}");
        var timeline = await new TimelinePage(timelinePage).WaitLiveAsync();
        var body = $$"""{"component":"{{component}}","version":"1.2.3","hosts":["prod-api-1","prod-api-2"],"owner":"john@acme.com"}""";

        await PostAsync("/data/events/deployments/start", body);

        await Assertions.Expect(changes.StatusOf(component)).ToHaveAttributeAsync("data-status", ChangeStatuses.InProgress);
        await Assertions.Expect(timeline.EntryTitled(component + " 1.2.3 started")).ToBeVisibleAsync();
        await Assertions.Expect(timelinePage.Locator($"[data-testid=lane][data-component='{component}'] [data-testid=lane-bar][data-status=in_progress]")).ToBeVisibleAsync();

        await PostAsync("/data/events/deployments/end", body.Replace("\"owner\"", "\"status\":\"success\",\"x\"", StringComparison.Ordinal));

        await Assertions.Expect(changes.StatusOf(component)).ToHaveAttributeAsync("data-status", ChangeStatuses.Success);
        await Assertions.Expect(timeline.EntryTitled(component + " 1.2.3 succeeded")).ToBeVisibleAsync();
        await Assertions.Expect(timelinePage.Locator($"[data-testid=lane][data-component='{component}'] [data-testid=lane-bar][data-status=success]")).ToBeVisibleAsync();
        await page.Context.CloseAsync();
        await timelinePage.Context.CloseAsync();
    }

    [Fact]
    public async Task MarkupInDescriptionOwnerAndErrorMessage_IsShownAsText()
    {
        const string payload = "<img src=x onerror=\"alert(1)\"><script>alert(2)</script>";
        var component = $"xss-{Guid.NewGuid():N}"[..14];
        var json = System.Text.Json.JsonSerializer.Serialize(new { component, version = "6.6.6", hosts = new[] { "h1" }, description = payload, owner = payload });
        await PostAsync("/data/events/deployments/start", json);
        await PostAsync("/data/events/deployments/end", System.Text.Json.JsonSerializer.Serialize(new { component, version = "6.6.6", hosts = new[] { "h1" }, status = "failure", errorMessage = payload }));

        var page = await LoginPage.SignedInAsync(browser, fixture.App, $"/changes?component={component}");
        var dialogs = 0;
        page.Dialog += async (_, d) => { dialogs++; await d.DismissAsync(); };
        var changes = await new ChangesPage(page).WaitLiveAsync();
        await Assertions.Expect(changes.RowFor(component).Locator("[data-testid=change-owner]")).ToHaveTextAsync(payload);
        await Assertions.Expect(changes.RowFor(component).Locator("[data-testid=change-error]")).ToHaveTextAsync(payload);
        await changes.OpenDetailAsync(component);
        await Assertions.Expect(changes.Detail.Locator("[data-testid=detail-description]")).ToHaveTextAsync(payload);
        await Assertions.Expect(changes.Detail.Locator("[data-testid=detail-error]")).ToHaveTextAsync(payload);

        Assert.Equal(0, await page.Locator("main img, main script, .mud-drawer img").CountAsync());
        Assert.Equal(0, dialogs);
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task ChangesAndTimelineWithLanes_Screenshots_LightAndDark()
    {
        var service = fixture.App.Service<ChangeService>();
        foreach (var (component, version, status) in new[] { ("billing", "2.0.0", ChangeStatuses.Success), ("search", "7.1", ChangeStatuses.Failure), ("checkout", "3.4.1", (string?)null) })
        {
            await service.StartAsync(new DeploymentStart(component, version, ["prod-api-1", "prod-api-2", "prod-api-3"], DateTime.UtcNow.AddMinutes(-90), "Rolling out " + version, "jane@acme.com", "Jenkins"), Ct);
            if (status is not null)
                await service.EndAsync(new DeploymentEnd(component, version, ["prod-api-1", "prod-api-2", "prod-api-3"], status, status == ChangeStatuses.Failure ? "Health check failed on prod-api-2" : null, DateTime.UtcNow.AddMinutes(-40)), Ct);
        }

        foreach (var scheme in new[] { ColorScheme.Light, ColorScheme.Dark })
        {
            var theme = scheme == ColorScheme.Dark ? "dark" : "light";
            var page = await LoginPage.SignedInAsync(browser, fixture.App, "/", scheme);
            await new TimelinePage(page).WaitLiveAsync();
            await page.Locator($".mud-layout[data-theme-ready][data-theme={theme}]").WaitForAsync();
            await page.Locator("[data-testid=lane]").First.WaitForAsync();
            await new TimelinePage(page).ScreenshotAsync($"timeline-lanes-{theme}");

            // Filtered: the shared app holds other tests' newer changes, which page the demo ones out.
            await page.GotoAsync("/changes?component=search");
            var changes = await new ChangesPage(page).WaitLiveAsync();
            await page.Locator($".mud-layout[data-theme-ready][data-theme={theme}]").WaitForAsync();
            await changes.RowFor("search").First.WaitForAsync();
            // Versions, hosts and times in the monospaced face, over MudBlazor's table cell rule.
            Assert.Contains("Mono", await changes.RowFor("search").First.Locator("td.mono").First
                .EvaluateAsync<string>("td => getComputedStyle(td).fontFamily"), StringComparison.Ordinal);
            await changes.ScreenshotAsync($"changes-{theme}");
            await changes.OpenDetailAsync("search");
            await changes.Detail.WaitForAsync();
            await changes.ScreenshotAsync($"changes-detail-{theme}");
            Assert.Equal(0, await page.Locator("[data-testid=error-boundary]").CountAsync());
            await page.Context.CloseAsync();
        }
    }
}
