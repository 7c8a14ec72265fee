using Dashboard.Data.Timeline;

namespace Dashboard.Data.Batches;

/// <summary>
/// The only place a batch changes state: queued -> in_progress -> completed | failed (and
/// queued -> failed when it cannot be placed). Each change bumps the row version and records a
/// timeline entry in the same context, so it commits or rolls back with the change itself.
/// <see cref="BatchService"/> adds the matching change event beside each move.
/// </summary>
public static class BatchStateMachine
{
    private static readonly Dictionary<string, string[]> Allowed = new()
    {
        [BatchStates.Queued] = [BatchStates.InProgress, BatchStates.Failed],
        [BatchStates.InProgress] = [BatchStates.Completed, BatchStates.Failed],
        [BatchStates.Completed] = [],
        [BatchStates.Failed] = [],
    };

    public static bool CanMove(string from, string to) => Allowed.TryGetValue(from, out var next) && next.Contains(to);

    /// <summary>A new batch, queued.</summary>
    public static void Created(DashboardDbContext db, Batch batch, DateTime now)
    {
        db.Batches.Add(batch);
        Record(db, batch, TimelineStatuses.Pending, $"Batch of {batch.Quantity} {batch.PlanSlug} queued", now, batch.Description);
    }

    public static void Move(DashboardDbContext db, Batch batch, string to, DateTime now, string title, string? details = null)
    {
        if (!CanMove(batch.State, to)) throw new ConflictException($"Batch {batch.Id} is {batch.State}; it cannot become {to}.");
        batch.State = to;
        batch.UpdatedAt = now;
        batch.Version++;
        Record(db, batch, StatusOf(to), title, now, details);
    }

    public static void Deleted(DashboardDbContext db, Batch batch, DateTime now, string actor, bool devicesRemoved)
    {
        db.Batches.Remove(batch);
        Record(db, batch, TimelineStatuses.Canceled,
            $"Batch of {batch.Quantity} {batch.PlanSlug} deleted{(devicesRemoved ? " with its devices" : "")}", now, null, actor);
    }

    public static string StatusOf(string state) => state switch
    {
        BatchStates.Queued => TimelineStatuses.Pending,
        BatchStates.InProgress => TimelineStatuses.InProgress,
        BatchStates.Completed => TimelineStatuses.Succeeded,
        _ => TimelineStatuses.Failed,
    };

    private static void Record(DashboardDbContext db, Batch batch, string status, string title, DateTime now, string? details, string? actor = null)
    {
        db.Timeline.Add(new TimelineEntry
        {
            Source = TimelineSources.Batches,
            SubjectType = "batch",
            SubjectId = batch.Id,
            Status = status,
            Title = title,
            Component = batch.PlanSlug,
            Hosts = [.. batch.Hostnames.Take(50)],
            Actor = actor ?? batch.Actor,
            OccurredAt = now,
            Details = details,
        });
    }
}
