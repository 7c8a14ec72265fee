namespace Dashboard.Jobs.Reconciliation;

/// <summary>
/// One capability's part of start-up reconciliation: read what is unfinished in the database
/// (scheduled phase starts, unfinished batches, running deployments) and (re-)enqueue the jobs
/// that carry it on. Jobs are idempotent, so enqueuing work that is already queued is harmless.
/// </summary>
public interface IReconcileStep
{
    string Name { get; }

    /// <summary>
    /// Whether <see cref="ReconcileAsync"/> would find anything, asked more cheaply than it. When false the
    /// reconciler skips the step, and with it the memory its query would keep for the life of the process
    /// (docs/BENCHMARKS.md, "Idle memory"). Must be true whenever the step has something to resume; a step
    /// that cannot tell cheaply keeps this default and always runs.
    /// </summary>
    Task<bool> HasPendingAsync(CancellationToken ct) => Task.FromResult(true);

    Task<int> ReconcileAsync(CancellationToken ct);
}
