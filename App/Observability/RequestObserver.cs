using Dashboard.App.Api;
using Microsoft.AspNetCore.Routing.Patterns;

namespace Dashboard.App.Observability;

/// <summary>
/// Counts API work from the outside, by the matched route pattern and the answer's status, so the
/// API families' endpoint files need no metrics calls: change events and device status reports
/// that were accepted, and Nomad blocking queries while they wait. It also opens the request's
/// logging scope with the family's request id (Mender's <c>X-MEN-RequestID</c> on Mender routes),
/// so every log line written while the request runs carries the id its caller can quote.
/// </summary>
public sealed class RequestObserver(DashboardMetrics metrics, ILogger<RequestObserver> logger) : IMiddleware
{
    // Route patterns (group prefix included) whose accepted answer means one unit of work was taken in.
    private static readonly Dictionary<(string Method, string Pattern), Action<DashboardMetrics>> Accepted = new()
    {
        [("POST", "/data/events/deployments/start")] = m => m.ChangeEventIngested("bigpanda"),
        [("POST", "/data/events/deployments/end")] = m => m.ChangeEventIngested("bigpanda"),
        [("POST", "/data/changes")] = m => m.ChangeEventIngested("changes-api"),
        [("PUT", "/api/devices/v1/deployments/device/deployments/{id}/status")] = m => m.DeviceStatusReported(),
    };

    public async Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        var endpoint = context.GetEndpoint() as RouteEndpoint;
        var format = ApiErrors.FormatFor(context);
        var requestId = format?.RequestId(context) ?? context.TraceIdentifier;
        using var scope = logger.BeginScope(new RequestScope(requestId));
        using var blocking = IsBlockingQuery(context, format) ? metrics.BlockingQueryOpened() : null;

        if (endpoint is not null && Accepted.TryGetValue((context.Request.Method, Normalize(endpoint.RoutePattern)), out var count))
        {
            // Counted as the answer starts, not after it: a caller that scrapes right after its
            // accepted request must already see it counted.
            context.Response.OnStarting(() =>
            {
                if (context.Response.StatusCode is >= 200 and < 300) count(metrics);
                return Task.CompletedTask;
            });
        }
        await next(context);
    }

    // Nomad's client blocks by sending the index it last saw; without one a read answers at once.
    private static bool IsBlockingQuery(HttpContext context, IApiErrorFormat? format) =>
        format is NomadErrorFormat && HttpMethods.IsGet(context.Request.Method) && context.Request.Query.ContainsKey("index");

    // Patterns are few and live as long as their endpoints; normalised once, not on every request.
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<RoutePattern, string> Normalized = new();

    private static string Normalize(RoutePattern pattern) =>
        Normalized.GetValue(pattern, static p => "/" + (p.RawText ?? "").Trim('/'));

    /// <summary>The request's logging scope: one <c>RequestId</c> property, as structured loggers read scopes, and as text.</summary>
    private sealed class RequestScope(string requestId) : IReadOnlyList<KeyValuePair<string, object>>
    {
        public KeyValuePair<string, object> this[int index] =>
            index == 0 ? new("RequestId", requestId) : throw new ArgumentOutOfRangeException(nameof(index));

        public int Count => 1;

        public IEnumerator<KeyValuePair<string, object>> GetEnumerator()
        {
            yield return this[0];
        }

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

        public override string ToString() => "RequestId:" + requestId;
    }
}
