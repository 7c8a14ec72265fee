namespace Dashboard.Data.Work;

/// <summary>
/// One unit of background work: which runner (<see cref="Kind"/>), for which aggregate
/// (<see cref="SubjectId"/>), and what an operator reads on the job dashboard
/// (<see cref="Description"/>, e.g. "Provision batch 1a2b3c: 60 devices").
/// </summary>
public sealed record WorkItem(string Kind, string SubjectId, string Description);

/// <summary>
/// Hands work to the job server: now, or at a UTC time read from the app's <see cref="TimeProvider"/>.
/// Hangfire in the app (Jobs/Work); <see cref="RecordingWorkScheduler"/> in service tests.
/// Delivery is at least once: a runner re-reads the database and does nothing when nothing is due.
/// </summary>
public interface IWorkScheduler
{
    void Enqueue(WorkItem item);

    /// <summary>
    /// Runs <paramref name="item"/> once the app clock reaches <paramref name="runAtUtc"/> (at once when
    /// it already has). Scheduling the same kind and subject again replaces the earlier time. Schedules
    /// do not survive a restart: the capability's reconcile step schedules again from the database.
    /// </summary>
    void Schedule(WorkItem item, DateTime runAtUtc);
}

/// <summary>
/// A capability's job-facing steps for one <see cref="Kind"/> of work. The job server calls
/// <see cref="RunAsync"/> with the subject id only; the runner reads everything else from the
/// database, so running it twice, late or after a crash is harmless.
/// </summary>
public interface IWorkRunner
{
    string Kind { get; }

    Task RunAsync(string subjectId, CancellationToken ct);
}

/// <summary>Remembers what was enqueued and scheduled and runs nothing: the default until the job server registers its scheduler.</summary>
public sealed class RecordingWorkScheduler : IWorkScheduler
{
    private readonly Lock _gate = new();
    private readonly List<WorkItem> _enqueued = [];
    private readonly List<(WorkItem Item, DateTime RunAtUtc)> _scheduled = [];

    public IReadOnlyList<WorkItem> Enqueued { get { lock (_gate) return [.. _enqueued]; } }

    public IReadOnlyList<(WorkItem Item, DateTime RunAtUtc)> Scheduled { get { lock (_gate) return [.. _scheduled]; } }

    public void Enqueue(WorkItem item) { lock (_gate) _enqueued.Add(item); }

    public void Schedule(WorkItem item, DateTime runAtUtc) { lock (_gate) _scheduled.Add((item, runAtUtc)); }
}
