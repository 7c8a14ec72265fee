using Dashboard.App.Auth;
using Dashboard.Data.Attention;
using Dashboard.Data.Auth;

namespace Dashboard.App.Api;

/// <summary>The attention inbox as JSON: <c>GET /api/attention</c> (a token with <c>read</c>), read fresh from the database.</summary>
public static class AttentionApi
{
    public sealed record ItemDto(string Kind, string Severity, string Title, string SubjectKind, string SubjectId, string Link,
        DateTime Since, long WaitedSeconds, string? Detail, bool Acknowledgeable);

    public sealed record InboxDto(DateTime GeneratedAt, int Count, int Critical, IReadOnlyList<ItemDto> Items);

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
        return app;
    }
}
