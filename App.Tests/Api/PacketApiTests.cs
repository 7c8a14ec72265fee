using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Dashboard.App.Tests.Infrastructure;
using Dashboard.Data.Auth;

namespace Dashboard.App.Tests.Api;

[Collection(AppCollection.Name)]
public sealed class PacketApiTests(AppFixture fixture)
{
    public const string DemoProject = "b8d5a8a0-0b3e-4d8e-9a43-6c1f1f1b0001";

    private HttpClient Client(string? token = DashboardApp.BootstrapToken) => fixture.App.ApiClient("X-Auth-Token", token);

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    private static string Unique() => Guid.NewGuid().ToString("N")[..6];

    private static async Task<JsonElement> BodyAsync(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).RootElement;

    /// <summary>Waits until the worker has finished a batch, then reads it through the API.</summary>
    public static async Task<JsonElement> FinishedBatchAsync(DashboardApp app, HttpClient client, string id)
    {
        await app.WaitForFinishedBatchAsync(id);
        return await client.GetFromJsonAsync<JsonElement>($"/batches/{id}", TestContext.Current.CancellationToken);
    }

    private async Task<int> BatchCountAsync()
    {
        using var client = Client();
        var list = await client.GetFromJsonAsync<JsonElement>($"/projects/{DemoProject}/batches", TestContext.Current.CancellationToken);
        return list.GetProperty("batches").GetArrayLength();
    }

    [Fact]
    public async Task CreateBatch_Returns201AndCompletes_ForTheSeedsCurlRequest()
    {
        using var client = Client();
        var prefix = Unique();
        var body = $$$"""
        {"batches":[{"hostname":"{{{prefix}}}.server{{index}}.com","description":"This is my test batch","plan":"t1.small.x86",
          "operating_system":"ubuntu_16_04","facility":"any","billing_cycle":"hourly","tags":["test1","test2"],"quantity":3}]}
        """;

        var response = await client.PostAsync($"/projects/{DemoProject}/devices/batch", Json(body), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var created = Assert.Single((await BodyAsync(response)).GetProperty("batches").EnumerateArray());
        Assert.Equal("queued", created.GetProperty("state").GetString());
        Assert.Equal(3, created.GetProperty("quantity").GetInt32());
        var id = created.GetProperty("id").GetString()!;
        Assert.Equal($"/batches/{id}", created.GetProperty("href").GetString());
        Assert.Equal($"/projects/{DemoProject}", created.GetProperty("project").GetProperty("href").GetString());
        Assert.Equal(0, created.GetProperty("error_messages").GetArrayLength());
        Assert.True(DateTime.TryParse(created.GetProperty("created_at").GetString(), System.Globalization.CultureInfo.InvariantCulture, out _));

        var finished = await FinishedBatchAsync(fixture.App, client, id);
        Assert.Equal("completed", finished.GetProperty("state").GetString());
        var devices = finished.GetProperty("devices").EnumerateArray().ToList();
        Assert.Equal([$"{prefix}.server1.com", $"{prefix}.server2.com", $"{prefix}.server3.com"], devices.Select(d => d.GetProperty("hostname").GetString()));
        Assert.All(devices, d =>
        {
            Assert.Equal("active", d.GetProperty("state").GetString());
            Assert.Equal("t1.small.x86", d.GetProperty("plan").GetProperty("slug").GetString());
            Assert.Equal("ubuntu_16_04", d.GetProperty("operating_system").GetProperty("slug").GetString());
            Assert.Equal("dfw1", d.GetProperty("facility").GetProperty("code").GetString());
        });

        var device = await client.GetFromJsonAsync<JsonElement>(devices[0].GetProperty("href").GetString(), TestContext.Current.CancellationToken);
        Assert.Equal($"{prefix}.server1.com", device.GetProperty("hostname").GetString());
        var projectDevices = await client.GetFromJsonAsync<JsonElement>($"/projects/{DemoProject}/devices", TestContext.Current.CancellationToken);
        Assert.Contains(projectDevices.GetProperty("devices").EnumerateArray(), d => d.GetProperty("hostname").GetString() == $"{prefix}.server2.com");
    }

    [Fact]
    public async Task CreateBatch_AcceptsPackngosHabits_FacilityArraySpotPriceAsStringAndEmptyFields()
    {
        using var client = Client();
        var body = $$"""
        {"batches":[{"hostname":"spot-{{Unique()}}-{{"{{index}}"}}","plan":"t1.small.x86","facility":["sjc1","any"],"operating_system":"debian_12",
          "billing_cycle":"hourly","project_id":"","userdata":"","tags":null,"spot_instance":true,"spot_price_max":"0.02","quantity":2}]}
        """;

        var response = await client.PostAsync($"/projects/{DemoProject}/devices/batch", Json(body), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var id = (await BodyAsync(response)).GetProperty("batches")[0].GetProperty("id").GetString()!;
        var finished = await FinishedBatchAsync(fixture.App, client, id);
        Assert.Equal("completed", finished.GetProperty("state").GetString());
        // Spot at most 0.02: sjc1 first (0.02), as listed.
        Assert.All(finished.GetProperty("devices").EnumerateArray(), d => Assert.Equal("sjc1", d.GetProperty("facility").GetProperty("code").GetString()));
    }

    [Fact]
    public async Task CreateBatch_CreatesSeveralBatches_FromOneRequest()
    {
        using var client = Client();
        var p = Unique();
        var body = $$$"""
        {"batches":[
          {"hostname":"{{{p}}}-a{{index}}","plan":"t1.small.x86","operating_system":"debian_12","facility":"any","quantity":1},
          {"hostnames":["{{{p}}}-b1","{{{p}}}-b2"],"plan":"t1.small.x86","operating_system":"debian_12","facility":["ewr1"],"quantity":2}]}
        """;

        var response = await client.PostAsync($"/projects/{DemoProject}/devices/batch", Json(body), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal(2, (await BodyAsync(response)).GetProperty("batches").GetArrayLength());
    }

    public static TheoryData<string, string, int, string> BadInputs => new()
    {
        { "unknown plan", """{"batches":[{"hostname":"x{{index}}","plan":"zz.huge","operating_system":"debian_12","facility":"any","quantity":2}]}""", 422, "plan 'zz.huge' is not a known plan." },
        { "unknown os", """{"batches":[{"hostname":"x{{index}}","plan":"t1.small.x86","operating_system":"beos","facility":"any","quantity":2}]}""", 422, "operating_system 'beos' is not a known operating system." },
        { "unknown facility", """{"batches":[{"hostname":"x{{index}}","plan":"t1.small.x86","operating_system":"debian_12","facility":["mars1"],"quantity":2}]}""", 422, "facility 'mars1' is not a known facility." },
        { "hostnames length", """{"batches":[{"hostnames":["a1","a2"],"plan":"t1.small.x86","operating_system":"debian_12","facility":"any","quantity":3}]}""", 422, "hostnames has 2 entries but quantity is 3." },
        { "both", """{"batches":[{"hostname":"x{{index}}","hostnames":["a1"],"plan":"t1.small.x86","operating_system":"debian_12","facility":"any","quantity":1}]}""", 422, "Give either hostname or hostnames, not both." },
        { "neither", """{"batches":[{"plan":"t1.small.x86","operating_system":"debian_12","facility":"any","quantity":1}]}""", 422, "Give hostname (a template with {{index}}) or hostnames (one per device)." },
        { "quantity 0", """{"batches":[{"hostname":"x{{index}}","plan":"t1.small.x86","operating_system":"debian_12","facility":"any","quantity":0}]}""", 422, "quantity must be at least 1." },
        { "quantity negative", """{"batches":[{"hostname":"x{{index}}","plan":"t1.small.x86","operating_system":"debian_12","facility":"any","quantity":-5}]}""", 422, "quantity must be at least 1." },
        { "quantity absurd", """{"batches":[{"hostname":"x{{index}}","plan":"t1.small.x86","operating_system":"debian_12","facility":"any","quantity":99999999999999}]}""", 422, "quantity must be at most 10000." },
        { "quantity not a number", """{"batches":[{"hostname":"x{{index}}","plan":"t1.small.x86","operating_system":"debian_12","facility":"any","quantity":"many"}]}""", 422, "quantity must be a whole number." },
        { "diversity too large", """{"batches":[{"hostname":"x{{index}}","plan":"t1.small.x86","operating_system":"debian_12","facility":["sjc1","ewr1"],"facility_diversity_level":3,"quantity":2}]}""", 422, "facility_diversity_level 3 is larger than the 2 facilities listed." },
        { "index misspelled", """{"batches":[{"hostname":"x{{idx}}","plan":"t1.small.x86","operating_system":"debian_12","facility":"any","quantity":2}]}""", 422, "hostname contains '{{idx}}': the only placeholder is {{index}}." },
        { "duplicate in project", """{"batches":[{"hostname":"web-1","plan":"t1.small.x86","operating_system":"debian_12","facility":"any","quantity":1}]}""", 422, "hostname 'web-1' is already used in this project." },
        { "duplicate across batches", """{"batches":[{"hostname":"dup{{index}}","plan":"t1.small.x86","operating_system":"debian_12","facility":"any","quantity":2},{"hostnames":["dup2"],"plan":"t1.small.x86","operating_system":"debian_12","facility":"any","quantity":1}]}""", 422, "batches[1]: hostname 'dup2' is already used in this project." },
        { "malformed json", """{"batches":[{"hostname":"x{{index}}",""", 422, "The request body is not valid JSON" },
        { "not an object", """[1,2,3]""", 422, "The body must be an object with a \"batches\" array." },
        { "facility wrong type", """{"batches":[{"hostname":"x{{index}}","plan":"t1.small.x86","operating_system":"debian_12","facility":7,"quantity":2}]}""", 422, "facility must be a string or a list of strings." },
    };

    [Theory]
    [MemberData(nameof(BadInputs))]
    public async Task CreateBatch_RejectsBadInput_WithAPacketErrorAndCreatesNothing(string name, string body, int status, string message)
    {
        using var client = Client();
        var before = await BatchCountAsync();

        var response = await client.PostAsync($"/projects/{DemoProject}/devices/batch", Json(body), TestContext.Current.CancellationToken);

        Assert.True(status == (int)response.StatusCode, $"{name}: {(int)response.StatusCode}");
        var error = Assert.Single((await BodyAsync(response)).GetProperty("errors").EnumerateArray()).GetString();
        Assert.StartsWith(message, error, StringComparison.Ordinal);
        Assert.Equal(before, await BatchCountAsync());
    }

    [Fact]
    public async Task CreateBatch_Returns404_ForAnUnknownProject()
    {
        using var client = Client();

        var response = await client.PostAsync("/projects/no-such-project/devices/batch",
            Json("""{"batches":[{"hostname":"x","plan":"t1.small.x86","operating_system":"debian_12","facility":"any","quantity":1}]}"""), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("Project 'no-such-project' was not found.", (await BodyAsync(response)).GetProperty("errors")[0].GetString());
    }

    [Theory]
    [InlineData(null, "Missing API token.")]
    [InlineData("wrong-token", "The API token is not valid.")]
    public async Task Requests_Return401WithPacketErrors_WithoutAValidToken(string? token, string message)
    {
        using var client = Client(token);

        var response = await client.GetAsync($"/projects/{DemoProject}/batches", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal(message, (await BodyAsync(response)).GetProperty("errors")[0].GetString());
    }

    [Fact]
    public async Task CreateBatch_Returns403_ForAReadOnlyToken()
    {
        var readOnly = await fixture.App.Service<TokenService>().CreateAsync($"ro-{Unique()}", [ApiScopes.Read], "admin", ct: TestContext.Current.CancellationToken);
        using var client = Client(readOnly.Secret);

        var response = await client.PostAsync($"/projects/{DemoProject}/devices/batch", Json("""{"batches":[]}"""), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Single((await BodyAsync(response)).GetProperty("errors").EnumerateArray());
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/facilities", TestContext.Current.CancellationToken)).StatusCode);
    }

    [Theory]
    [InlineData("/batches/00000000-0000-0000-0000-000000000000")]
    [InlineData("/devices/00000000-0000-0000-0000-000000000000")]
    [InlineData("/projects/nope/batches")]
    [InlineData("/projects/nope/devices")]
    public async Task Get_Returns404WithPacketErrors_ForUnknownIds(string path)
    {
        using var client = Client();

        var response = await client.GetAsync(path, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.EndsWith("was not found.", (await BodyAsync(response)).GetProperty("errors")[0].GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task DeleteBatch_Returns204_ThenTheBatchIsGone_AndItsDevicesToo()
    {
        using var client = Client();
        var p = Unique();
        var created = await client.PostAsync($"/projects/{DemoProject}/devices/batch",
            Json($$$"""{"batches":[{"hostname":"{{{p}}}{{index}}","plan":"t1.small.x86","operating_system":"debian_12","facility":"any","quantity":2}]}"""), TestContext.Current.CancellationToken);
        var id = (await BodyAsync(created)).GetProperty("batches")[0].GetProperty("id").GetString()!;
        var finished = await FinishedBatchAsync(fixture.App, client, id);
        var deviceHref = finished.GetProperty("devices")[0].GetProperty("href").GetString();

        var response = await client.DeleteAsync($"/batches/{id}?remove_associated_instances=true", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync($"/batches/{id}", TestContext.Current.CancellationToken)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync(deviceHref, TestContext.Current.CancellationToken)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.DeleteAsync($"/batches/{id}", TestContext.Current.CancellationToken)).StatusCode);
    }

    [Fact]
    public async Task ReferenceEndpoints_ReturnPacketShapes()
    {
        using var client = Client();
        var ct = TestContext.Current.CancellationToken;

        var facilities = await client.GetFromJsonAsync<JsonElement>("/facilities", ct);
        var plans = await client.GetFromJsonAsync<JsonElement>("/plans", ct);
        var systems = await client.GetFromJsonAsync<JsonElement>("/operating-systems", ct);
        var capacity = await client.GetFromJsonAsync<JsonElement>("/capacity", ct);

        Assert.Contains(facilities.GetProperty("facilities").EnumerateArray(), f => f.GetProperty("code").GetString() == "sjc1" && f.GetProperty("href").GetString() == "/facilities/sjc1");
        Assert.Contains(plans.GetProperty("plans").EnumerateArray(), p => p.GetProperty("slug").GetString() == "c1.small.x86" && p.GetProperty("pricing").GetProperty("hour").GetDouble() > 0);
        Assert.Contains(systems.GetProperty("operating_systems").EnumerateArray(), o => o.GetProperty("slug").GetString() == "ubuntu_16_04");
        var sjc1 = capacity.GetProperty("capacity").GetProperty("sjc1").GetProperty("m1.xlarge.x86");
        Assert.Equal("limited", sjc1.GetProperty("level").GetString());
        Assert.True(sjc1.GetProperty("available").GetInt32() >= 0);
    }
}
