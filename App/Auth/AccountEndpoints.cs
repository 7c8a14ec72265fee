using System.Security.Claims;
using Dashboard.Data.Audit;
using System.Text.Encodings.Web;
using Dashboard.Data.Auth;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Mvc;

namespace Dashboard.App.Auth;

/// <summary>Form posts from the (statically rendered) login page; cookies cannot be set from a circuit.</summary>
public static class AccountEndpoints
{
    public static IEndpointRouteBuilder MapAccountEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapPost("/account/login", async Task<IResult> (
            [FromForm] string? username, [FromForm] string? password, [FromForm] string? returnUrl,
            HttpContext http, SignInService signIn) =>
        {
            var session = Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(8));
            var target = SafeReturnUrl(returnUrl);
            User? user;
            try
            {
                user = await signIn.SignInAsync(username ?? "", password ?? "", session, http.Connection.RemoteIpAddress?.ToString(), "sign-in form", http.RequestAborted);
            }
            catch (TooManyAttemptsException throttled)
            {
                return Throttled(http, throttled, target);
            }
            if (user is null)
            {
                return Results.Redirect($"/login?error=1&returnUrl={Uri.EscapeDataString(target)}");
            }
            var identity = new ClaimsIdentity(
                [
                    new Claim(ClaimTypes.NameIdentifier, user.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)),
                    new Claim(ClaimTypes.Name, user.UserName),
                    new Claim(ClaimTypes.Role, user.Role),
                    new Claim(ActorContext.SessionClaim, session),
                    new Claim(ActorContext.StampClaim, user.SecurityStamp),
                ],
                CookieAuthenticationDefaults.AuthenticationScheme);
            await http.SignInAsync(CookieAuthenticationDefaults.AuthenticationScheme, new ClaimsPrincipal(identity));
            return Results.LocalRedirect(target);
        }).AllowAnonymous();

        app.MapPost("/logout", async (HttpContext http, AuditLog audit) =>
        {
            if (ActorContext.UserId(http.User) is { } id)
                await audit.RecordAsync(AuditActions.SignOut, AuditTargets.User, http.User.ActorName(), AuditOutcomes.Succeeded, null, ct: http.RequestAborted);
            await http.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
            return Results.LocalRedirect("/login");
        })
        // No antiforgery check: a form left open across a restart or a key rotation carries a stale
        // token, and refusing a sign-out with a bare 400 helps nobody. A forged post can at worst
        // sign someone out (and the Lax cookie is not even sent with a cross-site post).
        .DisableAntiforgery();
        return app;
    }

    /// <summary>
    /// 429 with <c>Retry-After</c>, and for the person at the browser a calm page in the sign-in
    /// card's look that says how long to wait, with the way back to the form.
    /// </summary>
    private static IResult Throttled(HttpContext http, TooManyAttemptsException throttled, string returnUrl)
    {
        http.Response.Headers.RetryAfter = throttled.RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var back = HtmlEncoder.Default.Encode($"/login?throttled={throttled.RetryAfterSeconds}&returnUrl={Uri.EscapeDataString(returnUrl)}");
        var wait = HtmlEncoder.Default.Encode(TooManyAttemptsException.Describe(throttled.RetryAfter));
        var html = $"""
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8" /><title>Sign in · Dashboard</title><link rel="stylesheet" href="/app.css" /></head>
            <body><div class="login-shell"><div class="login-card" data-testid="login-throttled">
            <h1>Dashboard</h1>
            <p class="sub">Too many sign-in attempts failed, so signing in is paused for a moment. This protects the account from password guessing.</p>
            <div class="error" role="alert">Please wait {wait}, then try again.</div>
            <p><a href="{back}">Back to sign in</a></p>
            </div></div></body></html>
            """;
        return Results.Content(html, "text/html; charset=utf-8", statusCode: StatusCodes.Status429TooManyRequests);
    }

    /// <summary>Only local paths, so the login form cannot be used to bounce people to another site.</summary>
    internal static string SafeReturnUrl(string? returnUrl) =>
        !string.IsNullOrEmpty(returnUrl) && returnUrl.StartsWith('/') && !returnUrl.StartsWith("//", StringComparison.Ordinal) && !returnUrl.StartsWith("/\\", StringComparison.Ordinal)
            ? returnUrl
            : "/";
}
