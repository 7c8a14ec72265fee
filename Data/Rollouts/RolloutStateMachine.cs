using Dashboard.Data.Changes;
using Dashboard.Data.Timeline;
using Microsoft.EntityFrameworkCore;

namespace Dashboard.Data.Rollouts;

/// <summary>
/// The only place a rollout changes state: scheduled -> inprogress -> (stopped <-> inprogress) ->
/// succeeded | failed, and aborted from any unfinished state. Each move bumps the row version,
/// records a timeline entry, and records the change event (start when it leaves scheduled, end when
/// it finishes; component = artifact name, version = rollout id, hosts = its devices), all in the
/// caller's context, so they commit or roll back with the move.
/// </summary>
public static class RolloutStateMachine
{
    private static readonly Dictionary<string, string[]> Allowed = new()
    {
        [RolloutStates.Scheduled] = [RolloutStates.InProgress, RolloutStates.Aborted, RolloutStates.Succeeded, RolloutStates.Failed],
        [RolloutStates.InProgress] = [RolloutStates.Stopped, RolloutStates.Succeeded, RolloutStates.Failed, RolloutStates.Aborted],
        [RolloutStates.Stopped] = [RolloutStates.InProgress, RolloutStates.Succeeded, RolloutStates.Failed, RolloutStates.Aborted],
        [RolloutStates.Succeeded] = [],
        [RolloutStates.Failed] = [],
        [RolloutStates.Aborted] = [],
    };

    public static bool CanMove(string from, string to) => Allowed.TryGetValue(from, out var next) && next.Contains(to);

    public static void Created(DashboardDbContext db, Rollout rollout, string title) =>
        Note(db, rollout, TimelineStatuses.Pending, title, rollout.CreatedAt);

    public static async Task MoveAsync(DashboardDbContext db, ChangeService changes, Rollout rollout, string to, DateTime now, string title,
        string? details = null, string? actor = null, CancellationToken ct = default)
    {
        if (!CanMove(rollout.State, to)) throw new ConflictException($"Rollout {rollout.Id} is {rollout.State}; it cannot become {to}.");
        var from = rollout.State;
        rollout.State = to;
        rollout.UpdatedAt = now;
        rollout.Version++;
        if (RolloutStates.IsFinished(to)) rollout.FinishedAt = now;
        Note(db, rollout, StatusOf(to), title, now, details, actor);

        if (from == RolloutStates.Scheduled || RolloutStates.IsFinished(to))
        {
            var hosts = await HostsAsync(db, rollout.Id, ct);
            if (from == RolloutStates.Scheduled)
            {
                await changes.RecordStartAsync(db, new DeploymentStart(rollout.ArtifactName, rollout.Id, hosts, now,
                    $"Rollout {rollout.Name}", rollout.Actor, TimelineSources.Rollouts), ct);
            }
            if (RolloutStates.IsFinished(to))
            {
                var outcome = to == RolloutStates.Succeeded ? ChangeStatuses.Success : ChangeStatuses.Failure;
                await changes.RecordEndAsync(db, new DeploymentEnd(rollout.ArtifactName, rollout.Id, hosts, outcome,
                    outcome == ChangeStatuses.Success ? null : title, now, TimelineSources.Rollouts), ct);
            }
        }
    }

    public static string StatusOf(string state) => state switch
    {
        RolloutStates.Scheduled => TimelineStatuses.Pending,
        RolloutStates.InProgress => TimelineStatuses.InProgress,
        RolloutStates.Stopped => TimelineStatuses.Paused,
        RolloutStates.Succeeded => TimelineStatuses.Succeeded,
        RolloutStates.Aborted => TimelineStatuses.Canceled,
        _ => TimelineStatuses.Failed,
    };

    public static void Note(DashboardDbContext db, Rollout rollout, string status, string title, DateTime now, string? details = null, string? actor = null) =>
        db.Timeline.Add(new TimelineEntry
        {
            Source = TimelineSources.Rollouts,
            SubjectType = "rollout",
            SubjectId = rollout.Id,
            Status = status,
            Title = title,
            Component = rollout.ArtifactName,
            Version = rollout.Id,
            Actor = actor ?? rollout.Actor,
            OccurredAt = now,
            Details = details,
        });

    private static async Task<List<string>> HostsAsync(DashboardDbContext db, string rolloutId, CancellationToken ct) =>
        await (from dd in db.DeviceDeployments
               join d in db.Devices on dd.DeviceId equals d.Id
               where dd.RolloutId == rolloutId
               select d.Hostname).ToListAsync(ct);
}
