namespace Dashboard.Data.Changes;

/// <summary>The statuses a change can have. <see cref="InProgress"/> and <see cref="Planned"/> are open; the rest are final.</summary>
public static class ChangeStatuses
{
    public const string Planned = "planned";
    public const string InProgress = "in_progress";
    public const string Success = "success";
    public const string Failure = "failure";
    public const string Canceled = "canceled";

    public static readonly IReadOnlyList<string> All = [InProgress, Success, Failure, Planned, Canceled];

    public static bool IsFinal(string status) => status is Success or Failure or Canceled;

    /// <summary>The timeline's normalised status, so a change colours like every other capability.</summary>
    public static string ToTimeline(string status) => status switch
    {
        Planned => Timeline.TimelineStatuses.Pending,
        InProgress => Timeline.TimelineStatuses.InProgress,
        Success => Timeline.TimelineStatuses.Succeeded,
        Failure => Timeline.TimelineStatuses.Failed,
        Canceled => Timeline.TimelineStatuses.Canceled,
        _ => Timeline.TimelineStatuses.Info,
    };
}

/// <summary>
/// One change to the estate: a deployment reported by any tool (BigPanda start/end events),
/// a change from the Changes API (keyed by <see cref="Identifier"/>), or a deployment this
/// product runs itself (batches, rollouts, canaries call <see cref="ChangeService.RecordStart"/>).
/// </summary>
public sealed class Change
{
    /// <summary>Time-ordered (version 7), known before insert so the timeline entry can name it.</summary>
    public Guid Id { get; set; }
    /// <summary>The Changes API key (create-or-update); null for start/end events.</summary>
    public string? Identifier { get; set; }
    public required string Component { get; set; }
    public required string Version { get; set; }
    /// <summary>The hosts as first sent (trimmed, without duplicates), for display.</summary>
    public List<string> Hosts { get; set; } = [];
    /// <summary>SHA-256 of component, version and the sorted, lower-cased host set: what start and end are matched on.</summary>
    public required string MatchKey { get; set; }
    public required string Status { get; set; }
    public DateTime StartedAt { get; set; }
    public DateTime? EndedAt { get; set; }
    public string? Owner { get; set; }
    /// <summary>The system that sent or ran the change (Chef, Jenkins, batches, rollouts...).</summary>
    public string? Source { get; set; }
    public string? Description { get; set; }
    public string? ErrorMessage { get; set; }
    public string? TicketUrl { get; set; }
    /// <summary>Changes API tags as a JSON object, kept as sent.</summary>
    public string? TagsJson { get; set; }
    /// <summary>Changes API metadata as a JSON object, kept as sent.</summary>
    public string? MetadataJson { get; set; }
    /// <summary>An end event arrived with no matching start; <see cref="StartedAt"/> is then the end time.</summary>
    public bool StartMissing { get; set; }
    public DateTime UpdatedAt { get; set; }

    public bool IsOpen => !ChangeStatuses.IsFinal(Status);

    public TimeSpan? Duration(DateTime now) => (EndedAt ?? (Status == ChangeStatuses.InProgress ? now : null)) - StartedAt;
}
