namespace Dashboard.Data.Freezes;

public static class FreezeKinds
{
    /// <summary>From <see cref="Freeze.StartsAt"/> to <see cref="Freeze.EndsAt"/>, once.</summary>
    public const string Once = "once";
    /// <summary>Every week from a day and time to a day and time, in <see cref="Freeze.TimeZone"/>.</summary>
    public const string Weekly = "weekly";

    public static readonly IReadOnlyList<string> All = [Once, Weekly];
}

/// <summary>
/// A window in which nothing new is deployed. Scope: empty <see cref="Projects"/> and
/// <see cref="Components"/> freeze everything; otherwise a target is frozen when its project
/// (namespace) or its component is listed.
/// </summary>
public sealed class Freeze
{
    public Guid Id { get; set; }
    public required string Name { get; set; }
    public string? Description { get; set; }
    public required string Kind { get; set; }

    /// <summary>A one-off window, UTC.</summary>
    public DateTime? StartsAt { get; set; }
    public DateTime? EndsAt { get; set; }

    /// <summary>A weekly window: an IANA zone id and local days and times (DST is the zone's).</summary>
    public string? TimeZone { get; set; }
    public DayOfWeek? StartDay { get; set; }
    public TimeOnly? StartTime { get; set; }
    public DayOfWeek? EndDay { get; set; }
    public TimeOnly? EndTime { get; set; }

    /// <summary>Project slugs, which are also Nomad namespaces.</summary>
    public List<string> Projects { get; set; } = [];
    /// <summary>Components: a job id, an artifact name, <c>provisioning</c> for batches.</summary>
    public List<string> Components { get; set; } = [];

    public DateTime CreatedAt { get; set; }
    public string? CreatedBy { get; set; }

    public bool Everything => Projects.Count == 0 && Components.Count == 0;
}

/// <summary>
/// An administrator let something start during a freeze. Kept for the record (and for the audit log),
/// and so that the overridden subject's later phases or steps are not held by the same freeze.
/// </summary>
public sealed class FreezeOverride
{
    public long Id { get; set; }
    public Guid FreezeId { get; set; }
    public required string FreezeName { get; set; }
    /// <summary>A <see cref="Timeline.SubjectKinds"/> value: batch, rollout or deployment.</summary>
    public required string SubjectKind { get; set; }
    public required string SubjectId { get; set; }
    public required string Actor { get; set; }
    public required string Reason { get; set; }
    public DateTime At { get; set; }
}

/// <summary>A phase start or rolling step held by a freeze until <see cref="Until"/>; removed when it goes on.</summary>
public sealed class FreezeWait
{
    public required string SubjectKind { get; set; }
    public required string SubjectId { get; set; }
    public Guid FreezeId { get; set; }
    public required string FreezeName { get; set; }
    public DateTime Since { get; set; }
    public DateTime Until { get; set; }
}
