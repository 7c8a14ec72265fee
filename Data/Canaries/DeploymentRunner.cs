using Dashboard.Data.Work;

namespace Dashboard.Data.Canaries;

/// <summary>The job-facing step of the deployment watcher: one pass over one deployment (reentrant).</summary>
public sealed class DeploymentRunner(DeploymentService deployments) : IWorkRunner
{
    public string Kind => CanaryWriter.StepKind;

    public Task RunAsync(string subjectId, CancellationToken ct) => deployments.StepAsync(subjectId, ct);
}
