using Dashboard.App.Api;
using Dashboard.Data;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;

namespace Dashboard.App.Tests.Infrastructure;

/// <summary>
/// Test-only routes, one group per API family under that family's own paths, that throw what the
/// request names: the app's routes cannot be made to fail unexpectedly on demand, and Mender's and
/// Nomad's routes are built elsewhere. They are added by the test host at the very end of the real
/// pipeline, so everything the app puts in front of its own routes (its exception handling, its
/// status-code pages, authentication) runs around them exactly as around a real route; production
/// code carries no test hook.
/// </summary>
public sealed class FaultEndpoints : IStartupFilter
{
    public const string Segment = "test-faults";

    public static readonly IReadOnlyDictionary<string, (string Prefix, IApiErrorFormat Format)> Families = new Dictionary<string, (string, IApiErrorFormat)>
    {
        ["packet"] = ("/projects", PacketErrorFormat.Instance),
        ["bigpanda"] = ("/data", BigPandaErrorFormat.Instance),
        ["mender"] = ("/api/management/v1", MenderErrorFormat.Instance),
        ["nomad"] = ("/v1", NomadErrorFormat.Instance),
        ["dashboard"] = ("/api", JsonErrorFormat.Instance),
    };

    /// <summary>The path that throws <paramref name="kind"/> in <paramref name="family"/>'s route group.</summary>
    public static string PathFor(string family, string kind) => $"{Families[family].Prefix}/{Segment}/{kind}";

    /// <summary>The message of the unexpected exception; it must never reach a client.</summary>
    public const string Secret = "secret-internal-detail-5f2c";

    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
    {
        next(app);
        // Only requests the app's own routes did not match get this far.
        app.UseRouting();
        app.UseEndpoints(endpoints =>
        {
            foreach (var (prefix, format) in Families.Values)
            {
                var group = endpoints.MapGroup($"{prefix}/{Segment}").WithMetadata(format);
                group.MapGet("/{kind}", (string kind) => Throw(kind));
                // GET with a body: in Development, MapStaticAssets' catch-all GET fallback makes the
                // app's own routing answer 405 to a POST on any unknown path before it gets here.
                group.MapGet("/json", ([FromBody] FaultBody body) => Results.Ok(body));
            }
        });
    };

    private static IResult Throw(string kind) => throw (kind switch
    {
        "unexpected" => new InvalidOperationException(Secret),
        "validation" => new ValidationException("name", "name must not be empty."),
        "not-found" => new NotFoundException("Thing", "t-404"),
        "conflict" => new ConflictException("The thing is already finished."),
        "concurrency" => new DbUpdateConcurrencyException("rows affected 0"),
        "too-large" => new BadHttpRequestException("Request body too large.", StatusCodes.Status413PayloadTooLarge),
        // What Npgsql throws when the server is at max_connections, wrapped as EF wraps it on save.
        "db-too-many-clients" => new DbUpdateException("save failed", new Npgsql.PostgresException("sorry, too many clients already", "FATAL", "FATAL", "53300")),
        "db-pool-exhausted" => new Npgsql.NpgsqlException("The connection pool has been exhausted", new TimeoutException()),
        "db-busy" => new Microsoft.Data.Sqlite.SqliteException("database is locked", 5),
        _ => new ArgumentOutOfRangeException(nameof(kind), kind, "unknown fault"),
    });

    public sealed record FaultBody(string Name, int Count);
}
