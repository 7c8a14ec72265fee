using Dashboard.App.Auth;
using Dashboard.Data;
using Dashboard.Data.Auth;

namespace Dashboard.App.Api;

/// <summary>
/// API tokens, for administrators' tokens: <c>GET/POST /api/tokens</c>, <c>PUT /api/tokens/{id}/namespaces</c>
/// (the Nomad namespace policy, <see cref="NamespacePolicy"/>) and <c>DELETE /api/tokens/{id}</c> (revoke).
/// The secret is returned once, on create; an optional <c>expiresAt</c> (UTC) ends the token by itself.
/// </summary>
public static class TokensApi
{
    public sealed record TokenRequest(string? Name, List<string>? Scopes, DateTime? ExpiresAt, List<string>? Namespaces);

    public sealed record TokenDto(int Id, string Name, string Prefix, IReadOnlyList<string> Scopes, IReadOnlyList<string>? Namespaces, DateTime CreatedAt,
        string? CreatedBy, DateTime? ExpiresAt, DateTime? RevokedAt, DateTime? LastUsedAt);

    public sealed record CreatedTokenDto(int Id, string Name, string Prefix, IReadOnlyList<string> Scopes, IReadOnlyList<string>? Namespaces,
        DateTime CreatedAt, DateTime? ExpiresAt, string Secret);

    public sealed record NamespacesRequest(List<string>? Namespaces);

    public static IEndpointRouteBuilder MapTokensApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/tokens")
            .WithTags("Tokens")
            .WithMetadata(JsonErrorFormat.Instance)
            .RequireAuthorization(AuthPolicies.Scope(ApiScopes.Admin));

        group.MapGet("/", async (TokenService tokens, CancellationToken ct) => Results.Ok((await tokens.ListAsync(ct)).Select(Dto)))
            .WithName("ListTokens");

        group.MapPost("/", async (TokenRequest? request, TokenService tokens, HttpContext http, CancellationToken ct) =>
        {
            if (request is null) throw new ValidationException("body", "A JSON body is required.");
            var expires = request.ExpiresAt is { } at ? DateTime.SpecifyKind(at.Kind == DateTimeKind.Local ? at.ToUniversalTime() : at, DateTimeKind.Utc) : (DateTime?)null;
            var (token, secret) = await tokens.CreateAsync(request.Name ?? "", request.Scopes ?? [], http.User.ActorName(), ct: ct, expiresAtUtc: expires, namespaces: request.Namespaces);
            return Results.Created($"/api/tokens/{token.Id}",
                new CreatedTokenDto(token.Id, token.Name, token.Prefix, token.Scopes, token.Namespaces, token.CreatedAt, token.ExpiresAt, secret));
        }).WithName("CreateToken");

        // An empty or null list lifts the restriction: the token may use every namespace again.
        group.MapPut("/{id:int}/namespaces", async (int id, NamespacesRequest? request, TokenService tokens, CancellationToken ct) =>
        {
            if (request is null) throw new ValidationException("body", "A JSON body is required.");
            return Results.Ok(Dto(await tokens.SetNamespacesAsync(id, request.Namespaces, ct)));
        }).WithName("SetTokenNamespaces");

        group.MapDelete("/{id:int}", async (int id, TokenService tokens, CancellationToken ct) =>
            await tokens.RevokeAsync(id, ct) ? Results.NoContent() : throw new NotFoundException("Token", id.ToString(System.Globalization.CultureInfo.InvariantCulture)))
            .WithName("RevokeToken");
        return app;
    }

    private static TokenDto Dto(ApiToken t) => new(t.Id, t.Name, t.Prefix, t.Scopes, t.Namespaces, t.CreatedAt, t.CreatedBy, t.ExpiresAt, t.RevokedAt, t.LastUsedAt);
}
