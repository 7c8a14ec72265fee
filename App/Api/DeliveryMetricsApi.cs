using Dashboard.App.Auth;
using Dashboard.Data.Auth;
using Dashboard.Data.Delivery;

namespace Dashboard.App.Api;

/// <summary>Delivery metrics as JSON: <c>GET /api/delivery-metrics?days=30&amp;component=</c> (a token with <c>read</c>).</summary>
public static class DeliveryMetricsApi
{
    public static IEndpointRouteBuilder MapDeliveryMetricsApi(this IEndpointRouteBuilder app)
    {
        app.MapGroup("/api/delivery-metrics")
            .WithTags("Delivery")
            .WithMetadata(JsonErrorFormat.Instance)
            .RequireAuthorization(AuthPolicies.Scope(ApiScopes.Read))
            .MapGet("/", async (int? days, string? component, DeliveryMetricsService metrics, CancellationToken ct) =>
                Results.Ok(await metrics.ReportAsync(days ?? 30, component, ct)))
            .WithName("GetDeliveryMetrics");
        return app;
    }
}
