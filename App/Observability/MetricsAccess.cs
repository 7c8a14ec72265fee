using System.Net;
using Dashboard.App.Auth;
using Dashboard.Data.Auth;
using Microsoft.AspNetCore.Authorization;

namespace Dashboard.App.Observability;

/// <summary>
/// Who may scrape <c>/metrics</c>: an API token with the <c>read</c> scope, or a caller whose
/// address is in <c>Dashboard:Metrics:AllowedAddresses</c> (addresses or CIDR ranges, comma
/// separated). The list is empty by default, loopback included: behind a reverse proxy on the
/// same box every caller would look like loopback, so an open default would expose the metrics.
/// </summary>
public sealed class MetricsAccessRequirement(IReadOnlyList<IPNetwork> allowed) : AuthorizationHandler<MetricsAccessRequirement>, IAuthorizationRequirement
{
    public const string Policy = "metrics";

    public static MetricsAccessRequirement FromConfiguration(IConfiguration configuration) =>
        new(Parse(configuration["Dashboard:Metrics:AllowedAddresses"]));

    public static IReadOnlyList<IPNetwork> Parse(string? list) =>
    [
        .. (list ?? "").Split([',', ';', ' '], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(entry => entry.Contains('/') ? IPNetwork.Parse(entry) : new IPNetwork(IPAddress.Parse(entry), IPAddress.Parse(entry).AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128)),
    ];

    public bool Allows(IPAddress? remote)
    {
        if (remote is null) return false;
        if (remote.IsIPv4MappedToIPv6) remote = remote.MapToIPv4();
        return allowed.Any(network => network.Contains(remote));
    }

    protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, MetricsAccessRequirement requirement)
    {
        var held = context.User.FindAll(AuthExtensions.ScopeClaim).Select(c => c.Value);
        var remote = (context.Resource as HttpContext)?.Connection.RemoteIpAddress;
        if (ApiScopes.Grants(held, ApiScopes.Read) || requirement.Allows(remote)) context.Succeed(requirement);
        return Task.CompletedTask;
    }
}
