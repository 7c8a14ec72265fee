using Bunit;
using Dashboard.App.Components.Pages.Attention;
using Dashboard.App.Components.Pages.Suspects;
using Dashboard.App.Realtime;
using Dashboard.App.Tests.Attention;
using Dashboard.App.Tests.Infrastructure;
using Dashboard.Data;
using Dashboard.Data.Attention;
using Dashboard.Data.Batches;
using Dashboard.Data.Changes;
using Dashboard.Data.Suspects;
using Dashboard.Data.Timeline;
using Dashboard.Data.Work;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using TestContext = Xunit.TestContext;

namespace Dashboard.App.Tests.Components;

/// <summary>The attention page, the navigation badge, the kiosk block and the suspects panel, rendered in bunit over real services.</summary>
public sealed class AttentionComponentsTests : MudBunitContext
{
    private static readonly CancellationToken Ct = TestContext.Current.CancellationToken;
    // The shared inbox re-reads at most once a second on the real clock, then the page renders: a loaded
    // 2-core machine can take several seconds for that. A passing wait returns at the render that satisfies it.
    private static readonly TimeSpan Live = TimeSpan.FromSeconds(15);

    private async Task<DataServices> ServicesAsync()
    {
        var data = await DataServices.MigratedAsync();
        // The live feeds pace themselves by the page's clock; the services' fake clock starts at the real time.
        data.Clock.SetUtcNow(TimeProvider.System.GetUtcNow());
        Services.AddSingleton(data.Get<AttentionService>());
        Services.AddSingleton(data.Get<SuspectService>());
        Services.AddSingleton(data.Get<TimelineNotifier>());
        Services.AddSingleton(data.Get<ProgressNotifier>());
        Services.AddSingleton(TimeProvider.System);
        Services.AddSingleton<ILogger<SharedAttention>>(NullLogger<SharedAttention>.Instance);
        Services.AddSingleton<SharedAttention>();
        AddAuthorization().SetAuthorized("alice");
        return data;
    }

    private static IDbContextFactory<DashboardDbContext> Factory(DataServices data) => data.Get<IDbContextFactory<DashboardDbContext>>();

    [Fact]
    public async Task Page_ListsItemsMostUrgentFirst_AndAcknowledgeClearsAFailure()
    {
        await using var data = await ServicesAsync();
        var now = data.Clock.GetUtcNow().UtcDateTime;
        var failed = await AttentionTestData.BatchAsync(Factory(data), now.AddMinutes(-12), BatchStates.Failed, "b-1");
        var paused = await AttentionTestData.DeploymentAsync(Factory(data), now.AddHours(-1), d => { d.Status = Dashboard.Data.Canaries.DeploymentStatuses.Paused; d.WaitingSince = now.AddHours(-1); });

        var cut = RenderWithProviders<AttentionPage>();

        cut.WaitForAssertion(() => Assert.Equal(2, cut.FindAll("[data-testid=attention-item]").Count));
        var rows = cut.FindAll("[data-testid=attention-item]");
        Assert.Equal([failed.Id, paused.Id], rows.Select(r => r.GetAttribute("data-subject")));
        Assert.Equal($"/batches/{failed.Id}/detail", rows[0].QuerySelector("a")!.GetAttribute("href"));
        Assert.Contains("12m", rows[0].TextContent, StringComparison.Ordinal);
        Assert.Single(cut.FindAll("[data-testid=acknowledge]"));

        await cut.ClickAsync("[data-testid=acknowledge]");

        cut.WaitForAssertion(() => Assert.Equal([paused.Id], cut.FindAll("[data-testid=attention-item]").Select(r => r.GetAttribute("data-subject"))), Live);
        Assert.True(await data.Get<AttentionService>().IsAcknowledgedAsync(SubjectKinds.Batch, failed.Id, Ct));
    }

    [Fact]
    public async Task Badge_CountsTheInbox_AndFollowsItLive()
    {
        await using var data = await ServicesAsync();
        var cut = RenderWithProviders<AttentionNavLink>();
        Assert.Empty(cut.FindAll("[data-testid=attention-badge]"));

        await AttentionTestData.BatchAsync(Factory(data), data.Clock.GetUtcNow().UtcDateTime, BatchStates.Failed, "b-2");
        Services.GetRequiredService<SharedAttention>().Refresh();

        cut.WaitForAssertion(() => Assert.Equal("1", cut.Find("[data-testid=attention-badge]").TextContent.Trim()), Live);
        Assert.Contains("critical", cut.Find("[data-testid=attention-badge]").ClassName, StringComparison.Ordinal);
    }

    [Fact]
    public async Task KioskBlock_ShowsTheCount_AndOnlyTheFirstFewItems()
    {
        await using var data = await ServicesAsync();
        var now = data.Clock.GetUtcNow().UtcDateTime;
        for (var i = 0; i < 5; i++) await AttentionTestData.BatchAsync(Factory(data), now.AddMinutes(-i), BatchStates.Failed, $"k-{i}");

        var cut = RenderWithProviders<KioskAttention>();

        cut.WaitForAssertion(() => Assert.Equal("5", cut.Find("[data-testid=kiosk-attention-count]").TextContent.Trim()));
        Assert.Equal(3, cut.FindAll("[data-testid=kiosk-attention-item]").Count);
        Assert.Contains("and 2 more", cut.Markup, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SuspectsPanel_ShowsRankedSuspectsOfAFailure_AndMarksOne()
    {
        await using var data = await ServicesAsync();
        var changes = data.Get<ChangeService>();
        var now = data.Clock.GetUtcNow().UtcDateTime;
        var suspect = (await changes.StartAsync(new DeploymentStart("db", "12", ["h-1"], now.AddMinutes(-20)), Ct)).Change;
        await changes.EndAsync(new DeploymentEnd("db", "12", ["h-1"], Timestamp: now.AddMinutes(-19)), Ct);
        await changes.StartAsync(new DeploymentStart("api", "5", ["h-1"], now.AddMinutes(-10)), Ct);
        var failed = (await changes.EndAsync(new DeploymentEnd("api", "5", ["h-1"], ChangeStatuses.Failure, Timestamp: now), Ct)).Change;

        var cut = RenderWithProviders<SuspectsPanel>(p => p.Add(x => x.Kind, SubjectKinds.Change).Add(x => x.Id, failed.Id.ToString()).Add(x => x.State, failed.Status));

        var row = cut.WaitForElement("[data-testid=suspect]");
        Assert.Equal(suspect.Id.ToString(), row.GetAttribute("data-change"));
        Assert.Contains("shares host h-1", row.TextContent, StringComparison.Ordinal);
        Assert.Contains("not marked", row.TextContent, StringComparison.Ordinal);

        await cut.ClickAsync("[data-testid=mark-match]");

        cut.WaitForAssertion(() => Assert.Equal(SuspectVerdicts.Match, cut.Find("[data-testid=suspect]").GetAttribute("data-verdict")));
        Assert.Contains("alice", cut.Find("[data-testid=suspect-verdict]").TextContent, StringComparison.Ordinal);
        Assert.True(cut.Find("[data-testid=mark-match]").HasAttribute("disabled"));
    }

    [Fact]
    public async Task SuspectsPanel_ShowsNothing_WhileTheSubjectHasNotFailed()
    {
        await using var data = await ServicesAsync();
        var running = (await data.Get<ChangeService>().StartAsync(new DeploymentStart("api", "6", ["h-2"]), Ct)).Change;

        var cut = RenderWithProviders<SuspectsPanel>(p => p.Add(x => x.Kind, SubjectKinds.Change).Add(x => x.Id, running.Id.ToString()));

        Assert.Empty(cut.FindAll("[data-testid=suspects]"));
    }
}
