using Dashboard.App.Tests.Batches;
using Dashboard.Data;
using Dashboard.Data.Batches;
using Dashboard.Data.Changes;
using Dashboard.Data.Timeline;
using Dashboard.Data.Work;
using Microsoft.EntityFrameworkCore;

namespace Dashboard.App.Tests.Data.Work;

public sealed class StateRecorderTests
{
    private static Batch NewBatch(string id) => new()
    {
        Id = id, ProjectId = BatchServiceTests.ProjectId, Quantity = 2, Hostnames = ["a1", "a2"], PlanSlug = "c1.small.x86",
        OperatingSystemSlug = "ubuntu_16_04", Actor = "alice",
    };

    [Fact]
    public async Task Move_AppliesTheMoveWithTimelineEntryAndChangeEvent_OnlyWhenTheCallerCommits()
    {
        await using var services = await BatchServiceTests.SeededAsync();
        var recorder = services.Get<StateRecorder>();
        var ct = TestContext.Current.CancellationToken;
        await using (var db = services.CreateDb())
        {
            BatchStateMachine.Created(db, recorder, NewBatch("b-rolled-back"));
            BatchStateMachine.Created(db, recorder, NewBatch("b-committed"));
            await db.SaveChangesAsync(ct);
        }

        foreach (var (id, commit) in new[] { ("b-rolled-back", false), ("b-committed", true) })
        {
            await using var db = services.CreateDb();
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            var batch = await db.Batches.SingleAsync(b => b.Id == id, ct);
            await BatchStateMachine.MoveAsync(db, recorder, batch, BatchStates.InProgress, "started", null, ct);
            await db.SaveChangesAsync(ct);
            if (commit) await tx.CommitAsync(ct); else await tx.RollbackAsync(ct);
        }

        await using var check = services.CreateDb();
        var committed = await check.Batches.SingleAsync(b => b.Id == "b-committed", ct);
        Assert.Equal((BatchStates.InProgress, 1L), (committed.State, committed.Version));
        Assert.Equal(BatchStates.Queued, (await check.Batches.SingleAsync(b => b.Id == "b-rolled-back", ct)).State);
        var entries = await check.Timeline.Where(e => e.SubjectType == SubjectKinds.Batch).OrderBy(e => e.Id).ToListAsync(ct);
        Assert.Equal([("b-rolled-back", TimelineStatuses.Pending), ("b-committed", TimelineStatuses.Pending), ("b-committed", TimelineStatuses.InProgress)],
            entries.Select(e => (e.SubjectId, e.Status)));
        var change = Assert.Single(await check.Changes.ToListAsync(ct));
        Assert.Equal(("provisioning", "b-committed", ChangeStatuses.InProgress), (change.Component, change.Version, change.Status));
    }

    [Fact]
    public async Task Move_StartsAndEndsTheChange_WhenAnAggregateEndsStraightFromWaiting()
    {
        await using var services = await BatchServiceTests.SeededAsync();
        var recorder = services.Get<StateRecorder>();
        var ct = TestContext.Current.CancellationToken;
        await using var db = services.CreateDb();
        var batch = NewBatch("b-failed");
        BatchStateMachine.Created(db, recorder, batch);

        await BatchStateMachine.MoveAsync(db, recorder, batch, BatchStates.Failed, "no room", "Cannot place 2 devices", ct);
        await db.SaveChangesAsync(ct);

        var change = Assert.Single(await db.Changes.AsNoTracking().ToListAsync(ct));
        Assert.Equal((ChangeStatuses.Failure, "Cannot place 2 devices"), (change.Status, change.ErrorMessage));
    }

    [Fact]
    public async Task Move_ThrowsConflict_AndChangesNothing_ForAnIllegalMove()
    {
        await using var services = await BatchServiceTests.SeededAsync();
        var recorder = services.Get<StateRecorder>();
        await using var db = services.CreateDb();
        var batch = NewBatch("b-illegal");
        BatchStateMachine.Created(db, recorder, batch);
        var entries = db.ChangeTracker.Entries<TimelineEntry>().Count();

        var error = await Assert.ThrowsAsync<ConflictException>(() =>
            BatchStateMachine.MoveAsync(db, recorder, batch, BatchStates.Completed, "done", null, TestContext.Current.CancellationToken));

        Assert.Equal("Batch b-illegal is queued; it cannot become completed.", error.Message);
        Assert.Equal((BatchStates.Queued, 0L), (batch.State, batch.Version));
        Assert.Equal(entries, db.ChangeTracker.Entries<TimelineEntry>().Count());
    }

    [Fact]
    public void ProgressNotifier_DeliversByKindAndId()
    {
        var notifier = new ProgressNotifier();
        var all = new List<string>();
        var one = new List<string>();
        using var allBatches = notifier.Subscribe(SubjectKinds.Batch, null, s => all.Add(s.SubjectId));
        var oneBatch = notifier.Subscribe(SubjectKinds.Batch, "b1", s => one.Add(s.SubjectId));

        notifier.Notify(SubjectKinds.Batch, "b1");
        notifier.Notify(SubjectKinds.Batch, "b2");
        notifier.Notify(SubjectKinds.Rollout, "b1");
        oneBatch.Dispose();
        notifier.Notify(SubjectKinds.Batch, "b1");

        Assert.Equal(["b1", "b2", "b1"], all);
        Assert.Equal(["b1"], one);
    }
}
