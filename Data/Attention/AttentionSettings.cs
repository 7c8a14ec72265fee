namespace Dashboard.Data.Attention;

/// <summary>
/// When something counts as waiting for a person: configuration section <c>Dashboard:Attention</c>
/// (environment <c>Dashboard__Attention__NearDeadlineMinutes</c>, ...).
/// </summary>
public sealed class AttentionSettings
{
    public const string Section = "Dashboard:Attention";

    /// <summary>A deployment whose progress deadline is this close (or past) needs someone to look.</summary>
    public double NearDeadlineMinutes { get; set; } = 2;

    /// <summary>A rollout with devices still to go and no device starting or finishing for this long has stalled.</summary>
    public double StalledRolloutMinutes { get; set; } = 15;

    /// <summary>A change event in progress for longer than this is probably stuck (or its end was never sent).</summary>
    public double LongChangeMinutes { get; set; } = 60;

    /// <summary>Failures older than this leave the inbox on their own, so an old database does not open with a year of them.</summary>
    public double FailedWithinDays { get; set; } = 7;

    /// <summary>Time-based items (deadlines, stalls, long changes) appear without any event; the inbox is re-read this often regardless.</summary>
    public double RefreshSeconds { get; set; } = 15;

    /// <summary>Suspect changes: how long before the failed subject started a change may have begun and still count.</summary>
    public double SuspectWindowMinutes { get; set; } = 60;

    public TimeSpan NearDeadline => TimeSpan.FromMinutes(NearDeadlineMinutes);
    public TimeSpan StalledRollout => TimeSpan.FromMinutes(StalledRolloutMinutes);
    public TimeSpan LongChange => TimeSpan.FromMinutes(LongChangeMinutes);
    public TimeSpan FailedWithin => TimeSpan.FromDays(FailedWithinDays);
    public TimeSpan Refresh => TimeSpan.FromSeconds(Math.Max(1, RefreshSeconds));
    public TimeSpan SuspectWindow => TimeSpan.FromMinutes(SuspectWindowMinutes);
}
