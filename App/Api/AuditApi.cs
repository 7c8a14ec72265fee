using System.Globalization;
using System.Text;
using Dashboard.App.Auth;
using Dashboard.Data;
using Dashboard.Data.Audit;
using Dashboard.Data.Auth;

namespace Dashboard.App.Api;

/// <summary>
/// The audit log for administrators: <c>GET /api/audit</c> (JSON, paged) and <c>GET /api/audit.csv</c> with an
/// <c>admin</c> token, and <c>GET /audit/export.csv</c> for the Audit page's signed-in administrators.
/// Query: <c>actor, action, target, outcome, from, to</c> (ISO 8601, UTC), <c>page</c>, <c>pageSize</c>.
/// </summary>
public static class AuditApi
{
    public sealed record AuditEntryDto(long Id, DateTime At, string Actor, string ActorKind, int? TokenId, string? SessionId, string? RemoteAddress,
        string Action, string TargetKind, string? TargetId, string Outcome, string? Detail);

    public sealed record AuditPageDto(IReadOnlyList<AuditEntryDto> Entries, int Total, int Page, int PageSize);

    public static IEndpointRouteBuilder MapAuditApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api")
            .WithTags("Audit")
            .WithMetadata(JsonErrorFormat.Instance)
            .RequireAuthorization(AuthPolicies.Scope(ApiScopes.Admin));

        group.MapGet("/audit", async (HttpContext http, AuditService audit, int? page, int? pageSize, CancellationToken ct) =>
        {
            var (p, size) = (page ?? 0, pageSize ?? 50);
            var result = await audit.SearchAsync(Query(http.Request), p, size, ct);
            return Results.Ok(new AuditPageDto([.. result.Entries.Select(Dto)], result.Total, p, size));
        }).WithName("SearchAudit");

        group.MapGet("/audit.csv", (HttpContext http, AuditService audit) => Csv(http, audit)).WithName("ExportAuditCsv");

        // The page's download link: the same export for a signed-in administrator's cookie.
        app.MapGet("/audit/export.csv", (HttpContext http, AuditService audit) => Csv(http, audit))
            .RequireAuthorization(AuthPolicies.Admin).ExcludeFromDescription();
        return app;
    }

    /// <summary>The search in a query string, as the page links it and the API reads it.</summary>
    public static AuditQuery Query(HttpRequest request)
    {
        var q = request.Query;
        return new AuditQuery(Text(q["actor"]), Text(q["action"]), Text(q["target"]), Text(q["outcome"]), Time(q["from"], "from"), Time(q["to"], "to"));
    }

    private static string? Text(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    private static DateTime? Time(string? value, string field)
    {
        if (string.IsNullOrWhiteSpace(value)) return null;
        if (!DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time))
            throw new ValidationException(field, $"{field} must be a time in ISO 8601 (2026-11-24T09:00:00Z).");
        return time.UtcDateTime;
    }

    private static async Task Csv(HttpContext http, AuditService audit)
    {
        var query = Query(http.Request);
        query.Validate();
        var ct = http.RequestAborted;
        http.Response.ContentType = "text/csv; charset=utf-8";
        http.Response.Headers.ContentDisposition = $"attachment; filename=\"audit-{DateTime.UtcNow:yyyyMMdd-HHmmss}.csv\"";
        await using var writer = new StreamWriter(http.Response.Body, new UTF8Encoding(false), 16 * 1024, leaveOpen: true);
        await writer.WriteAsync(AuditCsv.Header + "\r\n");
        await foreach (var entry in audit.ExportAsync(query, ct))
        {
            await writer.WriteAsync(AuditCsv.Line(entry) + "\r\n");
        }
        await writer.FlushAsync(ct);
    }

    private static AuditEntryDto Dto(AuditEntry e) =>
        new(e.Id, e.At, e.Actor, e.ActorKind, e.TokenId, e.SessionId, e.RemoteAddress, e.Action, e.TargetKind, e.TargetId, e.Outcome, e.Detail);
}
