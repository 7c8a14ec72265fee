using Dashboard.Data.Webhooks;
using Dashboard.Data.Work;
using Dashboard.Jobs.Reconciliation;

namespace Dashboard.Jobs.Webhooks;

/// <summary>
/// After a restart, every queue with a pending delivery runs again: the outbox is in the database,
/// the schedules of retries were in memory. The runner waits for each head's next attempt time.
/// </summary>
public sealed class WebhookReconcileStep(WebhookRunner runner, IWorkScheduler scheduler) : IReconcileStep
{
    public string Name => "webhooks";

    public Task<bool> HasPendingAsync(CancellationToken ct) => runner.HasPendingAsync(ct);

    public async Task<int> ReconcileAsync(CancellationToken ct)
    {
        var queues = await runner.PendingQueuesAsync(ct);
        foreach (var queue in queues) scheduler.Enqueue(WebhookRunner.Work(queue));
        return queues.Count;
    }
}
