using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dashboard.App.Tests.Infrastructure;

namespace Dashboard.App.Tests.Rollouts;

/// <summary>
/// Debian's real Mender tools against the real server: the <c>mender</c> 3.4 daemon and
/// <c>mender-cli</c> 1.9. The daemon's identity script and artifact_info are global files, so these
/// tests stay in the one "app" collection and run one at a time.
/// </summary>
[Collection(AppCollection.Name)]
public sealed class RealMenderClientTests(AppFixture fixture)
{
    private static readonly CancellationToken Ct = TestContext.Current.CancellationToken;
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    /// <summary>Waits for the external daemon to do something; the daemon's own clock drives it, not ours.</summary>
    internal static async Task<T> EventuallyAsync<T>(Func<Task<T?>> probe, string what, Func<string>? log = null)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (true)
        {
            if (await probe() is { } value) return value;
            if (DateTime.UtcNow > deadline) Assert.Fail($"timed out waiting for {what}\n{log?.Invoke()}");
            await Task.Delay(200, Ct);
        }
    }

    [Fact]
    public async Task MenderDaemon_AuthenticatesPending_IsAccepted_AndSendsInventory()
    {
        var mac = MenderTestDevice.RandomMac();
        var deviceType = "real-" + Guid.NewGuid().ToString("N")[..8];
        await using var daemon = new MenderDaemon(fixture.App.BaseAddress, mac, deviceType, "demo-release-0");
        using var management = fixture.App.ApiClient();

        var pending = await EventuallyAsync(async () =>
        {
            var devices = await management.GetFromJsonAsync<JsonElement>("/api/management/v2/devauth/devices?status=pending&per_page=500", Ct);
            var device = devices.EnumerateArray().FirstOrDefault(d => d.GetProperty("identity_data").GetProperty("mac").GetString() == mac);
            return device.ValueKind == JsonValueKind.Undefined ? null : Tuple.Create(device.GetProperty("id").GetString()!, device.GetProperty("auth_sets")[0].GetProperty("id").GetString()!);
        }, "the daemon's pending auth request", () => daemon.Log);
        var (id, authSet) = (pending.Item1, pending.Item2);

        using (var accept = await management.PutAsJsonAsync($"/api/management/v2/devauth/devices/{id}/auth/{authSet}/status", new { status = "accepted" }, Ct))
            Assert.Equal(HttpStatusCode.NoContent, accept.StatusCode);

        var attributes = await EventuallyAsync(async () =>
        {
            var device = await management.GetFromJsonAsync<JsonElement>($"/api/management/v1/inventory/devices/{id}", Ct);
            var list = device.GetProperty("attributes").EnumerateArray().ToList();
            return list.Any(a => a.GetProperty("name").GetString() == "device_type") ? list : null;
        }, "the daemon's inventory", () => daemon.Log);
        Assert.Contains(attributes, a => a.GetProperty("name").GetString() == "device_type" && a.GetProperty("value").GetString() == deviceType);
        Assert.Contains(attributes, a => a.GetProperty("name").GetString() == "artifact_name" && a.GetProperty("value").GetString() == "demo-release-0");
        Assert.Contains(attributes, a => a.GetProperty("name").GetString() == "mender_client_version");
    }

    [Fact]
    public async Task MenderCli_LogsIn_AndListsDevices()
    {
        using var home = new TempDirectory();
        var server = fixture.App.BaseAddress.ToString().TrimEnd('/');
        var (login, loginOutput) = await MenderCommands.RunAsync("/usr/bin/mender-cli", ["--server", server, "login", "--username", "admin", "--password", DashboardApp.AdminPassword], home.Path);
        Assert.True(login == 0, loginOutput);
        var token = await File.ReadAllTextAsync(Path.Combine(home.Path, ".cache", "mender", "authtoken"), Ct);
        Assert.DoesNotContain('\n', token);

        using var device = new MenderTestDevice(fixture.App.BaseAddress);
        using (await device.AuthenticateAsync(Ct)) { }
        var (list, listOutput) = await MenderCommands.RunAsync("/usr/bin/mender-cli", ["--server", server, "devices", "list", "--raw"], home.Path);
        Assert.True(list == 0, listOutput);
        Assert.Contains(device.Mac, listOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MenderCli_UploadsListsAndDeletesArtifacts()
    {
        using var home = new TempDirectory();
        var server = fixture.App.BaseAddress.ToString().TrimEnd('/');
        Assert.Equal(0, (await MenderCommands.RunAsync("/usr/bin/mender-cli", ["--server", server, "login", "--username", "admin", "--password", DashboardApp.AdminPassword], home.Path)).ExitCode);
        var name = "cli-release-" + Guid.NewGuid().ToString("N")[..8];
        var file = await MenderCommands.SingleFileArtifactAsync(home.Path, name, "cli-device", "/tmp/never");

        var (upload, uploadOutput) = await MenderCommands.RunAsync("/usr/bin/mender-cli", ["--server", server, "artifacts", "upload", "--no-progress", "--description", "from mender-cli", file], home.Path);
        Assert.True(upload == 0, uploadOutput);

        var (list, listOutput) = await MenderCommands.RunAsync("/usr/bin/mender-cli", ["--server", server, "artifacts", "list", "-d", "3"], home.Path);
        Assert.True(list == 0, listOutput + "\nserver errors:\n" + string.Join("\n", fixture.App.Logs.Entries.Select(e => $"{e.Category}: {e.Message} {e.Exception}")));
        Assert.Contains(name, listOutput, StringComparison.Ordinal);
        Assert.Contains("from mender-cli", listOutput, StringComparison.Ordinal);

        using var management = fixture.App.ApiClient();
        var artifacts = await management.GetFromJsonAsync<JsonElement>("/api/management/v1/deployments/artifacts", Ct);
        var id = artifacts.EnumerateArray().Single(a => a.GetProperty("name").GetString() == name).GetProperty("id").GetString()!;
        var (delete, deleteOutput) = await MenderCommands.RunAsync("/usr/bin/mender-cli", ["--server", server, "artifacts", "delete", id], home.Path);
        Assert.True(delete == 0, deleteOutput);
        using var gone = await management.GetAsync($"/api/management/v1/deployments/artifacts/{id}", Ct);
        Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
    }

    [Fact]
    public async Task MenderDaemon_InstallsAPhasedRollout_ThenReportsAFailedInstallWithItsLog()
    {
        using var work = new TempDirectory();
        var mac = MenderTestDevice.RandomMac();
        var deviceType = "real-" + Guid.NewGuid().ToString("N")[..8];
        var good = "good-" + Guid.NewGuid().ToString("N")[..8];
        var bad = "bad-" + Guid.NewGuid().ToString("N")[..8];
        var destination = Path.Combine(work.Path, "installed");
        using var management = fixture.App.ApiClient();
        foreach (var (name, dest) in new[] { (good, destination), (bad, "") })
        {
            var file = await MenderCommands.SingleFileArtifactAsync(work.Path, name, deviceType, dest);
            using var uploaded = await MenderCommands.UploadAsync(management, file, description: "test");
            Assert.Equal(HttpStatusCode.Created, uploaded.StatusCode);
        }

        await using var daemon = new MenderDaemon(fixture.App.BaseAddress, mac, deviceType, "demo-release-0");
        var deviceId = await AcceptAsync(management, daemon);
        // A simulated device of the same type shares the rollout, so it has two phases.
        using var simulated = new MenderTestDevice(fixture.App.BaseAddress);
        await MenderDeviceApiTests.AdmitAsync(fixture.App, simulated);
        using (await simulated.SendInventoryAsync(deviceType, "demo-release-0", Ct)) { }
        await EventuallyAsync(async () => (await management.GetFromJsonAsync<JsonElement>($"/api/management/v1/inventory/devices/{deviceId}", Ct))
            .GetProperty("attributes").EnumerateArray().Any(a => a.GetProperty("name").GetString() == "device_type") ? "" : null, "the daemon's inventory", () => daemon.Log);

        using var filter = await management.PostAsJsonAsync("/api/management/v2/inventory/filters",
            new { name = "type " + deviceType, terms = new[] { new { scope = "inventory", attribute = "device_type", type = "$eq", value = deviceType } } }, Ct);
        var filterId = filter.Headers.Location!.ToString().Split('/')[^1];
        using var created = await management.PostAsJsonAsync("/api/management/v2/deployments/deployments", new
        {
            name = "phased " + good, artifact_name = good, filter_id = filterId,
            phases = new object[] { new { batch_size = 50 }, new { start_ts = DateTime.UtcNow.AddSeconds(2).ToString("O") } },
        }, Ct);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var deploymentId = created.Headers.Location!.ToString().Split('/')[^1];
        var deployment = await management.GetFromJsonAsync<JsonElement>($"/api/management/v1/deployments/deployments/{deploymentId}", Ct);
        Assert.Equal(2, deployment.GetProperty("phases").GetArrayLength());

        // The simulated device takes its part whenever its phase starts (the second one starts by the job, at its time).
        var simulatedDone = EventuallyAsync(async () =>
        {
            using var next = await simulated.NextAsync(deviceType, "demo-release-0", Ct);
            if (next.StatusCode != HttpStatusCode.OK) return null;
            using (await simulated.StatusAsync(deploymentId, "success", Ct)) { }
            return "";
        }, "the simulated device's phase");
        await EventuallyAsync(async () =>
        {
            daemon.CheckUpdateNow();
            var stats = await management.GetFromJsonAsync<JsonElement>($"/api/management/v1/deployments/deployments/{deploymentId}/statistics", Ct);
            return stats.GetProperty("success").GetInt32() == 2 ? "" : null;
        }, "both devices to succeed", () => daemon.Log);
        await simulatedDone;
        Assert.Equal("hello from the dashboard\n", await File.ReadAllTextAsync(Path.Combine(destination, "hello.txt"), Ct));
        var finished = await EventuallyAsync(async () =>
        {
            var d = await management.GetFromJsonAsync<JsonElement>($"/api/management/v1/deployments/deployments/{deploymentId}", Ct);
            return d.GetProperty("status").GetString() == "finished" ? d.GetProperty("state").GetString() : null;
        }, "the rollout to finish");
        Assert.Equal("succeeded", finished);

        // The second artifact's module fails (no destination): failure, then the log.
        using var second = await management.PostAsJsonAsync("/api/management/v1/deployments/deployments", new { name = "failing " + bad, artifact_name = bad, devices = new[] { deviceId } }, Ct);
        Assert.Equal(HttpStatusCode.Created, second.StatusCode);
        var failingId = second.Headers.Location!.ToString().Split('/')[^1];
        var log = await EventuallyAsync(async () =>
        {
            daemon.CheckUpdateNow();
            using var response = await management.GetAsync($"/api/management/v1/deployments/deployments/{failingId}/devices/{deviceId}/log", Ct);
            return response.StatusCode == HttpStatusCode.OK ? await response.Content.ReadAsStringAsync(Ct) : null;
        }, "the failed install's log", () => daemon.Log);
        Assert.Contains("dest_dir or filename are undefined", log, StringComparison.Ordinal);
        var failedStats = await management.GetFromJsonAsync<JsonElement>($"/api/management/v1/deployments/deployments/{failingId}/statistics", Ct);
        Assert.Equal(1, failedStats.GetProperty("failure").GetInt32());
    }

    private async Task<string> AcceptAsync(HttpClient management, MenderDaemon daemon)
    {
        var pending = await EventuallyAsync(async () =>
        {
            var devices = await management.GetFromJsonAsync<JsonElement>("/api/management/v2/devauth/devices?status=pending&per_page=500", Ct);
            var device = devices.EnumerateArray().FirstOrDefault(d => d.GetProperty("identity_data").GetProperty("mac").GetString() == daemon.Mac);
            return device.ValueKind == JsonValueKind.Undefined ? null : Tuple.Create(device.GetProperty("id").GetString()!, device.GetProperty("auth_sets")[0].GetProperty("id").GetString()!);
        }, "the daemon's pending auth request", () => daemon.Log);
        using var accept = await management.PutAsJsonAsync($"/api/management/v2/devauth/devices/{pending.Item1}/auth/{pending.Item2}/status", new { status = "accepted" }, Ct);
        Assert.Equal(HttpStatusCode.NoContent, accept.StatusCode);
        return pending.Item1;
    }
}
