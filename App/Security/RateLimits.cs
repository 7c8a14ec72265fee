using System.Globalization;
using System.Threading.RateLimiting;
using Dashboard.App.Api;
using Dashboard.App.Auth;
using Microsoft.AspNetCore.RateLimiting;

namespace Dashboard.App.Security;

/// <summary>One API family's allowance for one caller: a token bucket refilled every second.</summary>
public sealed class FamilyRateLimit
{
    public int PermitsPerSecond { get; set; }

    /// <summary>How many requests may arrive at once above the steady rate; the rate itself when unset.</summary>
    public int? Burst { get; set; }
}

/// <summary>
/// <c>Dashboard:RateLimits</c>: per caller (an API token, a device token, or the address of a
/// caller without one) and per API family. The defaults sit above the loads the benchmarks drive
/// with a single token (docs/BENCHMARKS.md), so they only stop a runaway client; lower them for a
/// real fleet (a Mender device polls a few times a minute).
/// </summary>
public sealed class RateLimitSettings
{
    public const string Section = "Dashboard:RateLimits";

    public bool Enabled { get; set; } = true;

    public Dictionary<string, FamilyRateLimit> Families { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    public static IReadOnlyDictionary<string, int> DefaultPermitsPerSecond { get; } = new Dictionary<string, int>
    {
        // Change-event ingest: target 5,000 events/s from one token (bench/ingest.sh).
        [RateLimits.BigPanda] = 10_000,
        // One device token drives `next` at a 10,000/s target (RolloutBenchmark); with the idle-device
        // cache a quiet 2-core box answers about 18,000/s, which a 20,000/s bucket already clipped.
        [RateLimits.MenderDevices] = 50_000,
        [RateLimits.Mender] = 2_000,
        [RateLimits.Nomad] = 2_000,
        [RateLimits.Packet] = 2_000,
        [RateLimits.Api] = 2_000,
        [RateLimits.Hub] = 200,
    };

    public FamilyRateLimit For(string family) =>
        Families.TryGetValue(family, out var configured) && configured.PermitsPerSecond > 0
            ? configured
            : new FamilyRateLimit { PermitsPerSecond = DefaultPermitsPerSecond[family] };
}

/// <summary>
/// ASP.NET Core's rate limiter over the compatible APIs: each caller gets its own bucket in each
/// family, so one token (or one misbehaving device) cannot starve the others or the dashboard.
/// It runs before authentication, keyed by a hash of the credential as sent, so a flood costs no
/// token lookups. Pages, the circuit, <c>/healthz</c> and static files are not limited. A refusal
/// is 429 with <c>Retry-After</c> in the family's own error format.
/// </summary>
public static class RateLimits
{
    public const string BigPanda = "bigpanda";
    public const string MenderDevices = "mender-devices";
    public const string Mender = "mender";
    public const string Nomad = "nomad";
    public const string Packet = "packet";
    public const string Api = "api";
    public const string Hub = "hub";

    private static readonly (PathString Prefix, string Family)[] Prefixes =
    [
        (new("/api/devices"), MenderDevices),
        (new("/api/management"), Mender),
        (new("/api"), Api),
        (new("/v1"), Nomad),
        (new("/data"), BigPanda),
        (new("/hubs"), Hub),
        (new("/projects"), Packet),
        (new("/batches"), Packet),
        (new("/devices"), Packet),
        (new("/facilities"), Packet),
        (new("/plans"), Packet),
        (new("/operating-systems"), Packet),
        (new("/capacity"), Packet),
    ];

    /// <summary>The family a request is limited in; null for what is not limited (pages, health, assets).</summary>
    public static string? FamilyOf(HttpContext context)
    {
        var path = context.Request.Path;
        foreach (var (prefix, family) in Prefixes)
        {
            if (!path.StartsWithSegments(prefix, StringComparison.OrdinalIgnoreCase)) continue;
            // Packet's paths are shared with pages (/batches, /batches/new): a page visit carries no API credential.
            if (family == Packet && ApiTokenHandler.Presented(context) is null && ApiErrors.FormatFor(context) is null) return null;
            return family;
        }
        return null;
    }

    public static IServiceCollection AddDashboardRateLimits(this IServiceCollection services)
    {
        services.AddSingleton(sp => sp.GetRequiredService<IConfiguration>().GetSection(RateLimitSettings.Section).Get<RateLimitSettings>() ?? new RateLimitSettings());
        services.AddRateLimiter(options =>
        {
            options.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            options.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, (string, string)>(context =>
            {
                var settings = context.RequestServices.GetRequiredService<RateLimitSettings>();
                var family = settings.Enabled ? FamilyOf(context) : null;
                if (family is null) return RateLimitPartition.GetNoLimiter((string.Empty, string.Empty));
                var caller = ApiTokenHandler.Presented(context)?.Hash ?? "address " + context.Connection.RemoteIpAddress;
                // The factory runs once per bucket, not per request.
                return RateLimitPartition.GetTokenBucketLimiter((family, caller), key =>
                {
                    var limit = settings.For(key.Item1);
                    return new TokenBucketRateLimiterOptions
                    {
                        TokenLimit = limit.Burst ?? limit.PermitsPerSecond,
                        TokensPerPeriod = limit.PermitsPerSecond,
                        ReplenishmentPeriod = TimeSpan.FromSeconds(1),
                        QueueLimit = 0,
                        AutoReplenishment = true,
                    };
                });
            });
            options.OnRejected = (rejected, _) =>
            {
                var retryAfter = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : TimeSpan.FromSeconds(1);
                var seconds = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds));
                var http = rejected.HttpContext;
                http.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
                return new ValueTask(ApiErrors.WriteAsync(http, StatusCodes.Status429TooManyRequests,
                    $"Rate limit exceeded for this token on the {FamilyOf(http)} API; retry after {seconds} s."));
            };
        });
        return services;
    }
}
