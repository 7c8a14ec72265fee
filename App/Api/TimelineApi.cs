using Dashboard.App.Auth;
using Dashboard.Data.Auth;
using Dashboard.Data.Timeline;

namespace Dashboard.App.Api;

/// <summary>The dashboard's own read API for the timeline: <c>GET /api/timeline</c>, newest first.</summary>
public static class TimelineApi
{
    public static IEndpointRouteBuilder MapTimelineApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/timeline")
            .WithTags("Timeline")
            .WithMetadata(JsonErrorFormat.Instance)
            .RequireAuthorization(AuthPolicies.Scope(ApiScopes.Read));

        group.MapGet("/", async (string? source, string? component, string? host, string? status, int? limit, TimelineService timeline, CancellationToken ct) =>
        {
            if (limit is < 1 or > 1000) return ApiErrors.Result(StatusCodes.Status400BadRequest, "limit must be between 1 and 1000.", "limit");
            var entries = await timeline.RecentAsync(new TimelineFilter(source, component, host, status), limit ?? 100, ct);
            return Results.Ok(entries);
        }).WithName("ListTimeline");
        return app;
    }
}
