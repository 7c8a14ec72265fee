using Dashboard.Data.Timeline;

namespace Dashboard.Data.Attention;

/// <summary>What kind of wait an item is. Stable strings: the JSON API and the pages use them.</summary>
public static class AttentionKinds
{
    public const string CanaryPromotion = "canary_promotion";
    public const string DeploymentPaused = "deployment_paused";
    public const string DeploymentDeadline = "deployment_deadline";
    public const string RolloutStopped = "rollout_stopped";
    public const string RolloutStalled = "rollout_stalled";
    public const string BatchFailed = "batch_failed";
    public const string RolloutFailed = "rollout_failed";
    public const string DeploymentFailed = "deployment_failed";
    public const string ChangeLong = "change_long";

    /// <summary>Failures stay failed for ever; only these are cleared by a person's acknowledgement.</summary>
    public static readonly IReadOnlySet<string> Acknowledgeable = new HashSet<string> { BatchFailed, RolloutFailed, DeploymentFailed };
}

/// <summary>How urgent: <c>critical</c> (something broke or is about to), <c>warning</c> (probably stuck), <c>info</c> (waits for a decision).</summary>
public static class AttentionSeverities
{
    public const string Critical = "critical";
    public const string Warning = "warning";
    public const string Info = "info";

    public static int Rank(string severity) => severity switch { Critical => 0, Warning => 1, _ => 2 };
}

/// <summary>
/// One thing waiting for a person: what it is, where to act (<see cref="Link"/>), and since when it
/// has waited. Derived from the database on every read, never stored.
/// </summary>
public sealed record AttentionItem(
    string Kind,
    string Severity,
    string Title,
    string SubjectKind,
    string SubjectId,
    DateTime Since,
    string? Detail = null)
{
    public string Link => AttentionLinks.For(SubjectKind, SubjectId);

    public bool Acknowledgeable => AttentionKinds.Acknowledgeable.Contains(Kind);

    /// <summary>Stable across reads, for keyed rows.</summary>
    public string Key => $"{Kind}:{SubjectKind}:{SubjectId}";
}

/// <summary>The inbox at one moment: every item, most urgent and longest waiting first.</summary>
public sealed record AttentionSnapshot(DateTime At, IReadOnlyList<AttentionItem> Items)
{
    public static readonly AttentionSnapshot Empty = new(DateTime.MinValue, []);

    public int Count => Items.Count;

    public int Critical => Items.Count(i => i.Severity == AttentionSeverities.Critical);
}

/// <summary>Where a subject's page is: the place a person acts on it.</summary>
public static class AttentionLinks
{
    public static string For(string subjectKind, string subjectId) => subjectKind switch
    {
        SubjectKinds.Batch => $"/batches/{Uri.EscapeDataString(subjectId)}/detail",
        SubjectKinds.Rollout => $"/rollouts/{Uri.EscapeDataString(subjectId)}",
        SubjectKinds.Deployment => $"/deployments/{Uri.EscapeDataString(subjectId)}",
        SubjectKinds.Change => $"/changes/{Uri.EscapeDataString(subjectId)}",
        _ => "/",
    };
}

/// <summary>
/// A person has seen a failure and taken it in hand: the only stored part of the inbox. A failed
/// batch, rollout or deployment never changes state again, so nothing derived could say "dealt with";
/// deleting it would throw away its record (devices, logs) that suspects and metrics still read.
/// </summary>
public sealed class AttentionAcknowledgement
{
    public long Id { get; set; }
    public required string SubjectKind { get; set; }
    public required string SubjectId { get; set; }
    public required string AcknowledgedBy { get; set; }
    public DateTime AcknowledgedAt { get; set; }
}
