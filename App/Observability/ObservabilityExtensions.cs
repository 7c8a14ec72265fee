using Dashboard.App.Auth;
using Hangfire.Common;
using Microsoft.AspNetCore.Components.Server.Circuits;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Dashboard.App.Observability;

public static class ObservabilityExtensions
{
    // Meters the framework and libraries publish themselves (.NET 8+ and EF Core 9+ instrument
    // natively), so no per-library instrumentation package is needed for their metrics.
    private static readonly string[] FrameworkMeters =
    [
        "Microsoft.AspNetCore.Hosting",
        "Microsoft.AspNetCore.Server.Kestrel",
        "Microsoft.AspNetCore.Http.Connections",
        "Microsoft.AspNetCore.Routing",
        "Microsoft.AspNetCore.Diagnostics",
        "Microsoft.AspNetCore.Authentication",
        "Microsoft.AspNetCore.Authorization",
        "Microsoft.AspNetCore.Components",
        "Microsoft.AspNetCore.Components.Server.Circuits",
        "Microsoft.AspNetCore.Components.Lifecycle",
        "System.Net.Http",
        "System.Net.NameResolution",
        "System.Runtime",
        "Microsoft.EntityFrameworkCore",
    ];

    /// <summary>True when an OTLP collector is configured: the standard <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> or <c>Dashboard:Otlp:Endpoint</c>.</summary>
    public static bool ExportsOtlp(IConfiguration configuration) =>
        !string.IsNullOrEmpty(configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]) || !string.IsNullOrEmpty(configuration["Dashboard:Otlp:Endpoint"]);

    // The exporter reads the standard OTEL_EXPORTER_OTLP_* variables itself (endpoint, protocol,
    // headers); our own setting only fills in the endpoint when those are absent.
    private static void ConfigureOtlp(OpenTelemetry.Exporter.OtlpExporterOptions options, IConfiguration configuration)
    {
        if (string.IsNullOrEmpty(configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]) && configuration["Dashboard:Otlp:Endpoint"] is { Length: > 0 } own)
            options.Endpoint = new Uri(own);
    }

    /// <summary>
    /// Metrics for ASP.NET Core, HttpClient, EF Core and the dashboard's own meter, scraped at
    /// <c>/metrics</c>; with an OTLP endpoint configured, metrics and traces are pushed there too.
    /// </summary>
    public static IServiceCollection AddDashboardObservability(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSingleton<StateCounts>();
        services.AddSingleton<SystemStatusService>();
        services.AddSingleton<DashboardMetrics>();
        services.AddSingleton<RequestObserver>();
        services.AddSingleton<CircuitHandler, CircuitCounter>();
        services.AddSingleton<JobDurationFilter>();
        // The host's server and client take their filters from this provider: Hangfire's usual ones
        // (global and attribute filters) plus the timing filter of this host only.
        services.AddSingleton<IJobFilterProvider>(sp =>
        {
            var own = new JobFilterCollection();
            own.Add(sp.GetRequiredService<JobDurationFilter>());
            return new JobFilterProviderCollection(JobFilterProviders.Providers, own);
        });
        var access = MetricsAccessRequirement.FromConfiguration(configuration);
        services.AddSingleton<Microsoft.AspNetCore.Authorization.IAuthorizationHandler>(access);
        services.AddAuthorizationBuilder().AddPolicy(MetricsAccessRequirement.Policy, p => p
            .AddAuthenticationSchemes(ApiTokenHandler.SchemeName)
            .AddRequirements(access));

        var otlp = ExportsOtlp(configuration);
        var telemetry = services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService("dashboard", serviceInstanceId: Environment.MachineName))
            .WithMetrics(metrics =>
            {
                metrics.AddMeter(DashboardMetrics.MeterName).AddMeter(FrameworkMeters).AddPrometheusExporter(o => o.ScrapeResponseCacheDurationMilliseconds = 0);
                metrics.AddView(instrument => CardinalityLimit(instrument) is { } limit ? new MetricStreamConfiguration { CardinalityLimit = limit } : null);
                if (otlp) AddOtlpExporter(metrics, configuration);
            });
        if (otlp)
        {
            // Traces only go somewhere when a collector is configured; without one they cost nothing.
            // HttpClient (.NET 9+) and Npgsql publish activities of their own; EF Core on SQLite does not.
            telemetry.WithTracing(tracing => tracing
                .AddAspNetCoreInstrumentation()
                .AddSource("System.Net.Http", "Npgsql")
                .AddOtlpExporter(o => ConfigureOtlp(o, configuration)));
        }
        return services;
    }

    /// <summary>The points of a stream with few series (see <see cref="CardinalityLimit"/>).</summary>
    public const int SmallStreamLimit = 100;

    // OpenTelemetry allocates every metric stream's points up front, as many as its cardinality limit
    // (2,000 by default, about 140 KiB per stream, on the large object heap): the 53 streams of an idle
    // node held 7.6 MiB that way (docs/BENCHMARKS.md, "Idle memory"). Most streams have a handful of
    // series (a state, a job kind, a policy); only the ones tagged by route, remote address or
    // component type and handler can have many, and they keep the default. Series past a limit are not
    // lost: OpenTelemetry adds them up under otel.metric.overflow="true".
    internal static int? CardinalityLimit(System.Diagnostics.Metrics.Instrument instrument) =>
        instrument.Meter.Name is "System.Net.Http" or "System.Net.NameResolution"
        || instrument.Meter.Name.StartsWith("Microsoft.AspNetCore.Components", StringComparison.Ordinal)
        || instrument.Name is "http.server.request.duration" or "aspnetcore.routing.match_attempts"
            ? null
            : SmallStreamLimit;

    // Out of line: compiling a method that names the OTLP exporter loads its assembly, which a node
    // without a collector never needs (docs/BENCHMARKS.md, "Idle memory").
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static void AddOtlpExporter(MeterProviderBuilder metrics, IConfiguration configuration) =>
        metrics.AddOtlpExporter(o => ConfigureOtlp(o, configuration));

    /// <summary>Counting and the request-id logging scope, for every request after routing has chosen an endpoint.</summary>
    public static IApplicationBuilder UseRequestObserver(this IApplicationBuilder app) => app.UseMiddleware<RequestObserver>();

    /// <summary>Prometheus' text format at <c>/metrics</c>, for a <c>read</c> token or an allowed address.</summary>
    public static IEndpointConventionBuilder MapMetrics(this IEndpointRouteBuilder app) =>
        app.MapPrometheusScrapingEndpoint("/metrics").RequireAuthorization(MetricsAccessRequirement.Policy);
}
