namespace Dashboard.Data.Timeline;

/// <summary>The capability that recorded a timeline entry.</summary>
public static class TimelineSources
{
    public const string System = "system";
    public const string Changes = "changes";
    public const string Batches = "batches";
    public const string Rollouts = "rollouts";
    public const string Deployments = "deployments";

    public static readonly IReadOnlyList<string> All = [Changes, Batches, Rollouts, Deployments, System];
}

/// <summary>Normalised statuses, so every capability colours the same way on screen.</summary>
public static class TimelineStatuses
{
    public const string Info = "info";
    public const string Pending = "pending";
    public const string InProgress = "in_progress";
    public const string Succeeded = "succeeded";
    public const string Failed = "failed";
    public const string Canceled = "canceled";
    public const string Paused = "paused";

    public static readonly IReadOnlyList<string> All = [Info, Pending, InProgress, Succeeded, Failed, Canceled, Paused];
}

/// <summary>
/// One state change of any capability. Written in the same transaction as the change itself
/// and published to live pages after commit (see <see cref="TimelinePublisher"/>).
/// </summary>
public sealed class TimelineEntry
{
    public long Id { get; set; }
    public required string Source { get; set; }
    /// <summary>The kind of thing that changed: change, batch, deployment, rollout, device...</summary>
    public required string SubjectType { get; set; }
    public required string SubjectId { get; set; }
    public required string Status { get; set; }
    public required string Title { get; set; }
    public string? Component { get; set; }
    public string? Version { get; set; }
    public List<string> Hosts { get; set; } = [];
    public string? Actor { get; set; }
    public DateTime OccurredAt { get; set; }
    /// <summary>Free-form detail, shown as text (never as markup).</summary>
    public string? Details { get; set; }
}
