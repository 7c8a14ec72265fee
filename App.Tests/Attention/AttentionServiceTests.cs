using Dashboard.App.Tests.Infrastructure;
using Dashboard.Data;
using Dashboard.Data.Attention;
using Dashboard.Data.Batches;
using Dashboard.Data.Canaries;
using Dashboard.Data.Changes;
using Dashboard.Data.Rollouts;
using Dashboard.Data.Timeline;
using Microsoft.EntityFrameworkCore;

namespace Dashboard.App.Tests.Attention;

/// <summary>The attention inbox on a real SQLite file with a fake clock: each rule, the thresholds from settings, acknowledgement.</summary>
public sealed class AttentionServiceTests : IAsyncLifetime
{
    private static readonly CancellationToken Ct = TestContext.Current.CancellationToken;
    private DataServices _services = default!;

    private AttentionService Attention => _services.Get<AttentionService>();
    private IDbContextFactory<DashboardDbContext> Factory => _services.Get<IDbContextFactory<DashboardDbContext>>();
    private DateTime Now => _services.Clock.GetUtcNow().UtcDateTime;

    public async ValueTask InitializeAsync() => _services = await DataServices.MigratedAsync(settings: new Dictionary<string, string?>
    {
        ["Dashboard:Attention:StalledRolloutMinutes"] = "10",
        ["Dashboard:Attention:LongChangeMinutes"] = "30",
        ["Dashboard:Attention:NearDeadlineMinutes"] = "5",
    });

    public ValueTask DisposeAsync() => _services.DisposeAsync();

    [Fact]
    public async Task List_ShowsAFailedRollout_UntilSomeoneAcknowledgesIt()
    {
        var (rollout, ids) = await AttentionTestData.RolloutAsync(_services.Provider, Now, 1);
        await AttentionTestData.FailAsync(_services.Provider, rollout.Id, ids);
        _services.Clock.Advance(TimeSpan.FromMinutes(3));

        var item = Assert.Single((await Attention.ListAsync(Ct)).Items);
        Assert.Equal((AttentionKinds.RolloutFailed, AttentionSeverities.Critical, SubjectKinds.Rollout, rollout.Id), (item.Kind, item.Severity, item.SubjectKind, item.SubjectId));
        Assert.Equal($"/rollouts/{rollout.Id}", item.Link);
        Assert.Equal(Now.AddMinutes(-3), item.Since);
        Assert.True(item.Acknowledgeable);

        await Attention.AcknowledgeAsync(SubjectKinds.Rollout, rollout.Id, "alice", Ct);
        await Attention.AcknowledgeAsync(SubjectKinds.Rollout, rollout.Id, "bob", Ct);

        Assert.Empty((await Attention.ListAsync(Ct)).Items);
        await using var db = await Factory.CreateDbContextAsync(Ct);
        var ack = Assert.Single(await db.AttentionAcknowledgements.ToListAsync(Ct));
        Assert.Equal(("alice", Now), (ack.AcknowledgedBy, ack.AcknowledgedAt));
    }

    [Fact]
    public async Task Acknowledge_RefusesWhatIsNotAFailure_AndWhatDoesNotExist_WritingNothing()
    {
        var running = await AttentionTestData.BatchAsync(Factory, Now, BatchStates.InProgress, "a-1");

        await Assert.ThrowsAsync<ConflictException>(() => Attention.AcknowledgeAsync(SubjectKinds.Batch, running.Id, "alice", Ct));
        await Assert.ThrowsAsync<NotFoundException>(() => Attention.AcknowledgeAsync(SubjectKinds.Batch, "no-such-batch", "alice", Ct));
        await Assert.ThrowsAsync<NotFoundException>(() => Attention.AcknowledgeAsync("fleet", running.Id, "alice", Ct));
        await using var db = await Factory.CreateDbContextAsync(Ct);
        Assert.Equal(0, await db.AttentionAcknowledgements.CountAsync(Ct));
    }

    [Fact]
    public async Task List_ShowsFailedBatchesOfTheLastWeekOnly()
    {
        var old = await AttentionTestData.BatchAsync(Factory, Now.AddDays(-8), BatchStates.Failed, "old-1");
        var recent = await AttentionTestData.BatchAsync(Factory, Now.AddHours(-1), BatchStates.Failed, "new-1");
        await AttentionTestData.BatchAsync(Factory, Now, BatchStates.Completed, "ok-1");

        var items = (await Attention.ListAsync(Ct)).Items;

        var item = Assert.Single(items);
        Assert.Equal((AttentionKinds.BatchFailed, recent.Id, $"/batches/{recent.Id}/detail"), (item.Kind, item.SubjectId, item.Link));
        Assert.Equal("no capacity left in any facility", item.Detail);
        Assert.DoesNotContain(items, i => i.SubjectId == old.Id);
    }

    [Fact]
    public async Task List_ShowsTheRolloutStoppedByItsGuard_AsCritical_UntilResumed()
    {
        var (rollout, ids) = await AttentionTestData.RolloutAsync(_services.Provider, Now, 10, guardPercent: 10);
        var devices = _services.Get<DeviceDeploymentService>();
        for (var i = 0; i < 2; i++)
        {
            await devices.NextAsync(ids[i], AttentionTestData.Provides(), Ct);
            await devices.ReportStatusAsync(ids[i], rollout.Id, "failure", null, Ct);
        }

        var item = Assert.Single((await Attention.ListAsync(Ct)).Items);
        Assert.Equal((AttentionKinds.RolloutStopped, AttentionSeverities.Critical), (item.Kind, item.Severity));
        Assert.Contains("2 of 10 devices", item.Detail);
        Assert.False(item.Acknowledgeable);

        await _services.Get<RolloutService>().ResumeAsync(rollout.Id, "alice", Ct);
        Assert.DoesNotContain((await Attention.ListAsync(Ct)).Items, i => i.Kind == AttentionKinds.RolloutStopped);
    }

    [Fact]
    public async Task List_ShowsARolloutAsStalled_OnlyAfterTheConfiguredQuietTime_AndDropsItWhenADeviceMoves()
    {
        var (rollout, ids) = await AttentionTestData.RolloutAsync(_services.Provider, Now, 2);
        var devices = _services.Get<DeviceDeploymentService>();
        await devices.NextAsync(ids[0], AttentionTestData.Provides(), Ct);

        _services.Clock.Advance(TimeSpan.FromMinutes(9));
        Assert.Empty((await Attention.ListAsync(Ct)).Items);

        _services.Clock.Advance(TimeSpan.FromMinutes(2));
        var item = Assert.Single((await Attention.ListAsync(Ct)).Items);
        Assert.Equal((AttentionKinds.RolloutStalled, AttentionSeverities.Warning, rollout.Id), (item.Kind, item.Severity, item.SubjectId));
        Assert.Equal(Now.AddMinutes(-11), item.Since);
        Assert.StartsWith("2 devices", item.Detail);

        await devices.ReportStatusAsync(ids[0], rollout.Id, "success", null, Ct);
        Assert.Empty((await Attention.ListAsync(Ct)).Items);
    }

    [Fact]
    public async Task List_ShowsDeploymentsWaitingForAPerson_AndDeadlinesCloseOrPast()
    {
        var paused = await AttentionTestData.DeploymentAsync(Factory, Now.AddMinutes(-20), d => { d.Status = DeploymentStatuses.Paused; d.WaitingSince = Now.AddMinutes(-15); });
        var promotion = await AttentionTestData.DeploymentAsync(Factory, Now.AddMinutes(-10), d =>
        {
            d.StatusDescription = DeploymentDescriptions.RunningNeedsPromotion;
            d.WaitingSince = Now.AddMinutes(-4);
        });
        var near = await AttentionTestData.DeploymentAsync(Factory, Now.AddMinutes(-6), d => d.TaskGroups["web"].RequireProgressBy = Now.AddMinutes(4));
        var past = await AttentionTestData.DeploymentAsync(Factory, Now.AddMinutes(-12), d => d.TaskGroups["web"].RequireProgressBy = Now.AddSeconds(-5));
        var far = await AttentionTestData.DeploymentAsync(Factory, Now.AddMinutes(-1), d => d.TaskGroups["web"].RequireProgressBy = Now.AddMinutes(9));
        var failed = await AttentionTestData.DeploymentAsync(Factory, Now.AddMinutes(-30), d =>
        {
            d.Status = DeploymentStatuses.Failed;
            d.Active = false;
            d.StatusDescription = DeploymentDescriptions.FailedAllocations;
        });

        var items = (await Attention.ListAsync(Ct)).Items.ToDictionary(i => i.SubjectId);

        Assert.Equal((AttentionKinds.DeploymentPaused, AttentionSeverities.Info, Now.AddMinutes(-15)), (items[paused.Id].Kind, items[paused.Id].Severity, items[paused.Id].Since));
        Assert.Equal((AttentionKinds.CanaryPromotion, Now.AddMinutes(-4)), (items[promotion.Id].Kind, items[promotion.Id].Since));
        Assert.Equal((AttentionKinds.DeploymentDeadline, AttentionSeverities.Warning), (items[near.Id].Kind, items[near.Id].Severity));
        Assert.Equal((AttentionKinds.DeploymentDeadline, AttentionSeverities.Critical), (items[past.Id].Kind, items[past.Id].Severity));
        Assert.Contains("past", items[past.Id].Title);
        Assert.Equal((AttentionKinds.DeploymentFailed, DeploymentDescriptions.FailedAllocations), (items[failed.Id].Kind, items[failed.Id].Detail));
        Assert.False(items.ContainsKey(far.Id));
        // Most urgent first, and within a severity the longest waiting first.
        Assert.Equal([failed.Id, past.Id, near.Id, paused.Id, promotion.Id], (await Attention.ListAsync(Ct)).Items.Select(i => i.SubjectId));
    }

    [Fact]
    public async Task List_ShowsChangesFromOutsideToolsRunningTooLong_NotTheDashboardsOwn()
    {
        var changes = _services.Get<ChangeService>();
        var component = $"billing-{Guid.NewGuid():N}"[..16];
        var tool = await changes.StartAsync(new DeploymentStart(component, "1.0", ["b-1"], null, null, "jenkins", "jenkins"), Ct);
        await changes.StartAsync(new DeploymentStart(component, "r-1", ["b-2"], null, null, "test", TimelineSources.Rollouts), Ct);

        _services.Clock.Advance(TimeSpan.FromMinutes(29));
        Assert.Empty((await Attention.ListAsync(Ct)).Items);

        _services.Clock.Advance(TimeSpan.FromMinutes(2));
        var item = Assert.Single((await Attention.ListAsync(Ct)).Items);
        Assert.Equal((AttentionKinds.ChangeLong, SubjectKinds.Change, tool.Change.Id.ToString(), $"/changes/{tool.Change.Id}"),
            (item.Kind, item.SubjectKind, item.SubjectId, item.Link));

        await changes.EndAsync(new DeploymentEnd(component, "1.0", ["b-1"], ChangeStatuses.Success, null, null, "jenkins"), Ct);
        Assert.Empty((await Attention.ListAsync(Ct)).Items);
    }
}
