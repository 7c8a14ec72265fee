using Dashboard.Data.Batches;
using Dashboard.Jobs.Reconciliation;
using Hangfire;

namespace Dashboard.Jobs.Batches;

/// <summary>Carries one batch on. Thin: the service decides what is left to do, so redelivery is harmless.</summary>
public sealed class BatchWorkerJob(BatchService batches)
{
    [DisableConcurrentExecution("batch:{0}", 600)]
    [AutomaticRetry(Attempts = 3)]
    public Task RunAsync(string batchId, CancellationToken ct) => batches.ProcessAsync(batchId, ct);
}

/// <summary>Queues batches on Hangfire, through <see cref="IBackgroundJobClient"/> so it can be replaced in tests.</summary>
public sealed class HangfireBatchQueue(IBackgroundJobClient jobs) : IBatchQueue
{
    public void Enqueue(string batchId) => jobs.Enqueue<BatchWorkerJob>(job => job.RunAsync(batchId, CancellationToken.None));
}

/// <summary>After a restart, queued and in-progress batches are handed to the worker again.</summary>
public sealed class BatchReconcileStep(BatchService batches, IBatchQueue queue) : IReconcileStep
{
    public string Name => "batches";

    public async Task<int> ReconcileAsync(CancellationToken ct)
    {
        var unfinished = await batches.UnfinishedAsync(ct);
        foreach (var id in unfinished) queue.Enqueue(id);
        return unfinished.Count;
    }
}
