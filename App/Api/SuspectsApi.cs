using Dashboard.App.Auth;
using Dashboard.Data;
using Dashboard.Data.Auth;
using Dashboard.Data.Suspects;

namespace Dashboard.App.Api;

/// <summary>
/// Suspect changes of a batch, rollout, deployment or change: <c>GET /api/suspects/{kind}/{id}</c> (a token
/// with <c>read</c>), and a person's verdict on one, <c>POST /api/suspects/{kind}/{id}/marks</c>
/// <c>{"changeId","verdict":"match"|"not_match"}</c> (a token with <c>changes:write</c>: a mark is about change events).
/// </summary>
public static class SuspectsApi
{
    public sealed record MarkRequest(Guid? ChangeId, string? Verdict);

    public static IEndpointRouteBuilder MapSuspectsApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/suspects")
            .WithTags("Suspects")
            .WithMetadata(JsonErrorFormat.Instance);

        group.MapGet("/{kind}/{id}", async (string kind, string id, SuspectService suspects, CancellationToken ct) =>
                Results.Ok(await suspects.ListAsync(kind, id, ct)))
            .RequireAuthorization(AuthPolicies.Scope(ApiScopes.Read))
            .WithName("GetSuspects");

        group.MapPost("/{kind}/{id}/marks", async (string kind, string id, MarkRequest? request, SuspectService suspects, HttpContext http, CancellationToken ct) =>
            {
                if (request is null) throw new ValidationException("body", "A JSON body is required.");
                if (request.ChangeId is not { } changeId) throw new ValidationException("changeId", "'changeId' is required.");
                return Results.Ok(await suspects.MarkAsync(kind, id, changeId, request.Verdict, http.User.ActorName(), ct));
            })
            .RequireAuthorization(AuthPolicies.Scope(ApiScopes.ChangesWrite))
            .WithName("MarkSuspect");
        return app;
    }
}
