using System.Security.Claims;
using Dashboard.Data.Auth;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authorization;

namespace Dashboard.App.Auth;

public static class AuthPolicies
{
    /// <summary>A signed-in person with the admin role (Hangfire dashboard, token administration).</summary>
    public const string Admin = "admin";

    /// <summary>A signed-in operator or administrator: the wizards and every page action on batches, rollouts and deployments.</summary>
    public const string Operator = "operator";

    /// <summary>The policy name for an API token holding <paramref name="scope"/>.</summary>
    public static string Scope(string scope) => "scope:" + scope;
}

public static class AuthExtensions
{
    public const string ScopeClaim = "scope";

    public static IServiceCollection AddDashboardAuth(this IServiceCollection services)
    {
        services.AddAuthentication(CookieAuthenticationDefaults.AuthenticationScheme)
            .AddCookie(options =>
            {
                options.LoginPath = "/login";
                options.LogoutPath = "/logout";
                options.Cookie.Name = "dashboard.auth";
                options.Cookie.HttpOnly = true;
                options.Cookie.SameSite = SameSiteMode.Lax;
                // Secure whenever the dashboard is served over HTTPS; plain HTTP on a LAN still works.
                options.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
                options.ExpireTimeSpan = TimeSpan.FromDays(14);
                options.SlidingExpiration = true;
                options.Events.OnValidatePrincipal = SessionValidation.ValidateAsync;
            })
            .AddScheme<ApiTokenOptions, ApiTokenHandler>(ApiTokenHandler.SchemeName, _ => { });

        services.AddAntiforgery(options => options.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest);

        services.AddAuthorizationBuilder()
            .AddPolicy(AuthPolicies.Admin, p => p
                .AddAuthenticationSchemes(CookieAuthenticationDefaults.AuthenticationScheme)
                .RequireRole(Roles.Admin))
            .AddPolicy(AuthPolicies.Operator, p => p
                .AddAuthenticationSchemes(CookieAuthenticationDefaults.AuthenticationScheme)
                .RequireRole(Roles.Operator, Roles.Admin));
        foreach (var scope in ApiScopes.All)
        {
            services.AddAuthorizationBuilder().AddPolicy(AuthPolicies.Scope(scope), p => p
                .AddAuthenticationSchemes(ApiTokenHandler.SchemeName)
                .RequireAuthenticatedUser()
                .AddRequirements(new ScopeRequirement(scope)));
        }
        services.AddSingleton<IAuthorizationHandler, ScopeRequirementHandler>();
        return services;
    }
}

public sealed record ScopeRequirement(string Scope) : IAuthorizationRequirement;

internal sealed class ScopeRequirementHandler : AuthorizationHandler<ScopeRequirement>
{
    protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, ScopeRequirement requirement)
    {
        var held = context.User.FindAll(AuthExtensions.ScopeClaim).Select(c => c.Value);
        if (ApiScopes.Grants(held, requirement.Scope)) context.Succeed(requirement);
        return Task.CompletedTask;
    }
}

public static class ClaimsPrincipalExtensions
{
    public static string ActorName(this ClaimsPrincipal user) => user.Identity?.Name ?? "anonymous";

    /// <summary>Whether a signed-in person holds <paramref name="role"/> or a higher one (see <see cref="Roles.Satisfies"/>).</summary>
    public static bool HasRole(this ClaimsPrincipal user, string role) =>
        user.Identity?.IsAuthenticated == true && Roles.Satisfies(user.FindFirst(ClaimTypes.Role)?.Value, role);
}

/// <summary>
/// A person's cookie is checked against the user on each request (cached a few seconds in
/// <see cref="UserService.SessionStateAsync"/>): a disabled person or a reset password ends the session;
/// a changed role is applied to the cookie at once.
/// </summary>
internal static class SessionValidation
{
    public static async Task ValidateAsync(CookieValidatePrincipalContext context)
    {
        if (context.Principal is not { } principal || ActorContext.UserId(principal) is not { } userId) return;
        var state = await context.HttpContext.RequestServices.GetRequiredService<UserService>().SessionStateAsync(userId, context.HttpContext.RequestAborted);
        var stamp = principal.FindFirst(ActorContext.StampClaim)?.Value ?? "";
        if (state is null || state.Disabled || (stamp.Length > 0 && stamp != state.SecurityStamp))
        {
            context.RejectPrincipal();
            await context.HttpContext.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
            return;
        }
        if (principal.FindFirst(ClaimTypes.Role)?.Value == state.Role) return;
        var identity = new ClaimsIdentity(principal.Claims.Where(c => c.Type != ClaimTypes.Role), CookieAuthenticationDefaults.AuthenticationScheme);
        identity.AddClaim(new Claim(ClaimTypes.Role, state.Role));
        context.ReplacePrincipal(new ClaimsPrincipal(identity));
        context.ShouldRenew = true;
    }
}
