using Dashboard.App.Auth;
using Dashboard.Data.Auth;

namespace Dashboard.App.Components.Shared;

/// <summary>
/// What the signed-in person may do, cascaded to every page by <see cref="PermissionsProvider"/> so pages
/// can hide or disable what the person's role does not allow. This is only what the screen shows: the
/// server refuses the action anyway (<c>AuditLog</c> checks the role where the action is recorded, and the
/// admin pages carry their policy).
/// </summary>
public sealed record Permissions(bool Operate, bool Administer)
{
    /// <summary>When no provider cascades (a component rendered on its own in a test), nothing is hidden.</summary>
    public static readonly Permissions Everything = new(true, true);

    public static Permissions For(System.Security.Claims.ClaimsPrincipal user) =>
        new(user.HasRole(Roles.Operator), user.HasRole(Roles.Admin));

    /// <summary>Why an action button is disabled, for its tooltip; null when it is not.</summary>
    public string? WhyNotOperate => Operate ? null : "Viewers can look but not act: ask an administrator for the operator role.";
}
