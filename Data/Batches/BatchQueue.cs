namespace Dashboard.Data.Batches;

/// <summary>Hands a batch to the worker. Hangfire in the app (Jobs/Batches); a plain list in service tests.</summary>
public interface IBatchQueue
{
    void Enqueue(string batchId);
}

/// <summary>Remembers what was enqueued and runs nothing; the default until the job server registers its queue.</summary>
public sealed class ManualBatchQueue : IBatchQueue
{
    private readonly List<string> _enqueued = [];

    public IReadOnlyList<string> Enqueued { get { lock (_enqueued) return [.. _enqueued]; } }

    public void Enqueue(string batchId) { lock (_enqueued) _enqueued.Add(batchId); }
}

/// <summary>Raised after devices of a batch changed state (progress between the batch's own state changes).</summary>
public sealed class BatchProgressNotifier
{
    public event Action<string>? Changed;

    public void Notify(string batchId) => Changed?.Invoke(batchId);
}
