using Dashboard.Data.Canaries;
using Dashboard.Jobs.Reconciliation;
using Hangfire;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Dashboard.Jobs.Canaries;

public static class CanaryJobsServiceCollectionExtensions
{
    public static IServiceCollection AddCanaryJobs(this IServiceCollection services)
    {
        services.AddTransient<DeploymentStepJob>();
        services.AddSingleton<IReconcileStep, CanaryReconcileStep>();
        services.AddSingleton<CanaryStepDispatcher>();
        services.AddHostedService(sp => sp.GetRequiredService<CanaryStepDispatcher>());
        return services;
    }
}

/// <summary>One watcher step of one deployment. Thin: the service decides whether anything is due, so redelivery is harmless.</summary>
public sealed class DeploymentStepJob(DeploymentService deployments)
{
    [DisableConcurrentExecution("canary-deployment:{0}", 600)]
    [AutomaticRetry(Attempts = 3)]
    [JobDisplayName("{1}")]
    public Task RunAsync(string deploymentId, string description, CancellationToken ct) => deployments.StepAsync(deploymentId, ct);
}

/// <summary>
/// Hands the watcher steps a write asks for to Hangfire: enqueued when due now, scheduled for
/// when the next allocation starts, turns healthy or a deadline passes. So 1,000 running
/// deployments cost 1,000 scheduled jobs and no polling of ours.
/// </summary>
public sealed class CanaryStepDispatcher(CanaryWriter writer, IBackgroundJobClient jobs, TimeProvider clock) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        writer.StepRequested += Dispatch;
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        writer.StepRequested -= Dispatch;
        return Task.CompletedTask;
    }

    public void Dispatch(StepRequest step)
    {
        var delay = step.At - clock.GetUtcNow().UtcDateTime;
        if (delay <= TimeSpan.Zero) jobs.Enqueue<DeploymentStepJob>(job => job.RunAsync(step.DeploymentId, step.Description, CancellationToken.None));
        else jobs.Schedule<DeploymentStepJob>(job => job.RunAsync(step.DeploymentId, step.Description, CancellationToken.None), delay);
    }
}

/// <summary>After a restart every running deployment is watched again, from the database alone.</summary>
public sealed class CanaryReconcileStep(DeploymentService deployments, CanaryStepDispatcher dispatcher, TimeProvider clock) : IReconcileStep
{
    public string Name => "canaries";

    public async Task<int> ReconcileAsync(CancellationToken ct)
    {
        var active = await deployments.ActiveAsync(ct);
        var now = clock.GetUtcNow().UtcDateTime;
        foreach (var d in active)
            dispatcher.Dispatch(new StepRequest(d.Id, d.NextCheckAt ?? now, $"Watch deployment {DeploymentStateMachine.ShortId(d.Id)} of {d.JobId}"));
        return active.Count;
    }
}
