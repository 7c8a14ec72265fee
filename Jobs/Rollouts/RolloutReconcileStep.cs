using Dashboard.Data.Rollouts;
using Dashboard.Jobs.Reconciliation;

namespace Dashboard.Jobs.Rollouts;

/// <summary>After a restart, every unfinished rollout's phase starts and watcher are scheduled again from the database.</summary>
public sealed class RolloutReconcileStep(RolloutService rollouts) : IReconcileStep
{
    public string Name => "rollouts";

    public Task<bool> HasPendingAsync(CancellationToken ct) => rollouts.HasUnfinishedAsync(ct);

    public Task<int> ReconcileAsync(CancellationToken ct) => rollouts.ReconcileAsync(ct);
}
