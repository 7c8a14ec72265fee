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
        var secret = ReadSecret(Request);
        if (secret is null) return AuthenticateResult.NoResult();

        var identity = await tokens.ValidateAsync(secret, Context.RequestAborted);
        if (identity is null) return AuthenticateResult.Fail("The API token is not valid.");

        var claims = new List<Claim>
        {
            new(ClaimTypes.NameIdentifier, "token:" + identity.Id),
            new(ClaimTypes.Name, "token:" + identity.Name),
        };
        claims.AddRange(identity.Scopes.Select(s => new Claim(AuthExtensions.ScopeClaim, s)));
        claims.AddRange((identity.Namespaces ?? []).Select(n => new Claim(NamespaceClaim, n)));
        var principal = new ClaimsPrincipal(new ClaimsIdentity(claims, SchemeName));
        return AuthenticateResult.Success(new AuthenticationTicket(principal, SchemeName));
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
