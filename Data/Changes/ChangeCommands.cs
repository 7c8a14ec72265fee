using System.Security.Cryptography;
using System.Text;

namespace Dashboard.Data.Changes;

/// <summary>A deployment started (BigPanda <c>deployments/start</c>, or a deployment this product runs).</summary>
public sealed record DeploymentStart(
    string Component,
    string Version,
    IReadOnlyList<string> Hosts,
    DateTime? Timestamp = null,
    string? Description = null,
    string? Owner = null,
    string? Source = null);

/// <summary>A deployment ended (BigPanda <c>deployments/end</c>). <see cref="Status"/> is success or failure.</summary>
public sealed record DeploymentEnd(
    string Component,
    string Version,
    IReadOnlyList<string> Hosts,
    string Status = ChangeStatuses.Success,
    string? ErrorMessage = null,
    DateTime? Timestamp = null,
    string? Source = null);

/// <summary>A create-or-update from the BigPanda Changes API, keyed by <see cref="Identifier"/>.</summary>
public sealed record ChangeUpsert(
    string Identifier,
    string Status,
    string? Summary = null,
    DateTime? Start = null,
    DateTime? End = null,
    string? TicketUrl = null,
    string? TagsJson = null,
    string? MetadataJson = null,
    string? Component = null,
    string? Owner = null,
    string? Source = null);

/// <summary>What a start, end or upsert did. The API tells the caller, so surprises are visible.</summary>
public enum ChangeOutcome
{
    Started,
    AlreadyInProgress,
    Ended,
    EndedWithoutStart,
    AlreadyEnded,
    Created,
    Updated,
    Unchanged,
}

public sealed record ChangeResult(Change Change, ChangeOutcome Outcome)
{
    public string Message => Outcome switch
    {
        ChangeOutcome.Started => "Change started.",
        ChangeOutcome.AlreadyInProgress => "A change with this component, version and hosts is already in progress; nothing new was recorded.",
        ChangeOutcome.Ended => "Change ended.",
        ChangeOutcome.EndedWithoutStart => "No matching start was found; a finished change was recorded without a start.",
        ChangeOutcome.AlreadyEnded => "The matching change had already ended; its first end stands and nothing was changed.",
        ChangeOutcome.Created => "Change created.",
        ChangeOutcome.Updated => "Change updated.",
        ChangeOutcome.Unchanged => "Change already up to date; nothing was changed.",
        _ => Outcome.ToString(),
    };

    /// <summary>snake_case outcome for API bodies.</summary>
    public string Code => Outcome switch
    {
        ChangeOutcome.AlreadyInProgress => "already_in_progress",
        ChangeOutcome.EndedWithoutStart => "ended_without_start",
        ChangeOutcome.AlreadyEnded => "already_ended",
        _ => Outcome.ToString().ToLowerInvariant(),
    };
}

/// <summary>Input rules shared by every way a change comes in. Throws <see cref="ValidationException"/> naming the field.</summary>
public static class ChangeRules
{
    public const int MaxNameLength = 200;
    public const int MaxHosts = 10_000;
    public const int MaxTextLength = 10_000;

    public static string RequiredName(string? value, string field)
    {
        var trimmed = value?.Trim();
        if (string.IsNullOrEmpty(trimmed)) throw new ValidationException(field, $"'{field}' is required and must not be empty.");
        if (trimmed.Length > MaxNameLength) throw new ValidationException(field, $"'{field}' must be at most {MaxNameLength} characters.");
        return trimmed;
    }

    public static string? OptionalName(string? value, string field)
    {
        var trimmed = value?.Trim();
        if (string.IsNullOrEmpty(trimmed)) return null;
        if (trimmed.Length > MaxNameLength) throw new ValidationException(field, $"'{field}' must be at most {MaxNameLength} characters.");
        return trimmed;
    }

    public static string? OptionalText(string? value, string field)
    {
        if (string.IsNullOrWhiteSpace(value)) return null;
        if (value.Length > MaxTextLength) throw new ValidationException(field, $"'{field}' must be at most {MaxTextLength} characters.");
        return value;
    }

    /// <summary>Trimmed, without empty entries and case-insensitive duplicates, in the order sent.</summary>
    public static List<string> Hosts(IReadOnlyList<string>? hosts, string field = "hosts")
    {
        if (hosts is null || hosts.Count == 0) throw new ValidationException(field, $"'{field}' must list at least one host.");
        if (hosts.Count > MaxHosts) throw new ValidationException(field, $"'{field}' must list at most {MaxHosts} hosts.");
        var result = new List<string>(hosts.Count);
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var host in hosts)
        {
            var trimmed = host?.Trim();
            if (string.IsNullOrEmpty(trimmed)) throw new ValidationException(field, $"'{field}' must not contain empty host names.");
            if (trimmed.Length > MaxNameLength) throw new ValidationException(field, $"Host names in '{field}' must be at most {MaxNameLength} characters.");
            if (seen.Add(trimmed)) result.Add(trimmed);
        }
        return result;
    }

    /// <summary>
    /// What start and end are matched on: component and version (case-sensitive, as sent) and the
    /// set of hosts (order and case do not matter). Hashed so the index stays small for long host lists.
    /// </summary>
    public static string MatchKey(string component, string version, IEnumerable<string> hosts)
    {
        var builder = new StringBuilder(component).Append('\0').Append(version);
        foreach (var host in hosts.Select(h => h.ToLowerInvariant()).Distinct().Order(StringComparer.Ordinal))
            builder.Append('\0').Append(host);
        return Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(builder.ToString())));
    }
}
