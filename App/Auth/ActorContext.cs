using System.Globalization;
using System.Net;
using System.Security.Claims;
using Dashboard.Data.Audit;
using Dashboard.Data.Auth;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Components.Server.Circuits;

namespace Dashboard.App.Auth;

/// <summary>
/// Fills the audit log's ambient actor (<see cref="IActorContext"/>) for every operation the web layer
/// runs: each HTTP request (after authorization, so API tokens are known) and each event of a Blazor
/// circuit. Services never take the actor as a parameter for the audit log; they read it from there.
/// </summary>
public static class ActorContext
{
    /// <summary>The claim holding a person's sign-in session id (random, per sign-in).</summary>
    public const string SessionClaim = "sid";

    /// <summary>The claim holding the security stamp the session signed in with (see <see cref="User.SecurityStamp"/>).</summary>
    public const string StampClaim = "stamp";

    public static IServiceCollection AddActorContext(this IServiceCollection services)
    {
        services.AddHttpContextAccessor();
        services.AddScoped<CircuitHandler, ActorCircuitHandler>();
        return services;
    }

    /// <summary>After <c>UseAuthorization</c>: every request runs as its actor, and an action it attempted that failed is recorded.</summary>
    public static IApplicationBuilder UseActorContext(this IApplicationBuilder app) => app.Use((context, next) =>
        RunAsAsync(From(context.User, context.Connection.RemoteIpAddress), context.RequestServices.GetRequiredService<AuditLog>(), () => next(context)));

    /// <summary>
    /// Runs one request or circuit event as <paramref name="actor"/>, then writes the refusal of an action it
    /// attempted that did not go through: thrown (the action's transaction is gone, so it is written on its own
    /// and the exception goes on to the error handler as before), or caught by a page to show it.
    /// </summary>
    internal static async Task RunAsAsync(Actor actor, AuditLog audit, Func<Task> next)
    {
        using var _ = AmbientActorContext.Begin(actor);
        try
        {
            await next();
        }
        catch (Exception e)
        {
            await audit.FinishAsync(e);
            throw;
        }
        await audit.FinishAsync();
    }

    /// <summary>The actor a principal stands for: a person, an API token (or a kiosk signed in with one), or anonymous.</summary>
    public static Actor From(ClaimsPrincipal user, IPAddress? remote, string? currentRole = null)
    {
        var address = remote?.ToString();
        var id = user.FindFirst(ClaimTypes.NameIdentifier)?.Value;
        if (user.Identity?.IsAuthenticated != true || id is null) return new Actor("anonymous", ActorKinds.Person, RemoteAddress: address);
        if (id.StartsWith("token:", StringComparison.Ordinal) || id.StartsWith("kiosk:", StringComparison.Ordinal))
        {
            var name = user.Identity.Name ?? id;
            if (name.StartsWith("token:", StringComparison.Ordinal)) name = name["token:".Length..];
            return new Actor(name, ActorKinds.Token, TokenId: TokenId(user), RemoteAddress: address);
        }
        return new Actor(user.Identity.Name ?? id, ActorKinds.Person, currentRole ?? user.FindFirst(ClaimTypes.Role)?.Value,
            SessionId: user.FindFirst(SessionClaim)?.Value, RemoteAddress: address);
    }

    /// <summary>The API token behind a principal: a token's own (<c>token:N</c>) or a kiosk cookie's (<c>kiosk:N</c>); null for people.</summary>
    public static int? TokenId(ClaimsPrincipal? principal)
    {
        var id = principal?.FindFirst(ClaimTypes.NameIdentifier)?.Value;
        foreach (var prefix in (ReadOnlySpan<string>)["token:", "kiosk:"])
        {
            if (id is not null && id.StartsWith(prefix, StringComparison.Ordinal)
                && int.TryParse(id.AsSpan(prefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out var tokenId))
                return tokenId;
        }
        return null;
    }

    /// <summary>A person's user id, when the principal is a person signed in with a cookie.</summary>
    public static int? UserId(ClaimsPrincipal user) =>
        int.TryParse(user.FindFirst(ClaimTypes.NameIdentifier)?.Value, NumberStyles.None, CultureInfo.InvariantCulture, out var id) ? id : null;
}

/// <summary>
/// A circuit's events run as the signed-in person, with the role they hold now (read again, cached for a
/// few seconds), so an administrator's demotion or disabling applies to pages already open.
/// </summary>
internal sealed class ActorCircuitHandler(AuthenticationStateProvider authentication, UserService users, AuditLog audit, IHttpContextAccessor http) : CircuitHandler
{
    // The circuit is created inside the SignalR connection's request; its address is the browser's.
    private readonly IPAddress? _remote = http.HttpContext?.Connection.RemoteIpAddress;

    public override Func<CircuitInboundActivityContext, Task> CreateInboundActivityHandler(Func<CircuitInboundActivityContext, Task> next) => async context =>
    {
        var user = (await authentication.GetAuthenticationStateAsync()).User;
        string? role = null;
        if (ActorContext.UserId(user) is { } userId)
        {
            var state = await users.SessionStateAsync(userId);
            // A disabled or removed person keeps the page open but may no longer act.
            role = state is null || state.Disabled ? "" : state.Role;
        }
        await ActorContext.RunAsAsync(ActorContext.From(user, _remote, role), audit, () => next(context));
    };
}
