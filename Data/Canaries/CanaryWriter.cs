using Dashboard.Data.Timeline;
using Dashboard.Data.Work;
using Microsoft.EntityFrameworkCore;

namespace Dashboard.Data.Canaries;

/// <summary>One write of the capability: its context, its new index, its time, and what it touched.</summary>
public sealed class CanaryContext(DashboardDbContext db, long index, DateTime now)
{
    public DashboardDbContext Db { get; } = db;
    public long Index { get; } = index;
    public DateTime Now { get; } = now;
    public HashSet<string> Deployments { get; } = [];
    public HashSet<string> Jobs { get; } = [];
    /// <summary>Deployments whose watcher step must run, and when (enqueued or scheduled after commit).</summary>
    public Dictionary<string, (DateTime At, string Description)> StepsToRun { get; } = [];

    /// <summary>Asks for a watcher step of <paramref name="deploymentId"/> at <paramref name="at"/>; the earliest ask wins.</summary>
    public void RunStep(string deploymentId, DateTime at, string description)
    {
        if (StepsToRun.TryGetValue(deploymentId, out var existing) && existing.At <= at) return;
        StepsToRun[deploymentId] = (at, description);
    }

    public void Touch(CanaryDeployment d)
    {
        d.ModifyIndex = Index;
        d.ModifyTime = Now;
        Deployments.Add(d.Id);
        Jobs.Add(CanaryWrite.JobKey(d.Namespace, d.JobId));
    }

    public void Touch(CanaryAllocation a)
    {
        a.ModifyIndex = Index;
        a.ModifyTime = Now;
        if (a.DeploymentId is not null) Deployments.Add(a.DeploymentId);
        Jobs.Add(CanaryWrite.JobKey(a.Namespace, a.JobId));
    }

    public void Touch(CanaryJob j)
    {
        j.ModifyIndex = Index;
        Jobs.Add(CanaryWrite.JobKey(j.Namespace, j.JobId));
    }
}

/// <summary>
/// Runs a write: raises the capability's index first thing in the transaction (which also
/// serialises the capability's writes on that one row, on SQLite and PostgreSQL alike), runs the
/// body, commits, then wakes blocking queries and live pages and hands the watcher steps the write
/// asked for to the job server. A lost optimistic-concurrency race (the ModifyIndex tokens) is
/// retried from the start.
/// </summary>
public sealed class CanaryWriter(
    IDbContextFactory<DashboardDbContext> dbFactory, CanaryIndexNotifier notifier, ProgressNotifier progress, IWorkScheduler scheduler, TimeProvider clock)
{
    /// <summary>The work kind of a deployment's watcher step (see <see cref="DeploymentRunner"/>).</summary>
    public const string StepKind = "canary-deployment";

    public async Task<T> WriteAsync<T>(Func<CanaryContext, Task<T>> body, CancellationToken ct = default)
    {
        for (var attempt = 1; ; attempt++)
        {
            await using var db = await dbFactory.CreateDbContextAsync(ct);
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            try
            {
                await db.CanaryIndex.Where(c => c.Id == 1).ExecuteUpdateAsync(s => s.SetProperty(c => c.Value, c => c.Value + 1), ct);
                var index = await db.CanaryIndex.Where(c => c.Id == 1).Select(c => c.Value).SingleAsync(ct);
                var context = new CanaryContext(db, index, clock.GetUtcNow().UtcDateTime);
                var result = await body(context);
                await db.SaveChangesAsync(ct);
                await tx.CommitAsync(ct);
                if (context.Deployments.Count > 0 || context.Jobs.Count > 0)
                    notifier.Publish(new CanaryWrite(index, context.Deployments, context.Jobs));
                foreach (var id in context.Deployments) progress.Notify(SubjectKinds.Deployment, id);
                foreach (var key in context.Jobs) progress.Notify(SubjectKinds.Job, key);
                // One pending step per deployment: scheduling again replaces the earlier time.
                foreach (var (id, step) in context.StepsToRun) scheduler.Schedule(new WorkItem(StepKind, id, step.Description), step.At);
                return result;
            }
            catch (DbUpdateConcurrencyException) when (attempt < 3)
            {
                await tx.RollbackAsync(ct);
            }
        }
    }

    public async Task<long> CurrentIndexAsync(CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.CanaryIndex.Where(c => c.Id == 1).Select(c => c.Value).SingleAsync(ct);
    }
}
