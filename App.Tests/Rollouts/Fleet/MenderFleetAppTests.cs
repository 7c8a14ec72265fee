using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Dashboard.App.Tests.Infrastructure;
using Dashboard.App.Tests.Rollouts.Artifacts;
using Dashboard.MenderFleet;

namespace Dashboard.App.Tests.Rollouts.Fleet;

/// <summary>
/// The fleet simulator against the real app: virtual devices with their own keys join pending, are
/// accepted through the devauth management API, take a deployment of a real artifact, download it
/// through the signed link, and report success, or failure with a log, with every answer as the real
/// Mender client needs it.
/// </summary>
[Collection(AppCollection.Name)]
public sealed class MenderFleetAppTests(AppFixture fixture) : IDisposable
{
    private const int Devices = 12;
    private readonly TempDirectory _directory = new();
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task Fleet_JoinsTakesADeploymentAndReportsEveryOutcome()
    {
        var unique = Guid.NewGuid().ToString("N")[..8];
        var deviceType = "fleet-" + unique;
        var artifactName = "fleet-release-" + unique;
        using var http = fixture.App.ApiClient();
        await UploadAsync(http, await MenderArtifactTool.SingleFileAsync(_directory.Path, artifactName, [deviceType]));

        var options = new FleetOptions
        {
            Server = fixture.App.BaseAddress,
            Devices = Devices,
            Concurrency = 8,
            Prefix = "fleet-" + unique,
            DeviceType = deviceType,
            Accept = true,
            AdminToken = DashboardApp.BootstrapToken,
            PollInterval = TimeSpan.FromMilliseconds(200),
            RetryInterval = TimeSpan.FromMilliseconds(200),
            RampUp = TimeSpan.Zero,
            ReportEvery = TimeSpan.FromSeconds(30),
            FailureRate = 0.25,
            Seed = 20261124,
            Duration = TimeSpan.FromMinutes(3),
        };
        var output = new StringWriter();
        var run = FleetSimulator.RunAsync(options, output, Ct);

        var deviceIds = await AcceptedDevicesAsync(http, options.Prefix, run);
        // The server decides compatibility from the inventory's device_type when the deployment is created.
        foreach (var id in deviceIds) await InventoryArrivedAsync(http, id, run);
        using var create = await http.PostAsync("/api/management/v1/deployments/deployments",
            Json(new { name = "fleet " + unique, artifact_name = artifactName, devices = deviceIds }), Ct);
        Assert.True(create.StatusCode == HttpStatusCode.Created, await create.Content.ReadAsStringAsync(Ct));
        var deploymentId = create.Headers.Location!.ToString().Split('/')[^1];

        var stats = await run;

        var report = output + "\n" + await http.GetStringAsync($"/api/management/v1/deployments/deployments/{deploymentId}", Ct);
        Assert.True(stats.UnexpectedCount == 0, report);
        Assert.Equal(Devices, stats.Authenticated);
        Assert.True(Devices == stats.Succeeded + stats.Failed, report);
        Assert.InRange(stats.Failed, 1, Devices - 1); // a quarter fails with this seed; both outcomes are exercised
        Assert.Equal(stats.Failed, stats.LogsUploaded);
        Assert.Equal(Devices, stats.Call("download").CodeCount(200));
        // Chunked bodies, re-auth before the commit and repeated reports were all accepted: 6 reports per success, 5 per failure.
        Assert.Equal((6 * stats.Succeeded) + (5 * stats.Failed), stats.Call("status").CodeCount(204));

        using var statistics = JsonDocument.Parse(await http.GetStringAsync($"/api/management/v1/deployments/deployments/{deploymentId}/statistics", Ct));
        Assert.Equal(stats.Succeeded, statistics.RootElement.GetProperty("success").GetInt32());
        Assert.Equal(stats.Failed, statistics.RootElement.GetProperty("failure").GetInt32());
    }

    /// <summary>Waits until the simulator's operator has accepted all of this run's devices; returns their ids.</summary>
    private static Task<List<string>> AcceptedDevicesAsync(HttpClient http, string prefix, Task run) =>
        RealMenderClientTests.EventuallyAsync(async () =>
        {
            Assert.False(run.IsCompleted, "the simulator stopped before its devices were accepted");
            using var devices = JsonDocument.Parse(await http.GetStringAsync("/api/management/v2/devauth/devices?status=accepted&per_page=500", Ct));
            var ids = devices.RootElement.EnumerateArray()
                .Where(d => d.GetProperty("identity_data").TryGetProperty("sn", out var sn) && sn.GetString()!.StartsWith(prefix + "-", StringComparison.Ordinal))
                .Select(d => d.GetProperty("id").GetString()!)
                .ToList();
            return ids.Count == Devices ? ids : null;
        }, "the simulator's devices to be accepted");

    private static Task<string> InventoryArrivedAsync(HttpClient http, string deviceId, Task run) =>
        RealMenderClientTests.EventuallyAsync(async () =>
        {
            Assert.False(run.IsCompleted, "the simulator stopped before its devices sent inventory");
            using var device = JsonDocument.Parse(await http.GetStringAsync($"/api/management/v1/inventory/devices/{deviceId}", Ct));
            return device.RootElement.GetProperty("attributes").EnumerateArray().Any(a => a.GetProperty("name").GetString() == "device_type") ? deviceId : null;
        }, "a simulated device's inventory");

    private static async Task UploadAsync(HttpClient http, string path)
    {
        using var form = new MultipartFormDataContent();
        form.Add(new StringContent(new FileInfo(path).Length.ToString(System.Globalization.CultureInfo.InvariantCulture)), "size");
        form.Add(new StringContent("fleet simulator test"), "description");
        var file = new StreamContent(File.OpenRead(path));
        file.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        form.Add(file, "artifact", Path.GetFileName(path));
        using var response = await http.PostAsync("/api/management/v1/deployments/artifacts", form, Ct);
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync(Ct));
    }

    private static StringContent Json(object value) => new(JsonSerializer.Serialize(value), Encoding.UTF8, "application/json");
}
