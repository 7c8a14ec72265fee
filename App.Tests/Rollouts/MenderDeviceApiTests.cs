using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Dashboard.App.Tests.Infrastructure;

namespace Dashboard.App.Tests.Rollouts;

[Collection(AppCollection.Name)]
public sealed class MenderDeviceApiTests(AppFixture fixture)
{
    private static readonly CancellationToken Ct = TestContext.Current.CancellationToken;

    private HttpClient Management() => fixture.App.ApiClient();

    /// <summary>The device's id and its only auth set, from the management devauth list.</summary>
    internal static async Task<(string DeviceId, string AuthSetId, JsonElement Device)> FindAsync(HttpClient management, string mac)
    {
        var devices = await management.GetFromJsonAsync<JsonElement>("/api/management/v2/devauth/devices?per_page=500", Ct);
        var device = devices.EnumerateArray().Single(d => d.GetProperty("identity_data").GetProperty("mac").GetString() == mac);
        return (device.GetProperty("id").GetString()!, device.GetProperty("auth_sets")[0].GetProperty("id").GetString()!, device);
    }

    internal static async Task<string> AdmitAsync(DashboardApp app, MenderTestDevice device)
    {
        using var management = app.ApiClient();
        using var pending = await device.AuthenticateAsync(Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, pending.StatusCode);
        var (id, authSet, _) = await FindAsync(management, device.Mac);
        using var accept = await management.PutAsJsonAsync($"/api/management/v2/devauth/devices/{id}/auth/{authSet}/status", new { status = "accepted" }, Ct);
        Assert.Equal(HttpStatusCode.NoContent, accept.StatusCode);
        using var ok = await device.AuthenticateAsync(Ct);
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        return id;
    }

    /// <summary>
    /// <paramref name="count"/> admitted devices of <paramref name="type"/> that sent their inventory, and an
    /// artifact named <paramref name="artifact"/> for that type, uploaded by mender-artifact's file.
    /// </summary>
    internal static async Task<(List<MenderTestDevice> Devices, List<string> Ids)> FleetWithArtifactAsync(DashboardApp app, int count, string type, string artifact)
    {
        var devices = new List<MenderTestDevice>();
        var ids = new List<string>();
        for (var i = 0; i < count; i++)
        {
            var device = new MenderTestDevice(app.BaseAddress);
            ids.Add(await AdmitAsync(app, device));
            using (await device.SendInventoryAsync(type, "release-0", Ct)) { }
            devices.Add(device);
        }
        using var work = new TempDirectory();
        using var management = app.ApiClient();
        var file = await MenderCommands.SingleFileArtifactAsync(work.Path, artifact, type, "/tmp/" + type);
        using var uploaded = await MenderCommands.UploadAsync(management, file, description: "test fleet " + type);
        Assert.Equal(HttpStatusCode.Created, uploaded.StatusCode);
        return (devices, ids);
    }

    [Fact]
    public async Task AuthRequest_IsPendingUntilAccepted_ThenReturnsABareToken()
    {
        using var device = new MenderTestDevice(fixture.App.BaseAddress);
        using var management = Management();

        using var first = await device.AuthenticateAsync(Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, first.StatusCode);
        var error = await first.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.Equal(first.Headers.GetValues("X-MEN-RequestID").Single(), error.GetProperty("request_id").GetString());
        Assert.Contains("pending", error.GetProperty("error").GetString());

        var (id, authSet, listed) = await FindAsync(management, device.Mac);
        Assert.Equal("pending", listed.GetProperty("status").GetString());
        Assert.Equal(device.PublicKeyPem, listed.GetProperty("auth_sets")[0].GetProperty("pubkey").GetString());

        using var accept = await management.PutAsJsonAsync($"/api/management/v2/devauth/devices/{id}/auth/{authSet}/status", new { status = "accepted" }, Ct);
        Assert.Equal(HttpStatusCode.NoContent, accept.StatusCode);

        using var second = await device.AuthenticateAsync(Ct);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.False(string.IsNullOrEmpty(device.Token));
        Assert.DoesNotContain('\n', device.Token);
        Assert.DoesNotContain('"', device.Token);

        // The daemon's inventory report: chunked, PUT, needs exactly 200.
        using var inventory = await device.SendInventoryAsync("demo-device", "release-0", Ct);
        Assert.Equal(HttpStatusCode.OK, inventory.StatusCode);
        var shown = await management.GetFromJsonAsync<JsonElement>($"/api/management/v1/inventory/devices/{id}", Ct);
        Assert.Contains(shown.GetProperty("attributes").EnumerateArray(),
            a => a.GetProperty("name").GetString() == "device_type" && a.GetProperty("value").GetString() == "demo-device" && a.GetProperty("scope").GetString() == "inventory");
        Assert.Contains(shown.GetProperty("attributes").EnumerateArray(),
            a => a.GetProperty("name").GetString() == "mac" && a.GetProperty("scope").GetString() == "identity");
    }

    [Fact]
    public async Task AuthRequest_WithEcdsaKey_IsAccepted()
    {
        using var device = new MenderTestDevice(fixture.App.BaseAddress, ecdsa: true);
        await AdmitAsync(fixture.App, device);
        Assert.NotNull(device.Token);
    }

    [Fact]
    public async Task AuthRequest_Returns401_WhenTheSignatureDoesNotVerify_AndStoresNothing()
    {
        using var device = new MenderTestDevice(fixture.App.BaseAddress);
        var signed = device.AuthBody();
        var signature = device.Sign(signed);
        byte[] body = [(byte)' ', .. signed]; // still valid JSON, but not the bytes that were signed
        using var response = await device.AuthenticateAsync(Ct, body, signature);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains("signature", (await response.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("error").GetString());

        using var management = Management();
        var devices = await management.GetFromJsonAsync<JsonElement>("/api/management/v2/devauth/devices?per_page=500", Ct);
        Assert.DoesNotContain(devices.EnumerateArray(), d => d.GetProperty("identity_data").GetProperty("mac").GetString() == device.Mac);
    }

    [Theory]
    [InlineData("{\"pubkey\":\"x\"}", "id_data")]
    [InlineData("{\"id_data\":\"not json\",\"pubkey\":\"-----BEGIN PUBLIC KEY-----\\n\"}", "id_data")]
    [InlineData("not json", "JSON")]
    public async Task AuthRequest_Returns400_ForMalformedRequests(string body, string mentions)
    {
        using var device = new MenderTestDevice(fixture.App.BaseAddress);
        var bytes = Encoding.UTF8.GetBytes(body);
        using var response = await device.AuthenticateAsync(Ct, bytes, device.Sign(bytes));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(mentions, (await response.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("error").GetString());
    }

    [Fact]
    public async Task RejectedAndDecommissionedDevices_AreRefused_AndTheirTokensStopWorking()
    {
        using var rejected = new MenderTestDevice(fixture.App.BaseAddress);
        using var management = Management();
        using (await rejected.AuthenticateAsync(Ct)) { }
        var (rid, rset, _) = await FindAsync(management, rejected.Mac);
        using (var reject = await management.PutAsJsonAsync($"/api/management/v2/devauth/devices/{rid}/auth/{rset}/status", new { status = "rejected" }, Ct))
            Assert.Equal(HttpStatusCode.NoContent, reject.StatusCode);
        using (var again = await rejected.AuthenticateAsync(Ct)) Assert.Equal(HttpStatusCode.Unauthorized, again.StatusCode);

        using var device = new MenderTestDevice(fixture.App.BaseAddress);
        var id = await AdmitAsync(fixture.App, device);
        using (var decommission = await management.DeleteAsync($"/api/management/v2/devauth/devices/{id}", Ct))
            Assert.Equal(HttpStatusCode.NoContent, decommission.StatusCode);
        using (var inventory = await device.SendInventoryAsync("demo-device", "release-0", Ct))
            Assert.Equal(HttpStatusCode.Unauthorized, inventory.StatusCode);
        using (var auth = await device.AuthenticateAsync(Ct)) Assert.Equal(HttpStatusCode.Unauthorized, auth.StatusCode);
        using (var gone = await management.GetAsync($"/api/management/v2/devauth/devices/{id}", Ct))
            Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
    }

    [Fact]
    public async Task InventoryAndAuthSetStatus_Return400_ForBadInput()
    {
        using var device = new MenderTestDevice(fixture.App.BaseAddress);
        var id = await AdmitAsync(fixture.App, device);
        using (var notArray = await device.SendAsync(HttpMethod.Put, "/api/devices/v1/inventory/device/attributes", "{\"name\":\"x\"}", Ct))
            Assert.Equal(HttpStatusCode.BadRequest, notArray.StatusCode);
        using (var badValue = await device.SendAsync(HttpMethod.Patch, "/api/devices/v1/inventory/device/attributes", "[{\"name\":\"x\",\"value\":{\"a\":1}}]", Ct))
            Assert.Equal(HttpStatusCode.BadRequest, badValue.StatusCode);

        using var management = Management();
        var (_, authSet, _) = await FindAsync(management, device.Mac);
        using var bad = await management.PutAsJsonAsync($"/api/management/v2/devauth/devices/{id}/auth/{authSet}/status", new { status = "maybe" }, Ct);
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        var (_, _, after) = await FindAsync(management, device.Mac);
        Assert.Equal("accepted", after.GetProperty("status").GetString());
    }

    [Fact]
    public async Task Filters_AreCreatedListedAndDeleted_AndSearchAppliesTheirTerms()
    {
        using var device = new MenderTestDevice(fixture.App.BaseAddress);
        var id = await AdmitAsync(fixture.App, device);
        var type = "filter-type-" + Guid.NewGuid().ToString("N")[..8];
        using (await device.SendInventoryAsync(type, "release-0", Ct)) { }
        using var management = Management();

        var name = "filter " + Guid.NewGuid();
        using var created = await management.PostAsJsonAsync("/api/management/v2/inventory/filters",
            new { name, terms = new[] { new { scope = "inventory", attribute = "device_type", type = "$eq", value = type } } }, Ct);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var filterId = created.Headers.Location!.ToString().Split('/')[^1];
        Assert.EndsWith("/api/management/v2/inventory/filters/" + filterId, created.Headers.Location.ToString());

        var shown = await management.GetFromJsonAsync<JsonElement>($"/api/management/v2/inventory/filters/{filterId}", Ct);
        Assert.Equal(name, shown.GetProperty("name").GetString());
        Assert.Equal("$eq", shown.GetProperty("terms")[0].GetProperty("type").GetString());

        using var search = await management.PostAsJsonAsync("/api/management/v2/inventory/filters/search",
            new { page = 1, per_page = 20, filters = new[] { new { scope = "inventory", attribute = "device_type", type = "$in", value = (object)new[] { type, "other" } } } }, Ct);
        var found = await search.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.Equal(id, Assert.Single(found.EnumerateArray()).GetProperty("id").GetString());
        Assert.Equal("1", search.Headers.GetValues("X-Total-Count").Single());

        using (var duplicate = await management.PostAsJsonAsync("/api/management/v2/inventory/filters",
            new { name, terms = new[] { new { scope = "inventory", attribute = "device_type", type = "$eq", value = type } } }, Ct))
            Assert.Equal(HttpStatusCode.Conflict, duplicate.StatusCode);
        using (var badType = await management.PostAsJsonAsync("/api/management/v2/inventory/filters",
            new { name = name + "2", terms = new[] { new { scope = "inventory", attribute = "device_type", type = "$like", value = type } } }, Ct))
        {
            Assert.Equal(HttpStatusCode.BadRequest, badType.StatusCode);
            Assert.Contains("$like", (await badType.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("error").GetString());
        }

        using (var delete = await management.DeleteAsync($"/api/management/v2/inventory/filters/{filterId}", Ct))
            Assert.Equal(HttpStatusCode.NoContent, delete.StatusCode);
        using (var gone = await management.GetAsync($"/api/management/v2/inventory/filters/{filterId}", Ct))
            Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
    }

    [Fact]
    public async Task Groups_PutDevicesInAndOut()
    {
        using var device = new MenderTestDevice(fixture.App.BaseAddress);
        var id = await AdmitAsync(fixture.App, device);
        using var management = Management();
        var group = "g" + Guid.NewGuid().ToString("N")[..10];
        using (var put = await management.PutAsJsonAsync($"/api/management/v1/inventory/devices/{id}/group", new { group }, Ct))
            Assert.Equal(HttpStatusCode.NoContent, put.StatusCode);
        Assert.Contains(group, await management.GetFromJsonAsync<string[]>("/api/management/v1/inventory/groups", Ct) ?? []);
        Assert.Equal([id], await management.GetFromJsonAsync<string[]>($"/api/management/v1/inventory/groups/{group}/devices", Ct) ?? []);
        using (var bad = await management.PutAsJsonAsync($"/api/management/v1/inventory/devices/{id}/group", new { group = "no spaces" }, Ct))
            Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        using (var delete = await management.DeleteAsync($"/api/management/v1/inventory/devices/{id}/group/{group}", Ct))
            Assert.Equal(HttpStatusCode.NoContent, delete.StatusCode);
        using (var empty = await management.GetAsync($"/api/management/v1/inventory/groups/{group}/devices", Ct))
            Assert.Equal(HttpStatusCode.NotFound, empty.StatusCode);
    }

    [Fact]
    public async Task Login_WithBasicAuth_ReturnsABareTokenThatManagementCallsAccept()
    {
        using var anonymous = fixture.App.ApiClient(token: null);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/management/v1/useradm/auth/login");
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("admin:" + DashboardApp.AdminPassword)));
        using var response = await anonymous.SendAsync(request, Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var token = await response.Content.ReadAsStringAsync(Ct);
        Assert.DoesNotContain('\n', token);

        using var withToken = fixture.App.ApiClient(token: token);
        using var list = await withToken.GetAsync("/api/management/v2/devauth/devices", Ct);
        Assert.Equal(HttpStatusCode.OK, list.StatusCode);
        Assert.NotNull(list.Headers.GetValues("X-Total-Count").Single());

        using var wrong = new HttpRequestMessage(HttpMethod.Post, "/api/management/v1/useradm/auth/login");
        wrong.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("admin:wrong")));
        using var refused = await anonymous.SendAsync(wrong, Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.True((await refused.Content.ReadFromJsonAsync<JsonElement>(Ct)).TryGetProperty("request_id", out _));
    }

    [Fact]
    public async Task ManagementCalls_Return401InMendersFormat_WithoutAToken_AndEchoTheRequestId()
    {
        using var anonymous = fixture.App.ApiClient(token: null);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/management/v2/devauth/devices");
        request.Headers.Add("X-MEN-RequestID", "caller-chosen-id");
        using var response = await anonymous.SendAsync(request, Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.Equal("caller-chosen-id", body.GetProperty("request_id").GetString());
        Assert.Equal("caller-chosen-id", response.Headers.GetValues("X-MEN-RequestID").Single());
    }
}
