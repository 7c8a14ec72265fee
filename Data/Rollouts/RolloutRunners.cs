using System.Globalization;
using Dashboard.Data.Work;

namespace Dashboard.Data.Rollouts;

/// <summary>The phase-start job: subject <c>{rolloutId}/{phaseIndex}</c>, scheduled at the phase's <c>start_ts</c>.</summary>
public sealed class RolloutPhaseRunner(RolloutService rollouts) : IWorkRunner
{
    public string Kind => RolloutService.PhaseWork;

    public Task RunAsync(string subjectId, CancellationToken ct)
    {
        var slash = subjectId.LastIndexOf('/');
        if (slash <= 0 || !int.TryParse(subjectId[(slash + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var index)) return Task.CompletedTask;
        return rollouts.StartPhaseAsync(subjectId[..slash], index, ct);
    }
}

/// <summary>The watcher: finishes a rollout when nothing is left to do, and looks again later while it runs.</summary>
public sealed class RolloutWatchRunner(RolloutService rollouts) : IWorkRunner
{
    public string Kind => RolloutService.WatchWork;

    public Task RunAsync(string subjectId, CancellationToken ct) => rollouts.WatchAsync(subjectId, ct);
}
