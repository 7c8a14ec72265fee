using Bunit;
using TestContext = Xunit.TestContext;
using Dashboard.App.Components.Pages.Changes;
using Dashboard.App.Components.Shared;
using Dashboard.App.Tests.Infrastructure;
using Dashboard.Data.Changes;
using Dashboard.Data.Timeline;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;

namespace Dashboard.App.Tests.Components;

public sealed class ChangesComponentsTests : MudBunitContext
{
    private static readonly CancellationToken Ct = TestContext.Current.CancellationToken;

    private void UseDataServices(DataServices data)
    {
        Services.AddSingleton(data.Get<TimelineService>());
        Services.AddSingleton(data.Get<TimelineNotifier>());
        Services.AddSingleton(data.Get<ChangeService>());
        Services.AddSingleton<TimeProvider>(data.Clock);
        Services.AddSingleton<Dashboard.App.Realtime.SharedLanes>();
    }

    [Fact]
    public async Task ChangesPage_ShowsChanges_AndUpdatesLiveWhenOneEnds()
    {
        await using var data = await DataServices.MigratedAsync();
        UseDataServices(data);
        var changes = data.Get<ChangeService>();
        await changes.StartAsync(new DeploymentStart("billing", "1.2.3", ["prod-api-1", "prod-api-2"], Owner: "john@acme.com", Source: "Chef"), Ct);

        var cut = RenderWithProviders<ChangesPage>();
        cut.WaitForAssertion(() => Assert.Equal(ChangeStatuses.InProgress, Assert.Single(cut.FindAll("[data-testid=change-row]")).GetAttribute("data-status")));
        Assert.Contains("john@acme.com", cut.Find("[data-testid=change-owner]").TextContent, StringComparison.Ordinal);

        await changes.EndAsync(new DeploymentEnd("billing", "1.2.3", ["prod-api-2", "prod-api-1"], ChangeStatuses.Failure, "Failed migration mongodb"), Ct);

        cut.WaitForAssertion(() =>
        {
            Assert.Equal(ChangeStatuses.Failure, Assert.Single(cut.FindAll("[data-testid=change-row]")).GetAttribute("data-status"));
            Assert.Contains("Failed migration mongodb", cut.Find("[data-testid=change-error]").TextContent, StringComparison.Ordinal);
        });
    }

    [Fact]
    public async Task ChangesPage_AppliesTheFiltersInTheUrl()
    {
        await using var data = await DataServices.MigratedAsync();
        UseDataServices(data);
        var changes = data.Get<ChangeService>();
        await changes.StartAsync(new DeploymentStart("billing", "1", ["h1"]), Ct);
        await changes.StartAsync(new DeploymentStart("search", "2", ["h2"]), Ct);
        await changes.EndAsync(new DeploymentEnd("search", "2", ["h2"], ChangeStatuses.Failure), Ct);
        Services.GetRequiredService<NavigationManager>().NavigateTo("/changes?status=failure&host=H2");

        var cut = RenderWithProviders<ChangesPage>();

        cut.WaitForAssertion(() => Assert.Equal("search", Assert.Single(cut.FindAll("[data-testid=change-component]")).TextContent));
    }

    [Fact]
    public async Task ChangesPage_OpensTheDetailPanel_ForTheChangeInTheUrl_WithUserTextAsText()
    {
        await using var data = await DataServices.MigratedAsync();
        UseDataServices(data);
        const string payload = "<script>alert(1)</script><img src=x onerror=alert(2)>";
        var started = await data.Get<ChangeService>().StartAsync(new DeploymentStart("billing", "1", ["h1"], Description: payload, Owner: payload), Ct);
        Services.GetRequiredService<NavigationManager>().NavigateTo($"/changes?change={started.Change.Id}");

        var cut = RenderWithProviders<ChangesPage>();

        cut.WaitForAssertion(() => Assert.Equal(payload, cut.Find("[data-testid=detail-description]").TextContent));
        Assert.Empty(cut.FindAll("[data-testid=change-detail] script, [data-testid=change-detail] img"));
    }

    [Fact]
    public void ChangeLanes_DrawsOneLanePerComponent_WithRunningAndFailedBars()
    {
        var now = new DateTime(2026, 11, 22, 12, 0, 0, DateTimeKind.Utc);
        Change Make(string component, string status, int startedMinutesAgo, int? endedMinutesAgo) => new()
        {
            Id = Guid.CreateVersion7(), Component = component, Version = "1", MatchKey = "k", Status = status,
            StartedAt = now.AddMinutes(-startedMinutesAgo), EndedAt = endedMinutesAgo is { } e ? now.AddMinutes(-e) : null, Hosts = ["h"],
        };

        var cut = Render<ChangeLanes>(p => p
            .Add(x => x.Changes, [Make("billing", ChangeStatuses.InProgress, 30, null), Make("billing", ChangeStatuses.Success, 200, 190), Make("search", ChangeStatuses.Failure, 60, 50)])
            .Add(x => x.Now, now)
            .Add(x => x.Window, TimeSpan.FromHours(6)));

        Assert.Equal(["billing", "search"], cut.FindAll("[data-testid=lane]").Select(l => l.GetAttribute("data-component")));
        var running = cut.Find("[data-testid=lane-bar][data-status=in_progress]");
        Assert.Equal("100%", AddPercent(running.GetAttribute("x"), running.GetAttribute("width")));
        Assert.Equal("#d32f2f", cut.Find("[data-testid=lane-bar][data-status=failure]").GetAttribute("fill"));
    }

    private static string AddPercent(string? x, string? width) =>
        (double.Parse(x!.TrimEnd('%'), System.Globalization.CultureInfo.InvariantCulture) + double.Parse(width!.TrimEnd('%'), System.Globalization.CultureInfo.InvariantCulture))
            .ToString("0.#", System.Globalization.CultureInfo.InvariantCulture) + "%";
}
