using System.Security.Claims;
using Dashboard.App.Auth;
using Dashboard.Data.Auth;

namespace Dashboard.App.Api;

/// <summary>
/// Nomad's namespace capabilities for the caller's token: <c>read-job</c> for reads and
/// <c>submit-job</c> for writes, in the namespaces its policy names (<see cref="NamespacePolicy"/>).
/// The scopes have already been checked by the endpoint's authorization policy; this narrows them
/// to namespaces. Nomad answers a namespace outside the policy with 403 "Permission denied".
/// </summary>
public static class NomadAcl
{
    /// <summary>The token's policy; null when it has none (or the caller is a signed-in person).</summary>
    public static IReadOnlyCollection<string>? Policy(ClaimsPrincipal user)
    {
        var entries = user.FindAll(ApiTokenHandler.NamespaceClaim).Select(c => c.Value).ToList();
        return entries.Count == 0 ? null : entries;
    }

    /// <exception cref="PermissionDeniedException">The policy does not allow <paramref name="capability"/> in <paramref name="ns"/>.</exception>
    public static void Require(HttpContext http, string ns, string capability)
    {
        if (!NamespacePolicy.Allows(Policy(http.User), ns, capability)) throw new PermissionDeniedException();
    }

    public static bool Allows(HttpContext http, string ns, string capability) => NamespacePolicy.Allows(Policy(http.User), ns, capability);

    /// <summary>What <c>namespace=*</c> may show: null for every namespace.</summary>
    public static IReadOnlyCollection<string>? Readable(HttpContext http) => NamespacePolicy.Readable(Policy(http.User));
}

/// <summary>The caller's token may not do this in this namespace: Nomad's 403 "Permission denied".</summary>
public sealed class PermissionDeniedException() : Exception(NomadErrorFormat.PermissionDenied);
