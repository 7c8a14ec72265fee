namespace Dashboard.Data.Audit;

/// <summary>Who acted: a person (cookie sign-in), an API token, a device, or the system (jobs, start-up).</summary>
public static class ActorKinds
{
    public const string Person = "person";
    public const string Token = "token";
    public const string Device = "device";
    public const string System = "system";

    public static readonly IReadOnlyList<string> All = [Person, Token, Device, System];
}

/// <summary>How an action ended: done, refused (validation, conflict, permission) or failed (unexpected).</summary>
public static class AuditOutcomes
{
    public const string Succeeded = "succeeded";
    public const string Refused = "refused";
    public const string Failed = "failed";

    public static readonly IReadOnlyList<string> All = [Succeeded, Refused, Failed];
}

/// <summary>
/// One action by a person or a token. A succeeded entry is written in the same transaction as the
/// action itself (<see cref="AuditLog.Add"/>); a refused or failed one afterwards, on its own.
/// Entries are only ever added, never changed.
/// </summary>
public sealed class AuditEntry
{
    public long Id { get; set; }
    public DateTime At { get; set; }
    /// <summary>The user name, or the token's name, as it was when the action happened.</summary>
    public required string Actor { get; set; }
    public required string ActorKind { get; set; }
    public int? TokenId { get; set; }
    /// <summary>The sign-in session (a random id kept in the cookie), so one person's sessions can be told apart.</summary>
    public string? SessionId { get; set; }
    public string? RemoteAddress { get; set; }
    /// <summary>What was done, <c>capability.verb</c>: <c>deployment.promote</c>, <c>token.create</c> (see <see cref="AuditActions"/>).</summary>
    public required string Action { get; set; }
    public required string TargetKind { get; set; }
    public string? TargetId { get; set; }
    public required string Outcome { get; set; }
    public string? Detail { get; set; }
}
