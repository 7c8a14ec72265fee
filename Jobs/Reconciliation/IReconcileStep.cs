namespace Dashboard.Jobs.Reconciliation;

/// <summary>
/// One capability's part of start-up reconciliation: read what is unfinished in the database
/// (scheduled phase starts, unfinished batches, running deployments) and (re-)enqueue the jobs
/// that carry it on. Jobs are idempotent, so enqueuing work that is already queued is harmless.
/// </summary>
public interface IReconcileStep
{
    string Name { get; }
    Task<int> ReconcileAsync(CancellationToken ct);
}
