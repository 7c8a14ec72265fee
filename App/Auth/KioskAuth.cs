using System.Globalization;
using System.Security.Claims;
using Dashboard.Data.Auth;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Components.Server;

namespace Dashboard.App.Auth;

/// <summary>
/// The wall screen signs in once with a kiosk token in its URL (<c>/kiosk/login?token=...</c>) and
/// then holds a long-lived cookie for a read-only kiosk principal. That principal may open
/// <c>/kiosk</c> (which checks sign-in itself) and nothing else: the default page policy refuses it.
/// </summary>
public static class KioskAuth
{
    public const string Role = "kiosk";

    public static readonly TimeSpan CookieLifetime = TimeSpan.FromDays(365);

    public static IServiceCollection AddKiosk(this IServiceCollection services)
    {
        services.AddAuthorizationBuilder()
            // Every page has [Authorize] (the default policy): signed-in people, never a kiosk screen.
            .SetDefaultPolicy(new AuthorizationPolicyBuilder()
                .RequireAuthenticatedUser()
                .RequireAssertion(c => !c.User.IsInRole(Role))
                .Build());
        // A screen (or person) refused a page lands on a plain answer, not on a missing page.
        services.PostConfigure<CookieAuthenticationOptions>(CookieAuthenticationDefaults.AuthenticationScheme, o =>
        {
            o.AccessDeniedPath = "/denied";
            // Chained, not replaced: people's sessions are checked too (disabled, demoted, password reset; SessionValidation).
            var people = o.Events.OnValidatePrincipal;
            o.Events.OnValidatePrincipal = async context =>
            {
                await RejectRevokedKioskAsync(context);
                if (context.Principal is not null) await people(context);
            };
        });
        // Before AddRazorComponents, whose default provider is only a fallback: open kiosk circuits re-check their token too.
        services.AddScoped<AuthenticationStateProvider, TokenRevalidatingStateProvider>();
        return services;
    }

    /// <summary>The API token a kiosk principal was signed in with; null for people.</summary>
    internal static int? TokenId(ClaimsPrincipal? principal) =>
        principal?.FindFirst(ClaimTypes.NameIdentifier)?.Value is { } id && id.StartsWith("kiosk:", StringComparison.Ordinal)
        && int.TryParse(id.AsSpan("kiosk:".Length), NumberStyles.None, CultureInfo.InvariantCulture, out var tokenId)
            ? tokenId
            : null;

    /// <summary>
    /// Every request with a kiosk cookie re-checks the token it came from (cached for 30 s, dropped on a
    /// revocation), so revoking or expiring the token signs the screen out instead of a year later.
    /// </summary>
    private static async Task RejectRevokedKioskAsync(CookieValidatePrincipalContext context)
    {
        if (TokenId(context.Principal) is not { } tokenId) return;
        var tokens = context.HttpContext.RequestServices.GetRequiredService<TokenService>();
        if (await tokens.IsActiveAsync(tokenId, context.HttpContext.RequestAborted)) return;
        context.RejectPrincipal();
        await context.HttpContext.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
    }

    public static IEndpointRouteBuilder MapKioskEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/kiosk/login", async Task<IResult> (string? token, HttpContext http, TokenService tokens, TimeProvider clock) =>
        {
            var identity = string.IsNullOrWhiteSpace(token) ? null : await tokens.ValidateAsync(token, http.RequestAborted);
            if (identity is null || !ApiScopes.Grants(identity.Scopes, ApiScopes.Kiosk))
            {
                return Results.Content(
                    "This kiosk link is not valid: ask an administrator for a token with the 'kiosk' scope (Settings, API tokens).",
                    "text/plain", statusCode: StatusCodes.Status401Unauthorized);
            }
            var principal = new ClaimsPrincipal(new ClaimsIdentity(
                [
                    new Claim(ClaimTypes.NameIdentifier, "kiosk:" + identity.Id.ToString(CultureInfo.InvariantCulture)),
                    new Claim(ClaimTypes.Name, "kiosk " + identity.Name),
                    new Claim(ClaimTypes.Role, Role),
                ],
                CookieAuthenticationDefaults.AuthenticationScheme));
            await http.SignInAsync(CookieAuthenticationDefaults.AuthenticationScheme, principal, new AuthenticationProperties
            {
                IsPersistent = true,
                ExpiresUtc = clock.GetUtcNow() + CookieLifetime,
                AllowRefresh = true,
            });
            // The token stays out of the address bar (and out of screenshots of the wall).
            return Results.LocalRedirect("/kiosk");
        }).AllowAnonymous();

        app.MapGet("/denied", (HttpContext http) => Results.Content(
            http.User.IsInRole(Role)
                ? "This screen is signed in as a kiosk and may only show /kiosk."
                : "You are signed in but may not open that page.",
            "text/plain", statusCode: StatusCodes.Status403Forbidden)).AllowAnonymous();
        return app;
    }
}

/// <summary>
/// The circuit's view of who is signed in, re-checked every 30 seconds: a kiosk screen whose token
/// was revoked (or expired) becomes signed out on its open page, not only on its next reload.
/// </summary>
internal sealed class TokenRevalidatingStateProvider(ILoggerFactory loggers, TokenService tokens) : RevalidatingServerAuthenticationStateProvider(loggers)
{
    protected override TimeSpan RevalidationInterval => TimeSpan.FromSeconds(30);

    protected override async Task<bool> ValidateAuthenticationStateAsync(AuthenticationState authenticationState, CancellationToken cancellationToken) =>
        KioskAuth.TokenId(authenticationState.User) is not { } tokenId || await tokens.IsActiveAsync(tokenId, cancellationToken);
}
