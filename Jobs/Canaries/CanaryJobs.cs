using Dashboard.Data.Canaries;
using Dashboard.Data.Work;
using Dashboard.Jobs.Reconciliation;
using Microsoft.Extensions.DependencyInjection;

namespace Dashboard.Jobs.Canaries;

public static class CanaryJobsServiceCollectionExtensions
{
    /// <summary>Watcher steps run as the spine's work items (Jobs/Work); this adds what resumes them after a restart.</summary>
    public static IServiceCollection AddCanaryJobs(this IServiceCollection services)
    {
        services.AddSingleton<IReconcileStep, CanaryReconcileStep>();
        return services;
    }
}

/// <summary>After a restart every running deployment is watched again, from the database alone.</summary>
public sealed class CanaryReconcileStep(DeploymentService deployments, IWorkScheduler scheduler, TimeProvider clock) : IReconcileStep
{
    public string Name => "canaries";

    public Task<bool> HasPendingAsync(CancellationToken ct) => deployments.HasActiveAsync(ct);

    public async Task<int> ReconcileAsync(CancellationToken ct)
    {
        var active = await deployments.ActiveAsync(ct);
        var now = clock.GetUtcNow().UtcDateTime;
        foreach (var d in active)
            scheduler.Schedule(new WorkItem(CanaryWriter.StepKind, d.Id, $"Watch deployment {DeploymentStateMachine.ShortId(d.Id)} of {d.JobId}"), d.NextCheckAt ?? now);
        return active.Count;
    }
}
