using System.Security.Claims;
using Dashboard.Data.Auth;
using Microsoft.AspNetCore.Antiforgery;
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
            HttpContext http, UserService users) =>
        {
            var user = await users.VerifyAsync(username?.Trim() ?? "", password ?? "", http.RequestAborted);
            var target = SafeReturnUrl(returnUrl);
            if (user is null)
            {
                return Results.Redirect($"/login?error=1&returnUrl={Uri.EscapeDataString(target)}");
            }
            var identity = new ClaimsIdentity(
                [
                    new Claim(ClaimTypes.NameIdentifier, user.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)),
                    new Claim(ClaimTypes.Name, user.UserName),
                    new Claim(ClaimTypes.Role, user.Role),
                ],
                CookieAuthenticationDefaults.AuthenticationScheme);
            await http.SignInAsync(CookieAuthenticationDefaults.AuthenticationScheme, new ClaimsPrincipal(identity));
            return Results.LocalRedirect(target);
        }).AllowAnonymous();

        app.MapPost("/logout", async (HttpContext http) =>
        {
            await http.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
            return Results.LocalRedirect("/login");
        }).WithMetadata(new RequireAntiforgeryTokenAttribute());
        return app;
    }

    /// <summary>Only local paths, so the login form cannot be used to bounce people to another site.</summary>
    internal static string SafeReturnUrl(string? returnUrl) =>
        !string.IsNullOrEmpty(returnUrl) && returnUrl.StartsWith('/') && !returnUrl.StartsWith("//", StringComparison.Ordinal) && !returnUrl.StartsWith("/\\", StringComparison.Ordinal)
            ? returnUrl
            : "/";
}
