using Dashboard.Data.Changes;
using Dashboard.Data.Timeline;
using Dashboard.Data.Work;
using Microsoft.EntityFrameworkCore;

namespace Dashboard.Data.Rollouts;

/// <summary>
/// The only place a rollout changes state: scheduled -> inprogress -> (stopped <-> inprogress) ->
/// succeeded | failed, and aborted from any unfinished state, applied by the <see cref="StateRecorder"/>,
/// which adds the timeline entry and the change event (component = artifact name, version = rollout
/// id, hosts = its devices) in the caller's context, so they commit or roll back with the move.
/// </summary>
public static class RolloutStateMachine
{
    public static readonly StateMachine Machine = new StateMachine(SubjectKinds.Rollout)
        .Waiting(RolloutStates.Scheduled, TimelineStatuses.Pending, RolloutStates.InProgress, RolloutStates.Aborted, RolloutStates.Succeeded, RolloutStates.Failed)
        .Running(RolloutStates.InProgress, TimelineStatuses.InProgress, RolloutStates.Stopped, RolloutStates.Succeeded, RolloutStates.Failed, RolloutStates.Aborted)
        .Running(RolloutStates.Stopped, TimelineStatuses.Paused, RolloutStates.InProgress, RolloutStates.Succeeded, RolloutStates.Failed, RolloutStates.Aborted)
        .Ended(RolloutStates.Succeeded, TimelineStatuses.Succeeded, ChangeStatuses.Success)
        .Ended(RolloutStates.Failed, TimelineStatuses.Failed, ChangeStatuses.Failure)
        .Ended(RolloutStates.Aborted, TimelineStatuses.Canceled, ChangeStatuses.Failure);

    public static bool CanMove(string from, string to) => Machine.CanMove(from, to);

    public static RecordedSubject Subject(Rollout rollout, IReadOnlyList<string>? hosts = null, string? actor = null) =>
        new(SubjectKinds.Rollout, rollout.Id, TimelineSources.Rollouts, rollout.ArtifactName, hosts, actor ?? rollout.Actor,
            new ChangeSubject(rollout.ArtifactName, rollout.Id, hosts ?? [], $"Rollout {rollout.Name}", rollout.Actor));

    public static void Created(DashboardDbContext db, StateRecorder recorder, Rollout rollout, string title)
    {
        db.Rollouts.Add(rollout);
        recorder.Created(db, rollout, Machine, Subject(rollout), title);
    }

    public static async Task MoveAsync(DashboardDbContext db, StateRecorder recorder, Rollout rollout, string to, string title,
        string? details = null, string? actor = null, CancellationToken ct = default)
    {
        // The change event names every device; they are read only for the moves that record one.
        var hosts = Machine.IsWaiting(rollout.State) || Machine.IsFinished(to) ? await HostsAsync(db, rollout.Id, ct) : null;
        await recorder.MoveAsync(db, rollout, Machine, Subject(rollout, hosts, actor), to, title, details, ct);
        if (Machine.IsFinished(to)) rollout.FinishedAt = rollout.UpdatedAt;
    }

    public static void Note(DashboardDbContext db, StateRecorder recorder, Rollout rollout, string status, string title, string? details = null, string? actor = null) =>
        recorder.Note(db, Subject(rollout), status, title, details, actor);

    private static async Task<List<string>> HostsAsync(DashboardDbContext db, string rolloutId, CancellationToken ct) =>
        await (from dd in db.DeviceDeployments
               join d in db.Devices on dd.DeviceId equals d.Id
               where dd.RolloutId == rolloutId
               orderby d.Hostname
               select d.Hostname).ToListAsync(ct);
}
