using System.Security.Claims;
using System.Text.Encodings.Web;
using Dashboard.App.Api;
using Dashboard.Data.Auth;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace Dashboard.App.Auth;

public sealed class ApiTokenOptions : AuthenticationSchemeOptions;

/// <summary>
/// One token store, every header style the compatible APIs use: Packet's <c>X-Auth-Token</c>,
/// BigPanda's and Mender's <c>Authorization: Bearer</c>, Nomad's <c>X-Nomad-Token</c>
/// (and Nomad's <c>Authorization: Bearer</c> too). Failures are written in the API's own error format.
/// </summary>
public sealed class ApiTokenHandler(
    IOptionsMonitor<ApiTokenOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    TokenService tokens) : AuthenticationHandler<ApiTokenOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiToken";

    /// <summary>One claim per entry of the token's Nomad namespace policy; none when the token is not restricted.</summary>
    public const string NamespaceClaim = "nomad_namespace";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (Presented(Context) is not { } presented) return AuthenticateResult.NoResult();
        if (!TokenService.IsPlausibleSecret(presented.Secret)) return AuthenticateResult.Fail("The API token is not valid.");

        var identity = await tokens.ValidateHashAsync(presented.Hash, Context.RequestAborted);
        if (identity is null) return AuthenticateResult.Fail("The API token is not valid.");

        // Claims made with their subject are added as they are; made without, ClaimsIdentity copies each one.
        var claims = new ClaimsIdentity(SchemeName);
        Add(claims, ClaimTypes.NameIdentifier, "token:" + identity.Id);
        Add(claims, ClaimTypes.Name, "token:" + identity.Name);
        foreach (var scope in identity.Scopes) Add(claims, AuthExtensions.ScopeClaim, scope);
        foreach (var ns in identity.Namespaces ?? []) Add(claims, NamespaceClaim, ns);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(claims), SchemeName));

        static void Add(ClaimsIdentity identity, string type, string value) =>
            identity.AddClaim(new Claim(type, value, ClaimValueTypes.String, ClaimsIdentity.DefaultIssuer, ClaimsIdentity.DefaultIssuer, identity));
    }

    private static readonly object PresentedKey = new();

    /// <summary>The credential a request presents, with its hash.</summary>
    internal sealed record PresentedToken(string Secret, string Hash);

    /// <summary>
    /// The request's credential and its SHA-256, worked out once per request: the rate limiter keys its
    /// buckets by the hash and authentication looks the token up by it. Null when no credential was sent.
    /// </summary>
    internal static PresentedToken? Presented(HttpContext context)
    {
        if (context.Items.TryGetValue(PresentedKey, out var known)) return (PresentedToken?)known;
        var presented = ReadSecret(context.Request) is { } secret ? new PresentedToken(secret, TokenService.HashSecret(secret)) : null;
        context.Items[PresentedKey] = presented;
        return presented;
    }

    internal static string? ReadSecret(HttpRequest request)
    {
        if (request.Headers.TryGetValue("X-Auth-Token", out var packet) && !string.IsNullOrWhiteSpace(packet)) return packet.ToString().Trim();
        if (request.Headers.TryGetValue("X-Nomad-Token", out var nomad) && !string.IsNullOrWhiteSpace(nomad)) return nomad.ToString().Trim();
        var authorization = request.Headers.Authorization.ToString();
        if (authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)) return authorization["Bearer ".Length..].Trim();
        // SignalR's browser and .NET clients send the token in the query string for WebSockets.
        if (request.Path.StartsWithSegments("/hubs") && request.Query.TryGetValue("access_token", out var query)) return query.ToString();
        return null;
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var message = ReadSecret(Request) is null ? "Missing API token." : "The API token is not valid.";
        return ApiErrors.WriteAsync(Context, StatusCodes.Status401Unauthorized, message);
    }

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        ApiErrors.WriteAsync(Context, StatusCodes.Status403Forbidden, "The API token does not have the scope this request needs.");
}
