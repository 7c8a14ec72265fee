using System.Net.Sockets;
using System.Text.Json;
using Dashboard.App.Tests.Infrastructure;

namespace Dashboard.App.Tests;

/// <summary>
/// The published app's start-up on the embedded database, as its own process (an in-process host
/// initializes in process and shares the test process's assemblies): the first start migrates and
/// imports, then starts over in place (same process id, so whatever supervises it sees one process),
/// a restart finds it done, and neither loads assemblies an idle SQLite node does not use
/// (docs/BENCHMARKS.md, "Idle memory").
/// </summary>
[Collection(AppCollection.Name)]
public sealed class DatabaseStartupTests
{
    private const string StartOverLine = "starting over in place";
    // The PostgreSQL client; ASP.NET Identity (one claims helper used to load it for every request); IIS and
    // the HTTP/3 transport, which the default web application builder loads on Linux too (DashboardBuilder).
    private static readonly string[] NotLoaded =
    [
        "Npgsql.dll", "Microsoft.Extensions.Identity.Core.dll",
        "Microsoft.AspNetCore.Server.IIS.dll", "System.Net.Quic.dll", "Microsoft.AspNetCore.Server.Kestrel.Transport.Quic.dll",
    ];
    private const string DemoProject = "b8d5a8a0-0b3e-4d8e-9a43-6c1f1f1b0001";

    [Fact]
    public async Task FirstStart_InitializesThenStartsOverInPlace_ARestartDoesNot_AndNeitherLoadsWhatItDoesNotUse()
    {
        using var data = new TempDirectory();
        var settings = new Dictionary<string, string?> { ["Dashboard:DataDirectory"] = data.Path };

        await using (var first = await AppProcess.StartAsync(settings))
        {
            // Once: the fresh process found nothing left to do (and did not start over again).
            Assert.Single(first.Output.Split('\n'), line => line.Contains(StartOverLine, StringComparison.Ordinal));
            // The server answering is the process that was started; the fleet the first image imported is there.
            Assert.Equal(12, await DemoDeviceCountAsync(first));
            AssertNotLoaded(await MappedFilesAfterAPageAsync(first));
            await AssertOperableAsync(first);
        }

        await using var restarted = await AppProcess.StartAsync(settings);
        Assert.DoesNotContain(StartOverLine, restarted.Output, StringComparison.Ordinal);
        // Logs in the format appsettings.json chooses (JSON lines), as with the default builder.
        Assert.Contains("\"Category\":\"Dashboard.Jobs.Reconciliation.StartupReconciler\"", restarted.Output, StringComparison.Ordinal);
        Assert.Equal(12, await DemoDeviceCountAsync(restarted));
        AssertNotLoaded(await MappedFilesAfterAPageAsync(restarted));
        await AssertOperableAsync(restarted);
    }

    // The tests' copy of the app is a build, not a publish: its assets are where the build's manifest says (the
    // repository's wwwroot, MudBlazor's in the NuGet cache), and App/ has no wwwroot. In Production it used to answer
    // every asset with an empty 200 and log that the web root was not found (DashboardBuilder).
    [Fact]
    public async Task ABuildRunInProduction_ServesTheStaticAssets_AndFindsItsWebRoot()
    {
        using var data = new TempDirectory();
        var ct = TestContext.Current.CancellationToken;
        await using var app = await AppProcess.StartAsync(new Dictionary<string, string?> { ["Dashboard:DataDirectory"] = data.Path });
        using var client = new HttpClient { BaseAddress = app.BaseAddress };

        Assert.Contains(".timeline-list", await client.GetStringAsync("/app.css", ct), StringComparison.Ordinal);
        Assert.Contains(".mud-", await client.GetStringAsync("/_content/MudBlazor/MudBlazor.min.css", ct), StringComparison.Ordinal);
        Assert.DoesNotContain("WebRootPath was not found", app.Output, StringComparison.Ordinal);
    }

    // What an operator's tools see: the process keeps its name (ps, pkill), and dotnet-counters, dotnet-trace
    // and dotnet-dump can attach, which needs the runtime's diagnostic port listening at its usual path.
    private static async Task AssertOperableAsync(AppProcess app)
    {
        var ct = TestContext.Current.CancellationToken;
        Assert.Equal("dotnet", (await File.ReadAllTextAsync($"/proc/{app.ProcessId}/comm", ct)).Trim());
        var port = Assert.Single(Directory.GetFiles(Path.GetTempPath(), $"dotnet-diagnostic-{app.ProcessId}-*-socket"));
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await socket.ConnectAsync(new UnixDomainSocketEndPoint(port), ct);
    }

    private static void AssertNotLoaded(string maps)
    {
        foreach (var assembly in NotLoaded) Assert.DoesNotContain(assembly, maps, StringComparison.Ordinal);
    }

    private static async Task<int> DemoDeviceCountAsync(AppProcess app)
    {
        var ct = TestContext.Current.CancellationToken;
        using var client = app.ApiClient();
        var projects = await Task.WhenAll(
            client.GetStringAsync($"/projects/{DemoProject}/devices?per_page=100", ct),
            client.GetStringAsync($"/projects/{DemoProject[..^1]}2/devices?per_page=100", ct));
        return projects.Sum(json => JsonDocument.Parse(json).RootElement.GetProperty("devices").GetArrayLength());
    }

    // What a server has loaded once it served its health check and sign-in page.
    private static async Task<string> MappedFilesAfterAPageAsync(AppProcess app)
    {
        var ct = TestContext.Current.CancellationToken;
        using var client = new HttpClient { BaseAddress = app.BaseAddress };
        (await client.GetAsync("/healthz", ct)).EnsureSuccessStatusCode();
        (await client.GetAsync("/login", ct)).EnsureSuccessStatusCode();
        var maps = await File.ReadAllTextAsync($"/proc/{app.ProcessId}/maps", ct);
        Assert.Contains("Dashboard.Data.dll", maps, StringComparison.Ordinal);
        return maps;
    }
}
