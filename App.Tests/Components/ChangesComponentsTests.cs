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
        Services.AddSingleton<ChangeRows>();
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

    /// <summary>A finished change, stored directly (as many as a test needs, in one commit).</summary>
    private static Change Finished(DateTime startedAt, string component, string status = ChangeStatuses.Success) => new()
    {
        Id = Guid.CreateVersion7(new DateTimeOffset(startedAt)), Component = component, Version = "1.0", Hosts = ["prod-1"], MatchKey = component,
        Status = status, StartedAt = startedAt, EndedAt = startedAt.AddSeconds(30), UpdatedAt = startedAt.AddSeconds(30), Owner = "ops", Source = "Chef",
    };

    private static TimelineEntry EntryFor(Change change, long id) => new()
    {
        Id = id, Source = TimelineSources.Changes, SubjectType = SubjectKinds.Change, SubjectId = change.Id.ToString(),
        Status = TimelineStatuses.Succeeded, Title = change.Component + " succeeded", OccurredAt = change.EndedAt!.Value,
    };

    private static async Task StoreAsync(DataServices data, IEnumerable<Change> changes)
    {
        await using var db = data.CreateDb();
        db.Changes.AddRange(changes);
        await db.SaveChangesAsync(Ct);
    }

    private static string[] Components(IRenderedComponent<ChangesPage> cut) => [.. cut.FindAll("[data-testid=change-component]").Select(e => e.TextContent)];

    [Fact]
    public async Task ChangesPage_RendersOnlyTheNewRows_WhenABurstOf1000ChangesArrives()
    {
        await using var data = await DataServices.MigratedAsync();
        UseDataServices(data);
        var start = data.Clock.GetUtcNow().UtcDateTime.AddHours(-1);
        await StoreAsync(data, Enumerable.Range(0, 10).Select(i => Finished(start.AddSeconds(i), $"stored-{i}")));
        var rows = Services.GetRequiredService<ChangeRows>();
        var cut = RenderWithProviders<ChangesPage>();
        cut.WaitForAssertion(() => Assert.Equal(10, cut.FindAll("[data-testid=change-row]").Count));
        Assert.Equal(10, rows.Built);

        // A burst of 1,000 changes committed at once and published as the writer does after one commit.
        var burst = Enumerable.Range(1, 1000).Select(i => Finished(start.AddMinutes(1).AddSeconds(i), $"burst-{i}")).ToList();
        await StoreAsync(data, burst);
        data.Get<TimelineNotifier>().Publish([.. burst.Select((c, i) => EntryFor(c, i + 1))]);

        cut.WaitForAssertion(() => Assert.Equal("burst-1000", Components(cut)[0]));
        Assert.Equal(ChangesPage.PageSize, cut.FindAll("[data-testid=change-row]").Count);
        // Only the rows that fit were drawn (the feed folds the rest and the page reads the newest page).
        Assert.Equal(10 + ChangesPage.PageSize, rows.Built);
        // Nothing disappears silently: once the count is refreshed, the rest are "N more".
        data.Clock.Advance(TimeSpan.FromSeconds(2));
        cut.WaitForAssertion(() => Assert.Equal("960", cut.Find("[data-testid=more-rows]").GetAttribute("data-hidden")));

        // The next changes draw only themselves; the rows already on screen are not built again.
        var changes = data.Get<ChangeService>();
        await changes.EndAsync(new DeploymentEnd("after-1", "1", ["h1"]), Ct);
        data.Clock.Advance(TimeSpan.FromSeconds(1));
        await changes.EndAsync(new DeploymentEnd("after-2", "1", ["h1"]), Ct);
        data.Clock.Advance(TimeSpan.FromSeconds(1)); // past the feed's shortest gap between deliveries
        WaitForLive(cut, data.Clock, () => Assert.Equal(["after-2", "after-1", "burst-1000"], Components(cut)[..3]));
        Assert.Equal(12 + ChangesPage.PageSize, rows.Built);
        Assert.Equal(ChangesPage.PageSize, cut.FindAll("[data-testid=change-row]").Count);
    }

    [Fact]
    public async Task ChangesPage_TwoPagesShareOneBuiltRowPerChange()
    {
        await using var data = await DataServices.MigratedAsync();
        UseDataServices(data);
        var start = data.Clock.GetUtcNow().UtcDateTime.AddHours(-1);
        await StoreAsync(data, Enumerable.Range(0, 5).Select(i => Finished(start.AddSeconds(i), $"shared-{i}")));
        var rows = Services.GetRequiredService<ChangeRows>();

        var first = RenderWithProviders<ChangesPage>();
        first.WaitForAssertion(() => Assert.Equal(5, first.FindAll("[data-testid=change-row]").Count));
        var second = Render<ChangesPage>();
        second.WaitForAssertion(() => Assert.Equal(5, second.FindAll("[data-testid=change-row]").Count));

        Assert.Equal(5, rows.Built);
        // The same cells (each page has its own tr, click handler and selection around them).
        Assert.Equal(first.FindAll("tbody tr").Select(r => r.InnerHtml), second.FindAll("tbody tr").Select(r => r.InnerHtml));
        // A change that ends is one new row state, built once for both pages.
        await data.Get<ChangeService>().EndAsync(new DeploymentEnd("shared-new", "1", ["h1"], ChangeStatuses.Failure, "boom"), Ct);
        first.WaitForAssertion(() => Assert.Equal("shared-new", Components(first)[0]));
        second.WaitForAssertion(() => Assert.Equal("shared-new", Components(second)[0]));
        Assert.Equal(6, rows.Built);
    }

    [Fact]
    public async Task ChangesPage_ShowsUserTextInRowsAsText_NeverAsMarkup()
    {
        await using var data = await DataServices.MigratedAsync();
        UseDataServices(data);
        const string payload = "<script>alert(1)</script><img src=x onerror=alert(2)>";
        var changes = data.Get<ChangeService>();
        await changes.StartAsync(new DeploymentStart(payload, "\"><b>1</b>", ["<i>h</i>"], Owner: payload, Source: payload), Ct);
        await changes.EndAsync(new DeploymentEnd(payload, "\"><b>1</b>", ["<i>h</i>"], ChangeStatuses.Failure, payload), Ct);

        var cut = RenderWithProviders<ChangesPage>();

        cut.WaitForAssertion(() => Assert.Equal(ChangeStatuses.Failure, cut.Find("[data-testid=change-row]").GetAttribute("data-status")));
        Assert.Empty(cut.FindAll("tbody script, tbody img, tbody b:not([data-testid]), tbody i"));
        Assert.Equal(payload, cut.Find("[data-testid=change-component]").TextContent);
        Assert.Equal(payload, cut.Find("[data-testid=change-owner]").TextContent);
        Assert.Equal(payload, cut.Find("[data-testid=change-error]").TextContent);
        Assert.Equal(payload, cut.Find("[data-testid=change-error] .clamp").GetAttribute("title"));
        Assert.Equal("<i>h</i>", cut.Find("td.hosts").TextContent);
    }

    [Fact]
    public async Task ChangesPage_RunningRowsDurationAdvancesWithTheClock_AndOnlyTheyAreRedrawn()
    {
        await using var data = await DataServices.MigratedAsync();
        UseDataServices(data);
        var changes = data.Get<ChangeService>();
        await changes.StartAsync(new DeploymentStart("done", "1", ["h1"]), Ct);
        await changes.EndAsync(new DeploymentEnd("done", "1", ["h1"]), Ct);
        data.Clock.Advance(TimeSpan.FromSeconds(1));
        await changes.StartAsync(new DeploymentStart("running", "2", ["h2"]), Ct);
        var rows = Services.GetRequiredService<ChangeRows>();

        var cut = RenderWithProviders<ChangesPage>();
        cut.WaitForAssertion(() => Assert.Equal(["running", "done"], Components(cut)));
        string Duration(int row) => cut.FindAll("[data-testid=change-duration]")[row].TextContent;
        string? Click(int row) => cut.FindAll("tbody tr")[row].GetAttribute("blazor:onclick");
        Assert.Equal("0s", Duration(0));
        var built = rows.Built;
        var finishedClick = Click(1);

        data.Clock.Advance(TimeSpan.FromSeconds(12));

        cut.WaitForAssertion(() => Assert.Equal("12s", Duration(0)));
        Assert.Equal("0s", Duration(1));
        // The finished row kept its string and its click handler; the running one is a new state per second at most.
        Assert.Equal(finishedClick, Click(1));
        Assert.InRange(rows.Built, built + 1, built + 12);

        // A second page at the same moment reads the same state: nothing new is built.
        built = rows.Built;
        var second = Render<ChangesPage>();
        second.WaitForAssertion(() => Assert.Equal("12s", second.FindAll("[data-testid=change-duration]")[0].TextContent));
        Assert.Equal(built, rows.Built);
    }

    [Fact]
    public async Task ChangesPage_ClickingARow_SelectsIt_AndTheSelectedRowIsHighlighted()
    {
        await using var data = await DataServices.MigratedAsync();
        UseDataServices(data);
        var changes = data.Get<ChangeService>();
        var billing = await changes.StartAsync(new DeploymentStart("billing", "1", ["h1"]), Ct);
        await changes.StartAsync(new DeploymentStart("search", "2", ["h2"]), Ct);
        var navigation = Services.GetRequiredService<NavigationManager>();

        var cut = RenderWithProviders<ChangesPage>();
        cut.WaitForAssertion(() => Assert.Equal(2, cut.FindAll("tbody tr").Count));
        Assert.Empty(cut.FindAll("tr.selected-change"));
        await cut.ClickAsync(() => cut.FindAll("tbody tr").Single(r => r.QuerySelector("[data-testid=change-component]")!.TextContent == "billing"));

        Assert.Equal($"change={billing.Change.Id}", new Uri(navigation.Uri).Query.TrimStart('?'));
        var selected = Render<ChangesPage>();
        selected.WaitForAssertion(() => Assert.Equal("billing", selected.Find("tr.selected-change [data-testid=change-component]").TextContent));
        Assert.Single(selected.FindAll("tr.selected-change"));
        Assert.Contains("billing", selected.Find("[data-testid=change-detail]").TextContent, StringComparison.Ordinal);
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
