using Dashboard.App.Auth;
using Dashboard.Data.Attention;
using Dashboard.Data.Auth;
using Dashboard.Data.Timeline;

namespace Dashboard.App.Api;

/// <summary>
/// The attention inbox as JSON: <c>GET /api/attention</c> (a token with <c>read</c>), read fresh from the
/// database; and the inbox's one action, acknowledging a failure: <c>POST /api/attention/{subjectKind}/{subjectId}/acknowledge</c>
/// (an item's <c>subjectKind</c> and <c>subjectId</c>; a token with the write scope of that capability, as the
/// operator role acts on it in the page), 204, audited like the page's button.
/// </summary>
public static class AttentionApi
{
    public sealed record ItemDto(string Kind, string Severity, string Title, string SubjectKind, string SubjectId, string Link,
        DateTime Since, long WaitedSeconds, string? Detail, bool Acknowledgeable);

    public sealed record InboxDto(DateTime GeneratedAt, int Count, int Critical, IReadOnlyList<ItemDto> Items);

    /// <summary>The failures a person acknowledges, and the token scope that acts on each (the operator role's share of the API).</summary>
    private static readonly (string SubjectKind, string Scope)[] AcknowledgeScopes =
    [
        (SubjectKinds.Batch, ApiScopes.BatchesWrite),
        (SubjectKinds.Rollout, ApiScopes.RolloutsWrite),
        (SubjectKinds.Deployment, ApiScopes.DeploymentsWrite),
    ];

    public static IEndpointRouteBuilder MapAttentionApi(this IEndpointRouteBuilder app)
    {
        app.MapGroup("/api/attention")
            .WithTags("Attention")
            .WithMetadata(JsonErrorFormat.Instance)
            .RequireAuthorization(AuthPolicies.Scope(ApiScopes.Read))
            .MapGet("/", async (AttentionService attention, CancellationToken ct) =>
            {
                var inbox = await attention.ListAsync(ct);
                return Results.Ok(new InboxDto(inbox.At, inbox.Count, inbox.Critical, [.. inbox.Items.Select(i => new ItemDto(i.Kind, i.Severity, i.Title,
                    i.SubjectKind, i.SubjectId, i.Link, i.Since, (long)Math.Max(0, (inbox.At - i.Since).TotalSeconds), i.Detail, i.Acknowledgeable))]));
            })
            .WithName("GetAttention");

        foreach (var (subjectKind, scope) in AcknowledgeScopes)
        {
            app.MapPost($"/api/attention/{subjectKind}/{{subjectId}}/acknowledge", async (string subjectId, AttentionService attention, HttpContext http, CancellationToken ct) =>
                {
                    await attention.AcknowledgeAsync(subjectKind, subjectId, http.User.ActorName(), ct);
                    return Results.NoContent();
                })
                .WithTags("Attention")
                .WithMetadata(JsonErrorFormat.Instance)
                .RequireAuthorization(AuthPolicies.Scope(scope))
                .WithName("AcknowledgeAttention" + char.ToUpperInvariant(subjectKind[0]) + subjectKind[1..]);
        }
        return app;
    }
}
