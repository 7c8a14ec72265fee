using Dashboard.App.Tests.Infrastructure;
using Dashboard.Data.Timeline;
using Dashboard.Jobs.Reconciliation;
using Dashboard.Jobs.Timeline;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging.Abstractions;

namespace Dashboard.App.Tests.Jobs;

public sealed class JobsTests
{
    [Fact]
    public async Task StartupReconciler_RunsEveryStep_EvenWhenOneFails()
    {
        var ran = new List<string>();
        IReconcileStep[] steps = [new Step("batches", ran, fail: true), new Step("rollouts", ran, fail: false)];

        await new StartupReconciler(steps, NullLogger<StartupReconciler>.Instance).StartAsync(TestContext.Current.CancellationToken);

        Assert.Equal(["batches", "rollouts"], ran);
    }

    [Fact]
    public async Task StartupReconciler_SkipsAStepWithNothingPending_AndRunsOneThatCannotTell()
    {
        var ran = new List<string>();
        IReconcileStep[] steps = [new IdleStep("batches", ran), new Step("rollouts", ran, fail: false)];

        await new StartupReconciler(steps, NullLogger<StartupReconciler>.Instance).StartAsync(TestContext.Current.CancellationToken);

        Assert.Equal(["rollouts"], ran);
    }

    [Fact]
    public async Task TimelineRetention_DeletesOnlyEntriesOlderThanTheLimit_AndIsSafeToRunTwice()
    {
        await using var data = await DataServices.MigratedAsync();
        var ct = TestContext.Current.CancellationToken;
        var now = data.Clock.GetUtcNow().UtcDateTime;
        var timeline = data.Get<TimelineService>();
        foreach (var (title, age) in new[] { ("old", TimelineRetentionJob.KeepFor + TimeSpan.FromHours(1)), ("recent", TimeSpan.FromDays(1)) })
        {
            await timeline.RecordAsync(new TimelineEntry
            {
                Source = TimelineSources.System, SubjectType = "test", SubjectId = title, Status = TimelineStatuses.Info, Title = title, OccurredAt = now - age,
            }, ct);
        }
        var job = new TimelineRetentionJob(data.Get<IDbContextFactory<Dashboard.Data.DashboardDbContext>>(), data.Clock);

        Assert.Equal(1, await job.RunAsync(ct));
        Assert.Equal(0, await job.RunAsync(ct));

        await using var db = data.CreateDb();
        Assert.Equal("recent", (await db.Timeline.SingleAsync(ct)).Title);
    }

    private sealed class Step(string name, List<string> ran, bool fail) : IReconcileStep
    {
        public string Name => name;

        public Task<int> ReconcileAsync(CancellationToken ct)
        {
            ran.Add(name);
            return fail ? throw new InvalidOperationException("boom") : Task.FromResult(1);
        }
    }

    private sealed class IdleStep(string name, List<string> ran) : IReconcileStep
    {
        public string Name => name;

        public Task<bool> HasPendingAsync(CancellationToken ct) => Task.FromResult(false);

        public Task<int> ReconcileAsync(CancellationToken ct)
        {
            ran.Add(name);
            return Task.FromResult(0);
        }
    }
}
