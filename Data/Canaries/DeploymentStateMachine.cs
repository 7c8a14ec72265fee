using Dashboard.Data.Changes;
using Dashboard.Data.Timeline;

namespace Dashboard.Data.Canaries;

/// <summary>
/// The only place a deployment changes status. Each move raises its modify index, adds a timeline
/// entry (source <c>deployments</c>) and, at the start and the end, a change event (component the
/// job, version the job version, hosts the nodes), all in the write's own transaction.
/// </summary>
public sealed class DeploymentStateMachine(ChangeService changes)
{
    private static readonly Dictionary<string, string[]> Allowed = new()
    {
        [DeploymentStatuses.Running] = [DeploymentStatuses.Paused, DeploymentStatuses.Failed, DeploymentStatuses.Successful, DeploymentStatuses.Cancelled, DeploymentStatuses.Blocked],
        [DeploymentStatuses.Paused] = [DeploymentStatuses.Running, DeploymentStatuses.Failed, DeploymentStatuses.Cancelled],
        [DeploymentStatuses.Blocked] = [DeploymentStatuses.Successful, DeploymentStatuses.Unblocking, DeploymentStatuses.Failed, DeploymentStatuses.Cancelled],
        [DeploymentStatuses.Unblocking] = [DeploymentStatuses.Successful, DeploymentStatuses.Failed, DeploymentStatuses.Cancelled],
        [DeploymentStatuses.Pending] = [DeploymentStatuses.Running, DeploymentStatuses.Failed, DeploymentStatuses.Cancelled],
        [DeploymentStatuses.Initializing] = [DeploymentStatuses.Running, DeploymentStatuses.Failed, DeploymentStatuses.Cancelled],
    };

    public static bool CanMove(string from, string to) => Allowed.TryGetValue(from, out var next) && next.Contains(to);

    public static string ShortId(string id) => id.Length > 8 ? id[..8] : id;

    public async Task CreatedAsync(CanaryContext w, CanaryDeployment d, CancellationToken ct)
    {
        w.Db.CanaryDeployments.Add(d);
        w.Touch(d);
        Record(w, d, TimelineStatuses.InProgress, $"Deployment {ShortId(d.Id)} of {d.JobId} v{d.JobVersion} started");
        await changes.RecordStartAsync(w.Db, new DeploymentStart(d.JobId, d.JobVersion.ToString(System.Globalization.CultureInfo.InvariantCulture), d.Hosts, w.Now,
            $"Canary deployment {ShortId(d.Id)} of {d.JobId} v{d.JobVersion}", d.Actor, TimelineSources.Deployments), ct);
    }

    public async Task MoveAsync(CanaryContext w, CanaryDeployment d, string to, string description, string? actor, CancellationToken ct)
    {
        if (!CanMove(d.Status, to)) throw new ConflictException($"Deployment {d.Id} is {d.Status}; it cannot become {to}.");
        d.Status = to;
        d.StatusDescription = description;
        d.Active = DeploymentStatuses.IsActive(to);
        d.WaitingSince = to == DeploymentStatuses.Paused ? w.Now : null;
        if (!d.Active) d.NextCheckAt = null;
        w.Touch(d);
        Record(w, d, StatusOf(to), $"Deployment {ShortId(d.Id)} of {d.JobId} v{d.JobVersion} {to}: {description}", actor);
        if (d.Active) return;
        var success = to == DeploymentStatuses.Successful;
        await changes.RecordEndAsync(w.Db, new DeploymentEnd(d.JobId, d.JobVersion.ToString(System.Globalization.CultureInfo.InvariantCulture), d.Hosts,
            success ? ChangeStatuses.Success : ChangeStatuses.Failure, success ? null : description, w.Now, TimelineSources.Deployments), ct);
    }

    /// <summary>A running deployment's description changed (waiting for promotion, promoted): the status stays.</summary>
    public static void Describe(CanaryContext w, CanaryDeployment d, string description, string? actor = null)
    {
        if (d.StatusDescription == description) return;
        d.StatusDescription = description;
        var waiting = description == DeploymentDescriptions.RunningNeedsPromotion;
        d.WaitingSince = waiting ? d.WaitingSince ?? w.Now : null;
        w.Touch(d);
        Record(w, d, waiting ? TimelineStatuses.Paused : TimelineStatuses.InProgress,
            $"Deployment {ShortId(d.Id)} of {d.JobId} v{d.JobVersion}: {description}", actor);
    }

    public static string StatusOf(string status) => status switch
    {
        DeploymentStatuses.Running or DeploymentStatuses.Unblocking => TimelineStatuses.InProgress,
        DeploymentStatuses.Paused or DeploymentStatuses.Blocked => TimelineStatuses.Paused,
        DeploymentStatuses.Successful => TimelineStatuses.Succeeded,
        DeploymentStatuses.Failed => TimelineStatuses.Failed,
        DeploymentStatuses.Cancelled => TimelineStatuses.Canceled,
        _ => TimelineStatuses.Pending,
    };

    private static void Record(CanaryContext w, CanaryDeployment d, string status, string title, string? actor = null) =>
        w.Db.Timeline.Add(new TimelineEntry
        {
            Source = TimelineSources.Deployments,
            SubjectType = "deployment",
            SubjectId = d.Id,
            Status = status,
            Title = title.Length > 500 ? title[..499] + "…" : title,
            Component = d.JobId,
            Version = d.JobVersion.ToString(System.Globalization.CultureInfo.InvariantCulture),
            Hosts = [.. d.Hosts.Take(50)],
            Actor = actor ?? d.Actor,
            OccurredAt = w.Now,
        });
}
