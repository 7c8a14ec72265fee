using Dashboard.Data.Work;
using Hangfire;

namespace Dashboard.Jobs.Work;

/// <summary>
/// The one Hangfire job: hands a <see cref="WorkItem"/> to the <see cref="IWorkRunner"/> of its kind.
/// The dashboard shows the item's description as the job's name. One subject is worked on by one
/// job at a time; delivery is at least once, and runners are reentrant.
/// </summary>
public sealed class WorkJob(IEnumerable<IWorkRunner> runners)
{
    [JobDisplayName("{2}")]
    [DisableConcurrentExecution("work:{0}:{1}", 600)]
    [AutomaticRetry(Attempts = 3)]
    public Task RunAsync(string kind, string subjectId, string description, CancellationToken ct)
    {
        var runner = runners.FirstOrDefault(r => r.Kind == kind)
            ?? throw new InvalidOperationException($"No runner for work of kind '{kind}' ({description}).");
        return runner.RunAsync(subjectId, ct);
    }
}
