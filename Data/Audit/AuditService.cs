using System.Text;
using Microsoft.EntityFrameworkCore;

namespace Dashboard.Data.Audit;

/// <summary>
/// A search of the audit log. Actor and target match any part (case as stored); action matches from
/// the start, so <c>deployment</c> finds every deployment action; times are UTC, <c>From</c> inclusive, <c>To</c> exclusive.
/// </summary>
public sealed record AuditQuery(string? Actor = null, string? Action = null, string? Target = null, string? Outcome = null, DateTime? From = null, DateTime? To = null)
{
    public const int MaxPageSize = 500;

    public void Validate()
    {
        if (Outcome is not null && !AuditOutcomes.All.Contains(Outcome))
            throw new ValidationException("outcome", $"Outcome must be one of {string.Join(", ", AuditOutcomes.All)}.");
        if (From is { } from && To is { } to && from >= to)
            throw new ValidationException("to", "The end of the time range must be after its start.");
        if (Actor?.Length > 200 || Action?.Length > 200 || Target?.Length > 200)
            throw new ValidationException("query", "Search terms are at most 200 characters.");
    }
}

public sealed record AuditResults(IReadOnlyList<AuditEntry> Entries, int Total);

/// <summary>Reads the audit log for the Audit page and <c>/api/audit</c>; writing is <see cref="AuditLog"/>'s.</summary>
public sealed class AuditService(IDbContextFactory<DashboardDbContext> dbFactory)
{
    /// <summary>At most this many rows go into one CSV export; narrow the search for more.</summary>
    public const int MaxExport = 100_000;

    public async Task<AuditResults> SearchAsync(AuditQuery query, int page = 0, int pageSize = 50, CancellationToken ct = default)
    {
        query.Validate();
        if (page < 0) throw new ValidationException("page", "The page is 0 or more.");
        if (pageSize is < 1 or > AuditQuery.MaxPageSize) throw new ValidationException("pageSize", $"The page size is 1 to {AuditQuery.MaxPageSize}.");
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var filtered = Filter(db.AuditEntries.AsNoTracking(), query);
        var total = await filtered.CountAsync(ct);
        var entries = await filtered.OrderByDescending(e => e.Id).Skip(page * pageSize).Take(pageSize).ToListAsync(ct);
        return new AuditResults(entries, total);
    }

    /// <summary>Every matching entry, newest first, at most <see cref="MaxExport"/>, read as it is written out.</summary>
    public async IAsyncEnumerable<AuditEntry> ExportAsync(AuditQuery query, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct = default)
    {
        query.Validate();
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await foreach (var entry in Filter(db.AuditEntries.AsNoTracking(), query).OrderByDescending(e => e.Id).Take(MaxExport).AsAsyncEnumerable().WithCancellation(ct))
        {
            yield return entry;
        }
    }

    private static IQueryable<AuditEntry> Filter(IQueryable<AuditEntry> entries, AuditQuery q)
    {
        if (!string.IsNullOrWhiteSpace(q.Actor)) entries = entries.Where(e => e.Actor.Contains(q.Actor.Trim()));
        if (!string.IsNullOrWhiteSpace(q.Action)) entries = entries.Where(e => e.Action.StartsWith(q.Action.Trim()));
        if (!string.IsNullOrWhiteSpace(q.Target))
        {
            var target = q.Target.Trim();
            entries = entries.Where(e => e.TargetKind == target || (e.TargetId != null && e.TargetId.Contains(target)));
        }
        if (!string.IsNullOrEmpty(q.Outcome)) entries = entries.Where(e => e.Outcome == q.Outcome);
        if (q.From is { } from) entries = entries.Where(e => e.At >= from);
        if (q.To is { } to) entries = entries.Where(e => e.At < to);
        return entries;
    }
}

/// <summary>
/// The audit CSV: RFC 4180 quoting, and a guard against formula injection: a field that a spreadsheet
/// would run as a formula (starting with <c>= + - @</c>, a tab or a carriage return) is prefixed with <c>'</c>.
/// </summary>
public static class AuditCsv
{
    public const string Header = "id,at,actor,actor_kind,token_id,session_id,remote_address,action,target_kind,target_id,outcome,detail";

    public static string Line(AuditEntry e) => string.Join(',',
        e.Id.ToString(System.Globalization.CultureInfo.InvariantCulture),
        e.At.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", System.Globalization.CultureInfo.InvariantCulture),
        Field(e.Actor), Field(e.ActorKind), e.TokenId?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "",
        Field(e.SessionId), Field(e.RemoteAddress), Field(e.Action), Field(e.TargetKind), Field(e.TargetId), Field(e.Outcome), Field(e.Detail));

    public static string Field(string? value)
    {
        if (string.IsNullOrEmpty(value)) return "";
        if (value[0] is '=' or '+' or '-' or '@' or '\t' or '\r') value = "'" + value;
        if (value.AsSpan().IndexOfAny(",\"\r\n") < 0) return value;
        var quoted = new StringBuilder(value.Length + 8).Append('"');
        foreach (var c in value) quoted.Append(c == '"' ? "\"\"" : c);
        return quoted.Append('"').ToString();
    }
}
