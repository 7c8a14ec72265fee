// INTERIM: the spine's Data/Work types, as announced; deleted when the spine is merged from main.
namespace Dashboard.Data.Work;

public sealed record WorkItem(string Kind, string SubjectId, string Description);

public interface IWorkScheduler
{
    void Enqueue(WorkItem item);
    void Schedule(WorkItem item, DateTime runAtUtc);
}

public interface IWorkRunner
{
    string Kind { get; }
    Task RunAsync(string subjectId, CancellationToken ct);
}

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
