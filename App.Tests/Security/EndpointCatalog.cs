using Dashboard.App.Tests.Infrastructure;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Patterns;

namespace Dashboard.App.Tests.Security;

/// <summary>One mapped endpoint as a request can reach it: a verb and the route pattern.</summary>
public sealed record MappedEndpoint(string Method, string Pattern, RouteEndpoint Endpoint)
{
    public string Key => $"{Method} {Pattern}";

    /// <summary>The pattern with every parameter filled by <paramref name="value"/> (a catch-all by one segment).</summary>
    public string PathWith(Func<RoutePatternParameterPart, string> value) =>
        "/" + string.Join('/', Endpoint.RoutePattern.PathSegments.Select(s => string.Concat(s.Parts.Select(p => p switch
        {
            RoutePatternLiteralPart literal => literal.Content,
            RoutePatternSeparatorPart separator => separator.Content,
            RoutePatternParameterPart parameter => Uri.EscapeDataString(value(parameter)),
            _ => "",
        }))));
}

/// <summary>Every endpoint the app maps, each verb once; static files and the tests' own fault routes left out.</summary>
public static class EndpointCatalog
{
    public static IReadOnlyList<MappedEndpoint> All(DashboardApp app) =>
    [
        .. app.Service<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => !IsStaticFile(e) && !(e.RoutePattern.RawText ?? "").Contains(FaultEndpoints.Segment, StringComparison.Ordinal))
            .SelectMany(e => (e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? ["*"])
                .Where(m => m is not "HEAD" and not "OPTIONS")
                .Select(m => new MappedEndpoint(m, Normalize(e.RoutePattern), e)))
            .DistinctBy(e => e.Key)
            .OrderBy(e => e.Pattern, StringComparer.Ordinal).ThenBy(e => e.Method, StringComparer.Ordinal),
    ];

    public static string Normalize(RoutePattern pattern) => "/" + (pattern.RawText ?? "").Trim('/');

    // MapStaticAssets maps one endpoint per file (and per compressed variant).
    private static bool IsStaticFile(RouteEndpoint endpoint) =>
        endpoint.Metadata.Any(m => m.GetType().FullName?.StartsWith("Microsoft.AspNetCore.StaticAssets", StringComparison.Ordinal) == true)
        || (endpoint.DisplayName?.Contains("static asset", StringComparison.OrdinalIgnoreCase) ?? false);
}
