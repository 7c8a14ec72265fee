using System.Diagnostics.Metrics;
using System.Globalization;
using System.Net;
using System.Text;
using Dashboard.App.Observability;
using Dashboard.App.Tests.Infrastructure;
using Dashboard.Jobs.Timeline;
using Hangfire;

namespace Dashboard.App.Tests.Observability;

[Collection(AppCollection.Name)]
public sealed class MetricsTests(AppFixture fixture)
{
    private static readonly CancellationToken Ct = TestContext.Current.CancellationToken;

    private async Task<string> ScrapeAsync()
    {
        using var client = fixture.App.ApiClient();
        using var response = await client.GetAsync("/metrics", Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        return await response.Content.ReadAsStringAsync(Ct);
    }

    /// <summary>The sum of a metric's samples whose labels contain <paramref name="label"/>; 0 when there are none yet.</summary>
    private static double Sum(string scrape, string metric, string label = "") => scrape
        .Split('\n')
        .Where(line => line.StartsWith(metric + "{", StringComparison.Ordinal) && line.Contains(label, StringComparison.Ordinal))
        .Sum(line => double.Parse(line[(line.LastIndexOf('}') + 1)..].Trim().Split(' ')[0], CultureInfo.InvariantCulture));

    [Fact]
    public async Task Scrape_CountsAChangeEvent_InPrometheusTextFormat()
    {
        var before = Sum(await ScrapeAsync(), "dashboard_change_events_ingested_total", "source=\"bigpanda\"");

        using var client = fixture.App.ApiClient();
        var body = $$"""{"component":"metrics-{{Guid.NewGuid():N}}","version":"1.0.0","hosts":["metrics-host"]}""";
        using var posted = await client.PostAsync("/data/events/deployments/start", new StringContent(body, Encoding.UTF8, "application/json"), Ct);
        Assert.Equal(HttpStatusCode.Created, posted.StatusCode);

        var scrape = await ScrapeAsync();
        Assert.Equal(before + 1, Sum(scrape, "dashboard_change_events_ingested_total", "source=\"bigpanda\""));
        Assert.Contains("# TYPE dashboard_change_events_ingested_total counter", scrape);
        // The state gauges, the circuits and blocking-query counts, and the framework's own meters.
        Assert.Contains("# TYPE dashboard_batches gauge", scrape);
        Assert.Contains("dashboard_circuits_open", scrape);
        Assert.Contains("dashboard_nomad_blocking_queries_open", scrape);
        // ASP.NET Core's own meters (http_server_*, kestrel_*) are per host; OpenTelemetry listens by
        // meter name process-wide, so another test host stopping ends their streams here. One app per
        // process in production; not asserted in this shared test process.
        Assert.Contains("microsoft_entityframeworkcore", scrape);
    }

    [Fact]
    public async Task JobDuration_IsRecorded_WhenABackgroundJobRuns()
    {
        var recorded = new TaskCompletionSource<double>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == DashboardMetrics.MeterName && instrument.Name == "dashboard.job.duration") l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<double>((_, value, tags, _) =>
        {
            foreach (var tag in tags)
                if (tag is { Key: "job", Value: "TimelineRetentionJob.RunAsync" }) recorded.TrySetResult(value);
        });
        listener.Start();

        fixture.App.Service<IBackgroundJobClient>().Enqueue<TimelineRetentionJob>(job => job.RunAsync(CancellationToken.None));

        Assert.True(await recorded.Task.WaitAsync(TimeSpan.FromSeconds(30), Ct) >= 0);
    }

    [Fact]
    public async Task Scrape_Returns401_WithoutTokenFromAnAddressNotAllowed()
    {
        using var client = fixture.App.ApiClient(token: null);
        using var response = await client.GetAsync("/metrics", Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.DoesNotContain("dashboard_", await response.Content.ReadAsStringAsync(Ct));
    }

    [Theory]
    [InlineData("127.0.0.1", "127.0.0.1", true)]
    [InlineData("10.0.0.0/8", "10.20.30.40", true)]
    [InlineData("10.0.0.0/8", "192.168.1.1", false)]
    [InlineData("::1, 127.0.0.1", "::ffff:127.0.0.1", true)]
    [InlineData("", "127.0.0.1", false)]
    public void AllowedAddresses_MatchAddressesAndRanges(string list, string remote, bool allowed) =>
        Assert.Equal(allowed, new MetricsAccessRequirement(MetricsAccessRequirement.Parse(list)).Allows(IPAddress.Parse(remote)));

    [Theory]
    [InlineData("Microsoft.AspNetCore.Hosting", "http.server.request.duration", null)]
    [InlineData("Microsoft.AspNetCore.Routing", "aspnetcore.routing.match_attempts", null)]
    [InlineData("System.Net.Http", "http.client.request.duration", null)]
    [InlineData("System.Net.NameResolution", "dns.lookup.duration", null)]
    [InlineData("Microsoft.AspNetCore.Components", "aspnetcore.components.handle_event.duration", null)]
    [InlineData("Microsoft.AspNetCore.Components.Lifecycle", "aspnetcore.components.update_parameters.duration", null)]
    [InlineData("Microsoft.AspNetCore.Hosting", "http.server.active_requests", ObservabilityExtensions.SmallStreamLimit)]
    [InlineData("Microsoft.AspNetCore.Server.Kestrel", "kestrel.active_connections", ObservabilityExtensions.SmallStreamLimit)]
    [InlineData(DashboardMetrics.MeterName, "dashboard.job.duration", ObservabilityExtensions.SmallStreamLimit)]
    public void CardinalityLimit_IsTheDefault_OnlyForStreamsTaggedByRouteAddressOrComponent(string meter, string instrument, int? limit)
    {
        using var owner = new Meter(meter);
        Assert.Equal(limit, ObservabilityExtensions.CardinalityLimit(owner.CreateCounter<long>(instrument)));
    }
}
