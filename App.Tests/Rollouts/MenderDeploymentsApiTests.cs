using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Dashboard.App.Tests.Infrastructure;

namespace Dashboard.App.Tests.Rollouts;

[Collection(AppCollection.Name)]
public sealed class MenderDeploymentsApiTests(AppFixture fixture)
{
    private static readonly CancellationToken Ct = TestContext.Current.CancellationToken;

    /// <summary>Admitted simulated devices of a fresh type, an artifact for it, and a filter matching them.</summary>
    private async Task<(List<MenderTestDevice> Devices, string Type, string Artifact, string FilterId)> FleetAsync(int count)
    {
        var type = "api-" + Guid.NewGuid().ToString("N")[..8];
        var devices = new List<MenderTestDevice>();
        for (var i = 0; i < count; i++)
        {
            var device = new MenderTestDevice(fixture.App.BaseAddress);
            await MenderDeviceApiTests.AdmitAsync(fixture.App, device);
            using (await device.SendInventoryAsync(type, "release-0", Ct)) { }
            devices.Add(device);
        }
        using var work = new TempDirectory();
        var artifact = "app-" + Guid.NewGuid().ToString("N")[..8];
        await UploadAsync(await MenderCommands.SingleFileArtifactAsync(work.Path, artifact, type, "/tmp/x"));
        using var management = fixture.App.ApiClient();
        using var filter = await management.PostAsJsonAsync("/api/management/v2/inventory/filters",
            new { name = "f " + type, terms = new[] { new { scope = "inventory", attribute = "device_type", type = "$eq", value = type } } }, Ct);
        return (devices, type, artifact, filter.Headers.Location!.ToString().Split('/')[^1]);
    }

    private async Task<HttpResponseMessage> UploadAsync(string file, string? size = null)
    {
        using var management = fixture.App.ApiClient();
        using var form = new MultipartFormDataContent
        {
            { new StringContent(size ?? new FileInfo(file).Length.ToString(System.Globalization.CultureInfo.InvariantCulture)), "size" },
            { new StringContent(""), "description" },
            { new ByteArrayContent(await File.ReadAllBytesAsync(file, Ct)), "artifact", Path.GetFileName(file) },
        };
        return await management.PostAsync("/api/management/v1/deployments/artifacts", form, Ct);
    }

    private async Task<(HttpStatusCode Status, string? Error, HttpResponseMessage Response)> CreateV2Async(string body)
    {
        using var management = fixture.App.ApiClient();
        var response = await management.PostAsync("/api/management/v2/deployments/deployments", new StringContent(body, Encoding.UTF8, "application/json"), Ct);
        var text = await response.Content.ReadAsStringAsync(Ct);
        var error = text.Length > 0 && text.TrimStart().StartsWith('{') ? JsonDocument.Parse(text).RootElement.GetProperty("error").GetString() : null;
        return (response.StatusCode, error, response);
    }

    [Fact]
    public async Task CreateV2_WithTheSeedsBody_Returns201AndLocation_AndPhasesRoundDown()
    {
        var (devices, type, artifact, filterId) = await FleetAsync(4);
        // The seed's body (wrapped in an array, +0000 offsets), with our artifact, filter and future times.
        var body = $$"""
            [ {
              "name" : "production",
              "artifact_name" : "{{artifact}}",
              "filter_id" : "{{filterId}}",
              "phases" : [ {
                "batch_size" : 25,
                "start_ts" : "{{DateTime.UtcNow.AddDays(1):yyyy-MM-ddTHH:mm:ss.fff}}+0000"
              }, {
                "batch_size" : 50,
                "start_ts" : "{{DateTime.UtcNow.AddDays(2):yyyy-MM-ddTHH:mm:ss.fff}}+0000"
              }, {
                "start_ts" : "{{DateTime.UtcNow.AddDays(3):yyyy-MM-ddTHH:mm:ss.fff}}+0000"
              } ],
              "retries" : 3
            } ]
            """;
        var (status, error, response) = await CreateV2Async(body);
        Assert.True(status == HttpStatusCode.Created, error);
        Assert.StartsWith("/api/management/v1/deployments/deployments/", response.Headers.Location!.ToString());
        Assert.NotEmpty(response.Headers.GetValues("X-MEN-RequestID").Single());

        using var management = fixture.App.ApiClient();
        var deployment = await management.GetFromJsonAsync<JsonElement>(response.Headers.Location, Ct);
        Assert.Equal([1, 2, 1], deployment.GetProperty("phases").EnumerateArray().Select(p => p.GetProperty("device_count").GetInt32()));
        Assert.Equal("scheduled", deployment.GetProperty("status").GetString());
        Assert.Equal(3, deployment.GetProperty("retries").GetInt32());
        Assert.Equal(4, deployment.GetProperty("statistics").GetProperty("status").GetProperty("pending").GetInt32());

        // Nothing has started: every device hears 204.
        foreach (var device in devices)
        {
            using var next = await device.NextAsync(type, "release-0", Ct);
            Assert.Equal(HttpStatusCode.NoContent, next.StatusCode);
        }
        foreach (var device in devices) device.Dispose();
    }

    [Fact]
    public async Task CreateV2_Returns400_WhenAPhaseRoundsToZero_AndStoresNothing()
    {
        var (devices, _, artifact, filterId) = await FleetAsync(3);
        using var management = fixture.App.ApiClient();
        var before = (await management.GetFromJsonAsync<JsonElement>("/api/management/v1/deployments/deployments?per_page=500", Ct)).GetArrayLength();
        var (status, error, _) = await CreateV2Async(JsonSerializer.Serialize(new
        {
            name = "too small", artifact_name = artifact, filter_id = filterId,
            phases = new object[] { new { batch_size = 5 }, new { start_ts = DateTime.UtcNow.AddHours(1) } },
        }));
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("phase 1: 5 % of 3 devices rounds down to 0 devices; choose a larger batch_size", error);
        Assert.Equal(before, (await management.GetFromJsonAsync<JsonElement>("/api/management/v1/deployments/deployments?per_page=500", Ct)).GetArrayLength());
        foreach (var device in devices) device.Dispose();
    }

    [Theory]
    [InlineData("""{"artifact_name":"a","filter_id":"f"}""", 400, "name")]
    [InlineData("""{"name":"n","artifact_name":"a","filter_id":"no-such-filter"}""", 400, "filter_id")]
    [InlineData("""{"name":"n","artifact_name":"a","filter_id":"f","phases":[{"batch_size":"x"}]}""", 400, "batch_size")]
    [InlineData("""{"name":"n","artifact_name":"a","filter_id":"f","phases":[{"batch_size":10,"start_ts":"yesterday"}]}""", 400, "start_ts")]
    [InlineData("""not json""", 400, "JSON")]
    public async Task CreateV2_Returns400_ForBadInput(string body, int status, string mentions)
    {
        var (code, error, _) = await CreateV2Async(body);
        Assert.Equal(status, (int)code);
        Assert.Contains(mentions, error, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Create_Returns422_WhenNoArtifactHasTheName()
    {
        var (devices, _, _, filterId) = await FleetAsync(1);
        var (status, error, _) = await CreateV2Async(JsonSerializer.Serialize(new { name = "n", artifact_name = "never-uploaded-" + Guid.NewGuid(), filter_id = filterId }));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, status);
        Assert.Contains("no artifact", error);
        devices[0].Dispose();
    }

    [Fact]
    public async Task DeviceFlow_NextStatusLogAbort_SpeakMendersCodes()
    {
        var (devices, type, artifact, filterId) = await FleetAsync(2);
        var (status, error, response) = await CreateV2Async(JsonSerializer.Serialize(new { name = "flow", artifact_name = artifact, filter_id = filterId }));
        Assert.True(status == HttpStatusCode.Created, error);
        var id = response.Headers.Location!.ToString().Split('/')[^1];
        using var management = fixture.App.ApiClient();

        using var next = await devices[0].NextAsync(type, "release-0", Ct);
        Assert.Equal(HttpStatusCode.OK, next.StatusCode);
        var instructions = await next.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.Equal(id, instructions.GetProperty("id").GetString());
        Assert.Equal(artifact, instructions.GetProperty("artifact").GetProperty("artifact_name").GetString());
        Assert.Equal([type], instructions.GetProperty("artifact").GetProperty("device_types_compatible").EnumerateArray().Select(t => t.GetString()));

        // The link needs no header, has a length, and serves ranges.
        using var anonymous = new HttpClient();
        var uri = instructions.GetProperty("artifact").GetProperty("source").GetProperty("uri").GetString()!;
        using var whole = await anonymous.GetAsync(uri, Ct);
        Assert.Equal(HttpStatusCode.OK, whole.StatusCode);
        Assert.True(whole.Content.Headers.ContentLength >= 4096);
        Assert.Null(whole.Content.Headers.ContentEncoding.FirstOrDefault());
        using var range = new HttpRequestMessage(HttpMethod.Get, uri);
        range.Headers.Range = new RangeHeaderValue(100, null);
        using var partial = await anonymous.SendAsync(range, Ct);
        Assert.Equal(HttpStatusCode.PartialContent, partial.StatusCode);
        Assert.Equal(whole.Content.Headers.ContentLength - 100, partial.Content.Headers.ContentLength);
        using var tampered = await anonymous.GetAsync(uri.Replace("signature=", "signature=0", StringComparison.Ordinal), Ct);
        Assert.Equal(HttpStatusCode.Forbidden, tampered.StatusCode);

        foreach (var s in new[] { "downloading", "downloading", "installing" })
        {
            using var report = await devices[0].StatusAsync(id, s, Ct);
            Assert.Equal(HttpStatusCode.NoContent, report.StatusCode);
        }
        using (var unknown = await devices[0].StatusAsync(id, "exploded", Ct)) Assert.Equal(HttpStatusCode.BadRequest, unknown.StatusCode);
        using (var notMine = await devices[0].StatusAsync(Guid.NewGuid().ToString(), "downloading", Ct)) Assert.Equal(HttpStatusCode.NotFound, notMine.StatusCode);
        using (var forged = await devices[0].SendAsync(HttpMethod.Put, $"/api/devices/v1/deployments/device/deployments/{id}/status", "{\"status\":\"success\"}", Ct, token: "forged." + devices[1].Token))
            Assert.Equal(HttpStatusCode.Unauthorized, forged.StatusCode);
        using (var log = await devices[0].SendAsync(HttpMethod.Put, $"/api/devices/v1/deployments/device/deployments/{id}/log",
            """{"messages":[{"level":"info","message":"hello log","timestamp":"2026-11-24T08:13:11Z"}]}""", Ct))
            Assert.Equal(HttpStatusCode.NoContent, log.StatusCode);

        var stats = await management.GetFromJsonAsync<Dictionary<string, int>>($"/api/management/v1/deployments/deployments/{id}/statistics", Ct);
        Assert.Equal(12, stats!.Count);
        Assert.Equal(1, stats["installing"]);
        Assert.Equal(1, stats["pending"]);

        using var list = await management.GetAsync($"/api/management/v1/deployments/deployments/{id}/devices/list?per_page=1", Ct);
        Assert.Equal("2", list.Headers.GetValues("X-Total-Count").Single());
        Assert.Contains("rel=\"next\"", list.Headers.GetValues("Link").Single());
        var text = await management.GetStringAsync($"/api/management/v1/deployments/deployments/{id}/devices/{(await MenderDeviceApiTests.FindAsync(management, devices[0].Mac)).DeviceId}/log", Ct);
        Assert.Contains("hello log", text);

        using (var abort = await management.PutAsJsonAsync($"/api/management/v1/deployments/deployments/{id}/status", new { status = "aborted" }, Ct))
            Assert.Equal(HttpStatusCode.NoContent, abort.StatusCode);
        using (var afterAbort = await devices[0].StatusAsync(id, "success", Ct)) Assert.Equal(HttpStatusCode.Conflict, afterAbort.StatusCode);
        using (var again = await management.PutAsJsonAsync($"/api/management/v1/deployments/deployments/{id}/status", new { status = "aborted" }, Ct))
            Assert.Equal(HttpStatusCode.UnprocessableEntity, again.StatusCode);
        using (var nothing = await devices[1].NextAsync(type, "release-0", Ct)) Assert.Equal(HttpStatusCode.NoContent, nothing.StatusCode);

        var finished = await management.GetFromJsonAsync<JsonElement>($"/api/management/v1/deployments/deployments?status=finished&per_page=500", Ct);
        Assert.Contains(finished.EnumerateArray(), d => d.GetProperty("id").GetString() == id);
        foreach (var device in devices) device.Dispose();
    }

    [Theory]
    [InlineData("not a tar archive at all, just text", "not a valid Mender artifact")]
    [InlineData(null, "not a valid Mender artifact")]
    public async Task Upload_Returns400_ForCorruptOrTamperedFiles(string? content, string mentions)
    {
        using var work = new TempDirectory();
        var file = Path.Combine(work.Path, "bad.mender");
        if (content is not null) await File.WriteAllTextAsync(file, content, Ct);
        else
        {
            // A real artifact with one payload byte flipped: the manifest checksum no longer matches.
            var good = await MenderCommands.SingleFileArtifactAsync(work.Path, "tampered-" + Guid.NewGuid().ToString("N")[..6], "t", "/tmp/x", new string('a', 20000));
            var bytes = await File.ReadAllBytesAsync(good, Ct);
            bytes[bytes.Length / 2] ^= 0xFF;
            await File.WriteAllBytesAsync(file, bytes, Ct);
        }
        using var response = await UploadAsync(file);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(mentions, (await response.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("error").GetString());
    }

    [Fact]
    public async Task Upload_Returns400_WhenTheSizeDoesNotMatch_And409ForADuplicate()
    {
        using var work = new TempDirectory();
        var file = await MenderCommands.SingleFileArtifactAsync(work.Path, "dup-" + Guid.NewGuid().ToString("N")[..6], "dup-type", "/tmp/x");
        using (var wrongSize = await UploadAsync(file, "12")) Assert.Equal(HttpStatusCode.BadRequest, wrongSize.StatusCode);
        using (var first = await UploadAsync(file)) Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        using (var second = await UploadAsync(file)) Assert.Equal(HttpStatusCode.Conflict, second.StatusCode);
    }
}
