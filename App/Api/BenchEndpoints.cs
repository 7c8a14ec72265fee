using System.Net;

namespace Dashboard.App.Api;

/// <summary>
/// <c>POST /_bench/gc</c>: a full, compacting garbage collection and a native heap trim
/// (<see cref="IdleMemory"/>, what the app does once after start-up), so a benchmark can read the
/// server's resident memory without garbage in it (bench/live.sh). Mapped only when the setting
/// <c>Dashboard:Bench:GcEndpoint</c> is true (never in a normal configuration), and it answers
/// requests from loopback addresses only.
/// </summary>
public static class BenchEndpoints
{
    public const string Setting = "Dashboard:Bench:GcEndpoint";

    public static IEndpointRouteBuilder MapBenchEndpoints(this IEndpointRouteBuilder app, IConfiguration configuration)
    {
        if (!configuration.GetValue<bool>(Setting)) return app;
        app.MapPost("/_bench/gc", (HttpContext http) =>
        {
            if (http.Connection.RemoteIpAddress is not { } remote || !IPAddress.IsLoopback(remote)) return Results.NotFound();
            IdleMemory.Release();
            return Results.Ok(new { heapBytes = GC.GetTotalMemory(false) });
        }).AllowAnonymous();
        return app;
    }
}
