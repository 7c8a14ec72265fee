using System.Globalization;
using Dashboard.Data.Changes;
using Dashboard.Data.Timeline;
using Dashboard.Data.Work;

namespace Dashboard.Data.Canaries;

/// <summary>
/// The only place a deployment changes status, through the spine's <see cref="StateRecorder"/>:
/// each move adds a timeline entry (source <c>deployments</c>) and, when the deployment starts and
/// when it ends, a change event (component the job, version the job version, hosts the nodes), all
/// in the write's own transaction.
/// </summary>
public sealed class DeploymentStateMachine(StateRecorder recorder)
{
    public static readonly StateMachine Machine = new StateMachine(SubjectKinds.Deployment)
        .Waiting(DeploymentStatuses.Pending, TimelineStatuses.Pending, DeploymentStatuses.Running, DeploymentStatuses.Failed, DeploymentStatuses.Cancelled)
        .Waiting(DeploymentStatuses.Initializing, TimelineStatuses.Pending, DeploymentStatuses.Running, DeploymentStatuses.Failed, DeploymentStatuses.Cancelled)
        .Running(DeploymentStatuses.Running, TimelineStatuses.InProgress,
            DeploymentStatuses.Paused, DeploymentStatuses.Failed, DeploymentStatuses.Successful, DeploymentStatuses.Cancelled, DeploymentStatuses.Blocked)
        .Running(DeploymentStatuses.Paused, TimelineStatuses.Paused, DeploymentStatuses.Running, DeploymentStatuses.Failed, DeploymentStatuses.Cancelled)
        .Running(DeploymentStatuses.Blocked, TimelineStatuses.Paused,
            DeploymentStatuses.Successful, DeploymentStatuses.Unblocking, DeploymentStatuses.Failed, DeploymentStatuses.Cancelled)
        .Running(DeploymentStatuses.Unblocking, TimelineStatuses.InProgress, DeploymentStatuses.Successful, DeploymentStatuses.Failed, DeploymentStatuses.Cancelled)
        .Ended(DeploymentStatuses.Successful, TimelineStatuses.Succeeded, ChangeStatuses.Success)
        .Ended(DeploymentStatuses.Failed, TimelineStatuses.Failed, ChangeStatuses.Failure)
        .Ended(DeploymentStatuses.Cancelled, TimelineStatuses.Canceled, ChangeStatuses.Failure);

    public static string ShortId(string id) => id.Length > 8 ? id[..8] : id;

    private static string Name(CanaryDeployment d) => $"Deployment {ShortId(d.Id)} of {d.JobId} v{d.JobVersion}";

    public static RecordedSubject Subject(CanaryDeployment d, string? actor = null) =>
        new(SubjectKinds.Deployment, d.Id, TimelineSources.Deployments, d.JobId, d.Hosts, actor ?? d.Actor,
            new ChangeSubject(d.JobId, d.JobVersion.ToString(CultureInfo.InvariantCulture), d.Hosts, $"Canary deployment {ShortId(d.Id)} of {d.JobId} v{d.JobVersion}", d.Actor));

    /// <summary>A new deployment: added pending and moved to running at once, which starts its change event.</summary>
    public async Task CreatedAsync(CanaryContext w, CanaryDeployment d, CancellationToken ct)
    {
        var description = d.StatusDescription;
        d.Status = DeploymentStatuses.Pending;
        w.Db.CanaryDeployments.Add(d);
        w.Touch(d);
        await recorder.MoveAsync(w.Db, d, Machine, Subject(d), DeploymentStatuses.Running, $"{Name(d)} started: {description}", ct: ct);
    }

    public async Task MoveAsync(CanaryContext w, CanaryDeployment d, string to, string description, string? actor, CancellationToken ct)
    {
        await recorder.MoveAsync(w.Db, d, Machine, Subject(d, actor), to, $"{Name(d)} {to}: {description}", ct: ct);
        d.StatusDescription = description;
        d.Active = DeploymentStatuses.IsActive(to);
        d.WaitingSince = to == DeploymentStatuses.Paused ? w.Now : null;
        if (!d.Active) d.NextCheckAt = null;
        w.Touch(d);
    }

    /// <summary>A running deployment's description changed (waiting for promotion, promoted): the status stays, the timeline hears of it.</summary>
    public void Describe(CanaryContext w, CanaryDeployment d, string description, string? actor = null)
    {
        if (d.StatusDescription == description) return;
        d.StatusDescription = description;
        var waiting = description == DeploymentDescriptions.RunningNeedsPromotion;
        if (!waiting) d.WaitingSince = null;
        w.Touch(d);
        recorder.Note(w.Db, Subject(d, actor), waiting ? TimelineStatuses.Paused : TimelineStatuses.InProgress, $"{Name(d)}: {description}", actor: actor);
    }
}
