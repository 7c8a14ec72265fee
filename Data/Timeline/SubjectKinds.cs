namespace Dashboard.Data.Timeline;

/// <summary>
/// What a timeline entry (and a progress signal) is about: <see cref="TimelineEntry.SubjectType"/>.
/// Pages match on these, never on literals.
/// </summary>
public static class SubjectKinds
{
    public const string Batch = "batch";
    public const string Change = "change";
    public const string Capacity = "capacity";
    public const string Fleet = "fleet";
    public const string Device = "device";
    public const string Rollout = "rollout";
    public const string Artifact = "artifact";
    public const string Deployment = "deployment";
    public const string Job = "job";
    public const string Freeze = "freeze";
}
