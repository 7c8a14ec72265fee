using Dashboard.Data.Batches;
using Dashboard.Data.Work;
using Dashboard.Jobs.Reconciliation;

namespace Dashboard.Jobs.Batches;

/// <summary>After a restart, queued and in-progress batches are handed to the runner again.</summary>
public sealed class BatchReconcileStep(BatchService batches, IWorkScheduler scheduler) : IReconcileStep
{
    public string Name => "batches";

    public Task<bool> HasPendingAsync(CancellationToken ct) => batches.HasUnfinishedAsync(ct);

    public async Task<int> ReconcileAsync(CancellationToken ct)
    {
        var unfinished = await batches.UnfinishedAsync(ct);
        foreach (var batch in unfinished) scheduler.Enqueue(BatchRunner.Work(batch));
        return unfinished.Count;
    }
}
