using Dashboard.Jobs.Work;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Dashboard.Jobs.Reconciliation;

/// <summary>
/// Re-derives pending work from the database when the app starts. Hangfire's embedded storage
/// is in memory, so after a restart the database is the only record of what was under way; on
/// PostgreSQL the <see cref="ReconcileFilter"/> leaves out what other nodes already have in hand.
/// </summary>
public sealed class StartupReconciler(IEnumerable<IReconcileStep> steps, ILogger<StartupReconciler> logger, ReconcileFilter? filter = null) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) =>
        filter is null ? ReconcileAsync(cancellationToken) : filter.RunAsync(() => ReconcileAsync(cancellationToken), cancellationToken);

    private async Task ReconcileAsync(CancellationToken cancellationToken)
    {
        foreach (var step in steps)
        {
            try
            {
                var resumed = await step.HasPendingAsync(cancellationToken) ? await step.ReconcileAsync(cancellationToken) : 0;
                logger.LogInformation("Reconciled {Step}: {Count} item(s) resumed", step.Name, resumed);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // One capability failing to resume must not keep the others (or the UI) down.
                logger.LogError(ex, "Reconciling {Step} failed", step.Name);
            }
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
