using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Dashboard.App.Tests.Infrastructure;

namespace Dashboard.App.Tests.Rollouts;

/// <summary>
/// The deployments and inventory paths an operator or mender-cli reads, checked against openapi.yaml:
/// status codes, field names and JSON types, paging headers, and <c>{error, request_id}</c> errors.
/// </summary>
[Collection(AppCollection.Name)]
public sealed class MenderContractTests(AppFixture fixture)
{
    private static readonly CancellationToken Ct = TestContext.Current.CancellationToken;
    private const string Deployments = "/api/management/v1/deployments/deployments";

    /// <summary>Two admitted devices of a fresh type, an artifact for them, and a started one-phase rollout to both.</summary>
    private async Task<(List<MenderTestDevice> Devices, string Type, string Artifact, string RolloutId)> RolloutAsync()
    {
        var type = "ct-" + Guid.NewGuid().ToString("N")[..8];
        var artifact = "ct-app-" + Guid.NewGuid().ToString("N")[..8];
        var (devices, ids) = await MenderDeviceApiTests.FleetWithArtifactAsync(fixture.App, 2, type, artifact);
        using var management = fixture.App.ApiClient();
        using var created = await management.PostAsJsonAsync(Deployments, new { name = "contract " + type, artifact_name = artifact, devices = ids }, Ct);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        return (devices, type, artifact, created.Headers.Location!.ToString().Split('/')[^1]);
    }

    private static async Task AssertMenderErrorAsync(HttpResponseMessage response, HttpStatusCode status, string mentions)
    {
        Assert.Equal(status, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.Equal(JsonValueKind.String, body.GetProperty("error").ValueKind);
        Assert.Contains(mentions, body.GetProperty("error").GetString(), StringComparison.OrdinalIgnoreCase);
        Assert.Equal(response.Headers.GetValues("X-MEN-RequestID").Single(), body.GetProperty("request_id").GetString());
    }

    [Fact]
    public async Task GetDeployment_V2_IsTheV1Shape_And404sInMendersFormat()
    {
        var (devices, _, artifact, id) = await RolloutAsync();
        using var management = fixture.App.ApiClient();
        var v1 = await management.GetFromJsonAsync<JsonElement>($"{Deployments}/{id}", Ct);
        var v2 = await management.GetFromJsonAsync<JsonElement>($"/api/management/v2/deployments/deployments/{id}", Ct);
        Assert.Equal(v1.GetRawText(), v2.GetRawText());
        Assert.Equal(id, v2.GetProperty("id").GetString());
        Assert.Equal(artifact, v2.GetProperty("artifact_name").GetString());
        Assert.Equal("inprogress", v2.GetProperty("status").GetString());
        Assert.Equal(JsonValueKind.Number, v2.GetProperty("device_count").ValueKind);
        Assert.True(DateTimeOffset.TryParse(v2.GetProperty("created").GetString(), out _));
        Assert.Equal(2, v2.GetProperty("statistics").GetProperty("status").GetProperty("pending").GetInt32());

        using var missing = await management.GetAsync($"/api/management/v2/deployments/deployments/{Guid.NewGuid()}", Ct);
        await AssertMenderErrorAsync(missing, HttpStatusCode.NotFound, "not found");
        foreach (var device in devices) device.Dispose();
    }

    [Fact]
    public async Task StatisticsList_GivesTwelveCountersPerKnownDeployment_And400sWithoutIds()
    {
        var (devices, type, _, id) = await RolloutAsync();
        using (var next = await devices[0].NextAsync(type, "release-0", Ct)) Assert.Equal(HttpStatusCode.OK, next.StatusCode);
        using (await devices[0].StatusAsync(id, "downloading", Ct)) { }
        using var management = fixture.App.ApiClient();

        using var response = await management.PostAsJsonAsync($"{Deployments}/statistics/list", new { deployment_ids = new[] { id, Guid.NewGuid().ToString() } }, Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var entry = Assert.Single((await response.Content.ReadFromJsonAsync<JsonElement>(Ct)).EnumerateArray());
        Assert.Equal(id, entry.GetProperty("id").GetString());
        var stats = entry.GetProperty("stats");
        Assert.Equal(12, stats.EnumerateObject().Count());
        Assert.All(stats.EnumerateObject(), p => Assert.Equal(JsonValueKind.Number, p.Value.ValueKind));
        Assert.Equal(1, stats.GetProperty("downloading").GetInt32());
        Assert.Equal(1, stats.GetProperty("pending").GetInt32());
        Assert.Equal(0, stats.GetProperty("already-installed").GetInt32());

        using (var empty = await management.PostAsJsonAsync($"{Deployments}/statistics/list", new { deployment_ids = Array.Empty<string>() }, Ct))
            await AssertMenderErrorAsync(empty, HttpStatusCode.BadRequest, "deployment_ids");
        using (var wrong = await management.PostAsync($"{Deployments}/statistics/list", new StringContent("{\"deployment_ids\":\"x\"}", Encoding.UTF8, "application/json"), Ct))
            await AssertMenderErrorAsync(wrong, HttpStatusCode.BadRequest, "array of strings");
        foreach (var device in devices) device.Dispose();
    }

    [Fact]
    public async Task DeviceDeployments_AreListedPagedAndFiltered_AndAbortingThemAnswers409ToTheDevice()
    {
        var (devices, type, _, id) = await RolloutAsync();
        using var management = fixture.App.ApiClient();
        var deviceId = (await MenderDeviceApiTests.FindAsync(management, devices[0].Mac)).DeviceId;
        using (var next = await devices[0].NextAsync(type, "release-0", Ct)) Assert.Equal(HttpStatusCode.OK, next.StatusCode);
        using (await devices[0].StatusAsync(id, "installing", Ct)) { }

        var history = await management.GetFromJsonAsync<JsonElement>($"{Deployments}/devices/{deviceId}?status=active", Ct);
        var item = Assert.Single(history.EnumerateArray());
        Assert.Equal($"{id}/{deviceId}", item.GetProperty("id").GetString());
        Assert.Equal(id, item.GetProperty("deployment").GetProperty("id").GetString());
        Assert.Equal("installing", item.GetProperty("device").GetProperty("status").GetString());
        Assert.Equal(1, item.GetProperty("device").GetProperty("attempts").GetInt32());
        Assert.Empty((await management.GetFromJsonAsync<JsonElement>($"{Deployments}/devices/{deviceId}?status=finished", Ct)).EnumerateArray());
        using (var tooMany = await management.GetAsync($"{Deployments}/devices/{deviceId}?per_page=21", Ct))
            await AssertMenderErrorAsync(tooMany, HttpStatusCode.BadRequest, "per_page");
        using (var badStatus = await management.GetAsync($"{Deployments}/devices/{deviceId}?status=exploded", Ct))
            await AssertMenderErrorAsync(badStatus, HttpStatusCode.BadRequest, "invalid status");

        var ids = await management.GetFromJsonAsync<JsonElement>($"{Deployments}/{id}/device_list", Ct);
        Assert.Equal(2, ids.GetArrayLength());
        Assert.All(ids.EnumerateArray(), e => Assert.Equal(JsonValueKind.String, e.ValueKind));
        var all = await management.GetFromJsonAsync<JsonElement>($"{Deployments}/{id}/devices", Ct);
        Assert.Equal(2, all.GetArrayLength());
        Assert.Equal(JsonValueKind.Number, all[0].GetProperty("attempts").ValueKind);

        // Mender's "abort all deployments of a device": 204, then the device hears 409 and the counters follow.
        using (var abort = await management.DeleteAsync($"{Deployments}/devices/{deviceId}", Ct)) Assert.Equal(HttpStatusCode.NoContent, abort.StatusCode);
        using (var report = await devices[0].StatusAsync(id, "success", Ct)) Assert.Equal(HttpStatusCode.Conflict, report.StatusCode);
        var stats = await management.GetFromJsonAsync<Dictionary<string, int>>($"{Deployments}/{id}/statistics", Ct);
        Assert.Equal(1, stats!["aborted"]);
        Assert.Equal(0, stats["installing"]);
        Assert.Equal(1, stats["pending"]);
        // Aborting again finds nothing unfinished: still 204, nothing changes.
        using (var again = await management.DeleteAsync($"{Deployments}/devices/{deviceId}", Ct)) Assert.Equal(HttpStatusCode.NoContent, again.StatusCode);
        Assert.Equal(stats, await management.GetFromJsonAsync<Dictionary<string, int>>($"{Deployments}/{id}/statistics", Ct));
        foreach (var device in devices) device.Dispose();
    }

    [Fact]
    public async Task ArtifactsList_FiltersSortsAndPages_AndStorageUsageCountsTheFiles()
    {
        var (devices, type, artifact, _) = await RolloutAsync();
        using var management = fixture.App.ApiClient();
        using var response = await management.GetAsync($"/api/management/v1/deployments/artifacts/list?device_type={type}&name={artifact[..10]}&per_page=1&sort=modified:desc", Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("1", response.Headers.GetValues("X-Total-Count").Single());
        Assert.Contains("rel=\"first\"", response.Headers.GetValues("Link").Single());
        var only = Assert.Single((await response.Content.ReadFromJsonAsync<JsonElement>(Ct)).EnumerateArray());
        Assert.Equal(artifact, only.GetProperty("name").GetString());
        Assert.Equal(JsonValueKind.Array, only.GetProperty("updates")[0].GetProperty("meta_data").ValueKind);
        Assert.Empty((await management.GetFromJsonAsync<JsonElement>($"/api/management/v1/deployments/artifacts/list?device_type={type}&description=nobody", Ct)).EnumerateArray());
        using (var badSort = await management.GetAsync("/api/management/v1/deployments/artifacts/list?sort=size:asc", Ct))
            await AssertMenderErrorAsync(badSort, HttpStatusCode.BadRequest, "invalid sort");

        var storage = await management.GetFromJsonAsync<JsonElement>("/api/management/v1/deployments/limits/storage", Ct);
        Assert.Equal(0, storage.GetProperty("limit").GetInt64());
        Assert.True(storage.GetProperty("usage").GetInt64() >= only.GetProperty("size").GetInt64());
        foreach (var device in devices) device.Dispose();
    }

    [Fact]
    public async Task FilterAttributes_ListNameScopeAndCount_OfWhatDevicesReport()
    {
        var (devices, _, _, _) = await RolloutAsync();
        using var management = fixture.App.ApiClient();
        var attributes = await management.GetFromJsonAsync<JsonElement>("/api/management/v2/inventory/filters/attributes", Ct);
        var deviceType = attributes.EnumerateArray().Single(a => a.GetProperty("name").GetString() == "device_type" && a.GetProperty("scope").GetString() == "inventory");
        Assert.True(deviceType.GetProperty("count").GetInt32() >= 2);
        var counts = attributes.EnumerateArray().Select(a => a.GetProperty("count").GetInt32()).ToList();
        Assert.Equal(counts.OrderDescending(), counts);

        // A $regex term is accepted by the filters API; a broken pattern is a 400 naming the term.
        using (var bad = await management.PostAsJsonAsync("/api/management/v2/inventory/filters",
            new { name = "bad regex " + Guid.NewGuid(), terms = new[] { new { scope = "inventory", attribute = "device_type", type = "$regex", value = "(ct" } } }, Ct))
            await AssertMenderErrorAsync(bad, HttpStatusCode.BadRequest, "terms[0]");
        using (var search = await management.PostAsJsonAsync("/api/management/v2/inventory/filters/search",
            new { filters = new[] { new { scope = "inventory", attribute = "device_type", type = "$regex", value = "ct-" } }, per_page = 1 }, Ct))
        {
            Assert.Equal(HttpStatusCode.OK, search.StatusCode);
            Assert.True(int.Parse(search.Headers.GetValues("X-Total-Count").Single(), System.Globalization.CultureInfo.InvariantCulture) >= 2);
        }
        foreach (var device in devices) device.Dispose();
    }
}
