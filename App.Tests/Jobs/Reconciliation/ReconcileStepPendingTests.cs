using System.Reflection;
using Dashboard.App.Tests.Infrastructure;
using Dashboard.Data;
using Dashboard.Data.Batches;
using Dashboard.Data.Canaries;
using Dashboard.Data.Fleet;
using Dashboard.Data.Rollouts;
using Dashboard.Data.Webhooks;
using Dashboard.Data.Work;
using Dashboard.Jobs.Batches;
using Dashboard.Jobs.Canaries;
using Dashboard.Jobs.Reconciliation;
using Dashboard.Jobs.Rollouts;
using Dashboard.Jobs.Webhooks;
using Microsoft.EntityFrameworkCore;

namespace Dashboard.App.Tests.Jobs.Reconciliation;

/// <summary>
/// The start-up reconciler skips a step whose <see cref="IReconcileStep.HasPendingAsync"/> is false, so each
/// step's check must say "pending" exactly when its reconcile resumes something. One row of the capability is
/// moved through every state it can be in; in each, the check and the reconcile must agree. SQLite, and
/// PostgreSQL where its server runs here (the check is plain SQL, written once for both).
/// </summary>
public sealed class ReconcileStepPendingTests(PostgresFixture postgres) : IClassFixture<PostgresFixture>
{
    private static readonly CancellationToken Ct = TestContext.Current.CancellationToken;

    [Theory, MemberData(nameof(DataServices.Providers), MemberType = typeof(DataServices))]
    public async Task Batches_HasPending_IsTrueExactlyInTheStatesTheStepResumes(string provider)
    {
        await using var data = await DataServices.MigratedAsync(provider, postgres);
        var step = new BatchReconcileStep(data.Get<BatchService>(), new RecordingWorkScheduler());
        await AssertIdleAsync(step);
        var now = data.Clock.GetUtcNow().UtcDateTime;
        await AddAsync(data, db =>
        {
            db.Projects.Add(new Project { Id = "p", Name = "p", Slug = "p", CreatedAt = now });
            db.Batches.Add(new Batch { Id = "b", ProjectId = "p", PlanSlug = "c1.small.x86", OperatingSystemSlug = "debian_12", CreatedAt = now, UpdatedAt = now });
        });

        var pending = await PendingStatesAsync(step, Constants(typeof(BatchStates)),
            state => UpdateAsync(data, db => db.Batches.ExecuteUpdateAsync(s => s.SetProperty(b => b.State, state), Ct)));

        Assert.Equal([BatchStates.Queued, BatchStates.InProgress], pending);
    }

    [Theory, MemberData(nameof(DataServices.Providers), MemberType = typeof(DataServices))]
    public async Task Rollouts_HasPending_IsTrueExactlyInTheStatesTheStepResumes(string provider)
    {
        await using var data = await DataServices.MigratedAsync(provider, postgres);
        var step = new RolloutReconcileStep(data.Get<RolloutService>());
        await AssertIdleAsync(step);
        var now = data.Clock.GetUtcNow().UtcDateTime;
        await AddAsync(data, db => db.Rollouts.Add(new Rollout { Id = "r", Name = "r", ArtifactName = "app-1", TargetKind = "devices", CreatedAt = now, UpdatedAt = now }));

        var pending = await PendingStatesAsync(step, Constants(typeof(RolloutStates)),
            state => UpdateAsync(data, db => db.Rollouts.ExecuteUpdateAsync(s => s.SetProperty(r => r.State, state), Ct)));

        Assert.Equal([RolloutStates.Scheduled, RolloutStates.InProgress, RolloutStates.Stopped], pending);
    }

    [Theory, MemberData(nameof(DataServices.Providers), MemberType = typeof(DataServices))]
    public async Task Canaries_HasPending_IsTrueExactlyInTheStatusesTheStepResumes(string provider)
    {
        await using var data = await DataServices.MigratedAsync(provider, postgres);
        var step = new CanaryReconcileStep(data.Get<DeploymentService>(), new RecordingWorkScheduler(), data.Clock);
        await AssertIdleAsync(step);
        var now = data.Clock.GetUtcNow().UtcDateTime;
        await AddAsync(data, db =>
        {
            db.CanaryJobs.Add(new CanaryJob { Namespace = "default", JobId = "web", Name = "web", SubmitTime = now });
            db.CanaryDeployments.Add(new CanaryDeployment { Id = "d", Namespace = "default", JobId = "web", CreateTime = now, ModifyTime = now });
        });

        // A deployment's status and its Active column move together (the state machine keeps them so).
        var pending = await PendingStatesAsync(step, DeploymentStatuses.All,
            status => UpdateAsync(data, db => db.CanaryDeployments.ExecuteUpdateAsync(
                s => s.SetProperty(d => d.Status, status).SetProperty(d => d.Active, DeploymentStatuses.IsActive(status)), Ct)));

        Assert.Equal(DeploymentStatuses.All.Where(DeploymentStatuses.IsActive), pending);
    }

    [Theory, MemberData(nameof(DataServices.Providers), MemberType = typeof(DataServices))]
    public async Task Webhooks_HasPending_IsTrueExactlyInTheStatesTheStepResumes(string provider)
    {
        await using var data = await DataServices.MigratedAsync(provider, postgres);
        var step = new WebhookReconcileStep(data.Get<WebhookRunner>(), new RecordingWorkScheduler());
        await AssertIdleAsync(step);
        var now = data.Clock.GetUtcNow().UtcDateTime;
        await AddAsync(data, db => db.WebhookDeliveries.Add(new WebhookDelivery
        {
            Id = Guid.NewGuid(), WebhookId = Guid.NewGuid(), QueueKey = "q", EventType = WebhookEvents.Test, Payload = "{}", CreatedAt = now, NextAttemptAt = now,
        }));

        var pending = await PendingStatesAsync(step, Constants(typeof(WebhookDeliveryStates)),
            state => UpdateAsync(data, db => db.WebhookDeliveries.ExecuteUpdateAsync(s => s.SetProperty(d => d.State, state), Ct)));

        Assert.Equal([WebhookDeliveryStates.Pending], pending);
    }


    /// <summary>On a database with nothing of the capability, the check is false and the step finds nothing.</summary>
    private static async Task AssertIdleAsync(IReconcileStep step)
    {
        Assert.False(await step.HasPendingAsync(Ct));
        Assert.Equal(0, await step.ReconcileAsync(Ct));
    }

    /// <summary>The states in which the check says "pending", each checked against what the reconcile resumes in it.</summary>
    private static async Task<List<string>> PendingStatesAsync(IReconcileStep step, IEnumerable<string> states, Func<string, Task> moveTo)
    {
        var pending = new List<string>();
        foreach (var state in states)
        {
            await moveTo(state);
            var check = await step.HasPendingAsync(Ct);
            var resumed = await step.ReconcileAsync(Ct);
            Assert.True(check == resumed > 0, $"{step.Name}, state {state}: the check says {check}, the reconcile resumed {resumed}");
            if (check) pending.Add(state);
        }
        return pending;
    }

    // Every state constant, so that a state added later is checked too.
    private static List<string> Constants(Type states) =>
        [.. states.GetFields(BindingFlags.Public | BindingFlags.Static).Where(f => f.IsLiteral && f.FieldType == typeof(string)).Select(f => (string)f.GetRawConstantValue()!)];

    private static async Task AddAsync(DataServices data, Action<DashboardDbContext> add)
    {
        await using var db = data.CreateDb();
        add(db);
        await db.SaveChangesAsync(Ct);
    }

    private static async Task UpdateAsync(DataServices data, Func<DashboardDbContext, Task<int>> update)
    {
        await using var db = data.CreateDb();
        Assert.Equal(1, await update(db));
    }
}
