namespace Dashboard.Data.Suspects;

/// <summary>A person's verdict on a suspect: <c>match</c> (this change caused it) or <c>not_match</c>.</summary>
public static class SuspectVerdicts
{
    public const string Match = "match";
    public const string NotMatch = "not_match";

    public static readonly IReadOnlyList<string> All = [Match, NotMatch];
}

/// <summary>
/// What a person said about one suspect change of one failed subject. One row per (subject, change):
/// marking again replaces the verdict, and the row says who decided last and when.
/// </summary>
public sealed class SuspectMark
{
    public long Id { get; set; }
    /// <summary>batch, rollout, deployment or change (<see cref="Timeline.SubjectKinds"/>).</summary>
    public required string SubjectKind { get; set; }
    public required string SubjectId { get; set; }
    public Guid ChangeId { get; set; }
    public required string Verdict { get; set; }
    public required string MarkedBy { get; set; }
    public DateTime MarkedAt { get; set; }
}
