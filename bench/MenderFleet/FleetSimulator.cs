using System.Diagnostics;
using System.Globalization;
using System.Net;

namespace Dashboard.MenderFleet;

/// <summary>Runs a fleet of <see cref="VirtualDevice"/>s (and the <c>--accept</c> operator) against one server and reports what happened.</summary>
public static class FleetSimulator
{
    public static async Task<FleetStats> RunAsync(FleetOptions options, TextWriter output, CancellationToken ct)
    {
        options.Validate();
        var stats = new FleetStats();
        using var gate = new RequestGate(options.Concurrency, options.Rate);
        using var http = new HttpClient(new SocketsHttpHandler
        {
            MaxConnectionsPerServer = options.Concurrency + 8,
            AutomaticDecompression = DecompressionMethods.None,
            PooledConnectionLifetime = TimeSpan.FromMinutes(10),
            ConnectTimeout = TimeSpan.FromSeconds(10),
        })
        {
            BaseAddress = options.Server,
            Timeout = TimeSpan.FromSeconds(60),
        };
        // What the Go client sends on every request: the server must still not compress an artifact download.
        http.DefaultRequestHeaders.TryAddWithoutValidation("User-Agent", "Go-http-client/1.1 (MenderFleet)");
        http.DefaultRequestHeaders.TryAddWithoutValidation("Accept-Encoding", "gzip");

        var api = new DeviceApi(http, options, stats, gate);
        var keys = Stopwatch.StartNew();
        var devices = Enumerable.Range(1, options.Devices).Select(n => new VirtualDevice(n, options, api, stats)).ToList();
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{options.Devices} devices ({options.KeyKind} keys made in {keys.ElapsedMilliseconds} ms), identities {options.Prefix}-00001.., device_type {options.DeviceType}, artifact {options.ArtifactName}; server {options.Server}; concurrency {options.Concurrency}, rate {(options.Rate > 0 ? options.Rate.ToString("0", CultureInfo.InvariantCulture) + "/s" : "unlimited")}"));

        using var run = CancellationTokenSource.CreateLinkedTokenSource(ct);
        run.CancelAfter(options.Duration);
        using var operatorStop = CancellationTokenSource.CreateLinkedTokenSource(run.Token);
        var clock = Stopwatch.StartNew();
        var operatorTask = options.Accept ? new FleetOperator(http, options, stats).RunAsync(operatorStop.Token) : Task.CompletedTask;
        var fleet = Task.WhenAll(devices.Select(d => Task.Run(() => d.RunAsync(run.Token), CancellationToken.None)));

        while (await Task.WhenAny(fleet, Task.Delay(options.ReportEvery, CancellationToken.None)) != fleet)
            output.WriteLine(Progress(stats, clock.Elapsed, options));
        await operatorStop.CancelAsync();
        try
        {
            await operatorTask;
        }
        catch (InvalidOperationException e)
        {
            // A failed login: the run goes on (the devices stay pending) and the report says why.
            stats.Unexpected("mgmt-login", 0, e.Message);
        }
        var elapsed = clock.Elapsed;
        devices.ForEach(d => d.Dispose());

        output.WriteLine(Progress(stats, elapsed, options));
        output.WriteLine();
        output.Write(stats.Table(elapsed));
        if (options.SummaryFile is { } file)
            await File.WriteAllTextAsync(file, System.Text.Json.JsonSerializer.Serialize(stats.Summary(elapsed, options), SummaryJson), CancellationToken.None);
        if (stats.UnexpectedSamples.Count > 0)
        {
            output.WriteLine();
            output.WriteLine($"{stats.UnexpectedCount} responses the real client would not accept; the first ones:");
            foreach (var sample in stats.UnexpectedSamples) output.WriteLine("  " + sample);
        }
        return stats;
    }

    private static readonly System.Text.Json.JsonSerializerOptions SummaryJson = new() { WriteIndented = true };

    private static string Progress(FleetStats stats, TimeSpan elapsed, FleetOptions options) => string.Create(CultureInfo.InvariantCulture,
        $"{elapsed.TotalSeconds,6:0.0}s  accepted {stats.Authenticated}/{options.Devices}  deployments {stats.DeploymentsStarted}: success {stats.Succeeded}, failure {stats.Failed} (logs {stats.LogsUploaded}), aborted {stats.Aborted}, already-installed {stats.AlreadyInstalled}  done {stats.DevicesDone}  calls {stats.TotalCalls} ({stats.TotalCalls / Math.Max(elapsed.TotalSeconds, 0.001):0}/s)");
}
