using System.Security.Claims;
using Dashboard.Data.Auth;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authorization;

namespace Dashboard.App.Auth;

public static class AuthPolicies
{
    /// <summary>A signed-in person with the admin role (Hangfire dashboard, token administration).</summary>
    public const string Admin = "admin";

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
            })
            .AddScheme<ApiTokenOptions, ApiTokenHandler>(ApiTokenHandler.SchemeName, _ => { });

        services.AddAntiforgery(options => options.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest);

        services.AddAuthorizationBuilder()
            .AddPolicy(AuthPolicies.Admin, p => p
                .AddAuthenticationSchemes(CookieAuthenticationDefaults.AuthenticationScheme)
                .RequireRole(Roles.Admin));
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
}
