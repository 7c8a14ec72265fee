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
        Services.AddSingleton<LanePictures>();
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

        Services.AddSingleton<LanePictures>();
        IReadOnlyList<Change> changes = [Make("billing", ChangeStatuses.InProgress, 30, null), Make("billing", ChangeStatuses.Success, 200, 190), Make("search", ChangeStatuses.Failure, 60, 50)];
        var cut = Render<ChangeLanes>(p => p
            .Add(x => x.Changes, changes)
            .Add(x => x.Now, now)
            .Add(x => x.Window, TimeSpan.FromHours(6)));

        Assert.Equal(["billing", "search"], cut.FindAll("[data-testid=lane]").Select(l => l.GetAttribute("data-component")));
        var running = cut.Find("[data-testid=lane-bar][data-status=in_progress]");
        Assert.Equal("100%", AddPercent(running.GetAttribute("x"), running.GetAttribute("width")));
        Assert.Equal("#d32f2f", cut.Find("[data-testid=lane-bar][data-status=failure]").GetAttribute("fill"));
        Assert.Equal($"/changes?change={changes[2].Id}", cut.Find("[data-testid=lane-bar][data-status=failure]").ParentElement!.GetAttribute("href"));

        // A second page showing the same changes at the same moment gets the same picture, not a new one.
        var second = Render<ChangeLanes>(p => p.Add(x => x.Changes, changes).Add(x => x.Now, now).Add(x => x.Window, TimeSpan.FromHours(6)));
        Assert.Equal(cut.Markup, second.Markup);
        Assert.Equal(1, Services.GetRequiredService<LanePictures>().Drawn);
        // The next moment is a new picture.
        Render<ChangeLanes>(p => p.Add(x => x.Changes, changes).Add(x => x.Now, now + LanePictures.Resolution).Add(x => x.Window, TimeSpan.FromHours(6)));
        Assert.Equal(2, Services.GetRequiredService<LanePictures>().Drawn);
    }

    [Fact]
    public void ChangeLanes_ShowsComponentNamesAndVersionsAsText_NeverAsMarkup()
    {
        var now = new DateTime(2026, 11, 22, 12, 0, 0, DateTimeKind.Utc);
        Services.AddSingleton<LanePictures>();
        var hostile = "<img src=x onerror=alert(1)>";
        IReadOnlyList<Change> changes = [new() { Id = Guid.CreateVersion7(), Component = hostile, Version = "\"><script>x()</script>", MatchKey = "k",
            Status = ChangeStatuses.Success, StartedAt = now.AddMinutes(-10), EndedAt = now.AddMinutes(-5), Hosts = ["<b>h</b>"] }];

        var cut = Render<ChangeLanes>(p => p.Add(x => x.Changes, changes).Add(x => x.Now, now));

        Assert.Empty(cut.FindAll("img, script, b"));
        Assert.Equal(hostile, cut.Find("[data-testid=lane]").GetAttribute("data-component"));
        Assert.Equal(hostile, cut.Find("[data-testid=lane] .lane-label").TextContent);
        Assert.Contains("<script>x()</script>", cut.Find("[data-testid=lane-bar] title").TextContent, StringComparison.Ordinal);
    }

    private static string AddPercent(string? x, string? width) =>
        (double.Parse(x!.TrimEnd('%'), System.Globalization.CultureInfo.InvariantCulture) + double.Parse(width!.TrimEnd('%'), System.Globalization.CultureInfo.InvariantCulture))
            .ToString("0.#", System.Globalization.CultureInfo.InvariantCulture) + "%";
}
