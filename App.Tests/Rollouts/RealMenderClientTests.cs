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
}
