using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Dashboard.App.Api;
using Dashboard.App.Tests.Infrastructure;
using Dashboard.Data.Changes;
using Dashboard.Data.Timeline;

namespace Dashboard.App.Tests.Api;

[Collection(AppCollection.Name)]
public sealed class BigPandaApiTests(AppFixture fixture)
{
    private static readonly CancellationToken Ct = TestContext.Current.CancellationToken;

    // The seed's bodies, verbatim (docs: "Deployments REST API").
    private const string SeedStart = """
        {
          "component": "billing",
          "version": "1.2.3",
          "hosts": [
            "prod-api-1", "prod-api-2"
          ],
          "description": "New improvement to the billing process",
          "owner": "john@acme.com"
        }
        """;

    private const string SeedEnd = """
        {
          "component": "billing",
          "version": "1.2.3",
          "hosts": [
            "prod-api-1", "prod-api-2"
          ],
          "status": "failure",
          "errorMessage": "Failed migration mongodb"
        }
        """;

    private const string StartPath = "/data/events/deployments/start";
    private const string EndPath = "/data/events/deployments/end";

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    private async Task<(HttpStatusCode Status, JsonElement Body)> PostAsync(string path, string body, HttpClient? client = null)
    {
        using var own = client is null ? fixture.App.ApiClient() : null;
        using var response = await (client ?? own!).PostAsync(path, Json(body), Ct);
        var text = await response.Content.ReadAsStringAsync(Ct);
        return (response.StatusCode, JsonDocument.Parse(text).RootElement.Clone());
    }

    [Fact]
    public async Task SeedStartThenEnd_Return201_AndTheEndFailsTheStartedChange()
    {
        var start = await PostAsync(StartPath, SeedStart);
        var end = await PostAsync(EndPath, SeedEnd);

        Assert.Equal(HttpStatusCode.Created, start.Status);
        Assert.Equal("started", start.Body.GetProperty("result").GetString());
        Assert.Equal(HttpStatusCode.Created, end.Status);
        Assert.Equal("ended", end.Body.GetProperty("result").GetString());
        Assert.Equal(start.Body.GetProperty("id").GetString(), end.Body.GetProperty("id").GetString());
        var change = await fixture.App.Service<ChangeService>().GetAsync(Guid.Parse(end.Body.GetProperty("id").GetString()!), Ct);
        Assert.NotNull(change);
        Assert.Equal(ChangeStatuses.Failure, change.Status);
        Assert.Equal("Failed migration mongodb", change.ErrorMessage);
        Assert.Equal("john@acme.com", change.Owner);
        Assert.Equal("New improvement to the billing process", change.Description);
    }

    [Fact]
    public async Task SeedCurlCalls_WorkUnchanged_WithOnlyTheHostChanged()
    {
        if (!File.Exists("/usr/bin/curl")) Assert.Skip("curl is not installed");
        using var dir = new TempDirectory();
        await File.WriteAllTextAsync(Path.Combine(dir.Path, "deployment-start.json"), SeedStart, Ct);
        await File.WriteAllTextAsync(Path.Combine(dir.Path, "deployment-end.json"), SeedEnd.Replace("failure", "success", StringComparison.Ordinal), Ct);
        var server = fixture.App.BaseAddress.ToString().TrimEnd('/');

        var start = await CurlAsync(dir.Path, $"-i -X POST -H \"Authorization: Bearer $TOKEN\" -H \"Content-Type: application/json\" -d @deployment-start.json \"{server}/data/events/deployments/start\"");
        var end = await CurlAsync(dir.Path, $"-i -X POST -H \"Authorization: Bearer $TOKEN\" -H \"Content-Type: application/json\" -d @deployment-end.json \"{server}/data/events/deployments/end\"");

        Assert.StartsWith("HTTP/1.1 201", start, StringComparison.Ordinal);
        Assert.StartsWith("HTTP/1.1 201", end, StringComparison.Ordinal);
        Assert.Contains("\"result\":\"ended\"", end, StringComparison.Ordinal);
    }

    private static async Task<string> CurlAsync(string workingDirectory, string arguments)
    {
        var info = new ProcessStartInfo("/bin/sh", ["-c", "curl -s " + arguments])
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            Environment = { ["TOKEN"] = DashboardApp.BootstrapToken },
        };
        using var process = Process.Start(info)!;
        var output = await process.StandardOutput.ReadToEndAsync(Ct);
        await process.WaitForExitAsync(Ct);
        return output;
    }

    [Fact]
    public async Task RepeatedStart_DoesNotCreateASecondChange()
    {
        var body = """{"component":"repeat-svc","version":"9","hosts":["a","b"]}""";

        var first = await PostAsync(StartPath, body);
        var second = await PostAsync(StartPath, """{"component":"repeat-svc","version":"9","hosts":["b","a"]}""");

        Assert.Equal(HttpStatusCode.Created, second.Status);
        Assert.Equal("already_in_progress", second.Body.GetProperty("result").GetString());
        Assert.Equal(first.Body.GetProperty("id").GetString(), second.Body.GetProperty("id").GetString());
    }

    [Fact]
    public async Task EndWithoutStart_RecordsAFinishedChange_AndSaysSo()
    {
        var end = await PostAsync(EndPath, """{"component":"orphan-svc","version":"1","hosts":["x"]}""");

        Assert.Equal(HttpStatusCode.Created, end.Status);
        Assert.Equal("ended_without_start", end.Body.GetProperty("result").GetString());
        Assert.Contains("without a start", end.Body.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal(ChangeStatuses.Success, end.Body.GetProperty("change_status").GetString());
    }

    [Fact]
    public async Task EndAfterEnd_IsAReplay_AndTheFirstEndStands()
    {
        await PostAsync(StartPath, """{"component":"twice-svc","version":"1","hosts":["x"]}""");
        await PostAsync(EndPath, """{"component":"twice-svc","version":"1","hosts":["x"],"status":"success"}""");

        var again = await PostAsync(EndPath, """{"component":"twice-svc","version":"1","hosts":["x"],"status":"failure"}""");

        Assert.Equal(HttpStatusCode.Created, again.Status);
        Assert.Equal("already_ended", again.Body.GetProperty("result").GetString());
        Assert.Equal(ChangeStatuses.Success, again.Body.GetProperty("change_status").GetString());
    }

    [Fact]
    public async Task Start_UsesTheTimestamp_InUnixSeconds()
    {
        var start = await PostAsync(StartPath, """{"component":"ts-svc","version":"1","hosts":["x"],"timestamp":1767316102}""");

        var change = await fixture.App.Service<ChangeService>().GetAsync(Guid.Parse(start.Body.GetProperty("id").GetString()!), Ct);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1767316102).UtcDateTime, change!.StartedAt);
    }

    public static TheoryData<string, string, string> BadBodies => new()
    {
        { StartPath, """{"version":"1","hosts":["a"]}""", "component" },
        { StartPath, """{"component":"","version":"1","hosts":["a"]}""", "component" },
        { StartPath, """{"component":"   ","version":"1","hosts":["a"]}""", "component" },
        { StartPath, """{"component":42,"version":"1","hosts":["a"]}""", "component" },
        { StartPath, """{"component":"c","hosts":["a"]}""", "version" },
        { StartPath, """{"component":"c","version":"","hosts":["a"]}""", "version" },
        { StartPath, """{"component":"c","version":1.2,"hosts":["a"]}""", "version" },
        { StartPath, """{"component":"c","version":"1"}""", "hosts" },
        { StartPath, """{"component":"c","version":"1","hosts":[]}""", "hosts" },
        { StartPath, """{"component":"c","version":"1","hosts":"prod-api-1"}""", "hosts" },
        { StartPath, """{"component":"c","version":"1","hosts":["a", 7]}""", "hosts" },
        { StartPath, """{"component":"c","version":"1","hosts":["a", ""]}""", "hosts" },
        { StartPath, """{"component":"c","version":"1","hosts":["a"],"timestamp":1367316102000}""", "timestamp" },
        { StartPath, """{"component":"c","version":"1","hosts":["a"],"timestamp":-5}""", "timestamp" },
        { StartPath, """{"component":"c","version":"1","hosts":["a"],"timestamp":99999999999}""", "timestamp" },
        { StartPath, """{"component":"c","version":"1","hosts":["a"],"timestamp":"1367316102"}""", "timestamp" },
        { StartPath, """{"component":"c","version":"1","hosts":["a"],"timestamp":1367316102.5}""", "timestamp" },
        { StartPath, """{"component":"c","version":"1","hosts":["a"],"owner":{"name":"x"}}""", "owner" },
        { StartPath, """{"component":"c","version":"1","hosts":["a"],"description":["x"]}""", "description" },
        { StartPath, """{"component":"c","version":"1","hosts":["a"],"source":true}""", "source" },
        { StartPath, """{"component":"c","version":"1","hosts":["a"]""", "body" },
        { StartPath, """not json at all""", "body" },
        { StartPath, """["component"]""", "body" },
        { StartPath, "", "body" },
        { EndPath, """{"component":"c","version":"1","hosts":["a"],"status":"done"}""", "status" },
        { EndPath, """{"component":"c","version":"1","hosts":["a"],"status":1}""", "status" },
        { EndPath, """{"component":"c","version":"1","hosts":["a"],"errorMessage":404}""", "errorMessage" },
        { EndPath, """{"version":"1","hosts":["a"]}""", "component" },
        { "/data/changes", """{"status":"Done","summary":"s"}""", "identifier" },
        { "/data/changes", """{"identifier":"CHG-x","status":"Finished"}""", "status" },
        { "/data/changes", """{"identifier":"CHG-x","status":"Done","start":1700000000000}""", "start" },
        { "/data/changes", """{"identifier":"CHG-x","status":"Done","tags":"a,b"}""", "tags" },
        { "/data/changes", """{"identifier":"CHG-x","status":"Done","metadata":[1]}""", "metadata" },
        { "/data/changes", """{"identifier":"CHG-x","status":"Done","start":1700000100,"end":1700000000}""", "end" },
    };

    [Theory]
    [MemberData(nameof(BadBodies))]
    public async Task BadInput_Returns400NamingTheField_AndStoresNothing(string path, string body, string field)
    {
        var before = await CountsAsync();

        var (status, error) = await PostAsync(path, body);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal(field, error.GetProperty("field").GetString());
        Assert.Equal("failure", error.GetProperty("status").GetString());
        Assert.Contains(field == "body" ? "JSON" : field, error.GetProperty("error").GetString(), StringComparison.OrdinalIgnoreCase);
        Assert.Equal(before, await CountsAsync());
    }

    [Fact]
    public async Task RejectedEnd_LeavesTheStoredChangeAsItWas()
    {
        await PostAsync(StartPath, """{"component":"keep-svc","version":"1","hosts":["x"]}""");

        var (status, _) = await PostAsync(EndPath, """{"component":"keep-svc","version":"1","hosts":["x"],"status":"exploded"}""");

        Assert.Equal(HttpStatusCode.BadRequest, status);
        var stored = Assert.Single(await fixture.App.Service<ChangeService>().ListAsync(new ChangeFilter(Component: "keep-svc"), ct: Ct));
        Assert.Equal(ChangeStatuses.InProgress, stored.Status);
    }

    [Fact]
    public async Task BodyOverOneMebibyte_Returns413()
    {
        var huge = """{"component":"c","version":"1","hosts":["a"],"description":""" + "\"" + new string('x', BigPandaApi.MaxBodyBytes) + "\"}";
        var before = await CountsAsync();

        var (status, error) = await PostAsync(StartPath, huge);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, status);
        Assert.Equal("body", error.GetProperty("field").GetString());
        Assert.Equal(before, await CountsAsync());
    }

    [Fact]
    public async Task ChunkedBodyOverOneMebibyte_Returns413()
    {
        using var client = fixture.App.ApiClient();
        var huge = Encoding.UTF8.GetBytes("""{"component":"c","version":"1","hosts":["a"],"description":""" + "\"" + new string('x', BigPandaApi.MaxBodyBytes) + "\"}");
        using var content = new StreamContent(new MemoryStream(huge));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var request = new HttpRequestMessage(HttpMethod.Post, StartPath) { Content = content };
        request.Headers.TransferEncodingChunked = true;

        using var response = await client.SendAsync(request, Ct);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
    }

    [Theory]
    [InlineData("/data/events/deployments/end", """{"component":"c","version":"1","hosts":["x"],"status":"exploded"}""", DashboardApp.BootstrapToken,
        HttpStatusCode.BadRequest, """{"status":"failure","error":"'status' must be one of: success, failure.","field":"status"}""")]
    [InlineData("/data/events/deployments/start", SeedStart, null,
        HttpStatusCode.Unauthorized, """{"status":"failure","error":"Missing API token.","field":null}""")]
    // Byte for byte: the quotes unescaped, as ASP.NET Core's relaxed encoder writes them, and an absent field as null.
    public async Task ErrorBody_IsExactlyBigPandas(string path, string body, string? token, HttpStatusCode status, string expected)
    {
        using var client = fixture.App.ApiClient(token: token);

        using var response = await client.PostAsync(path, Json(body), Ct);

        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/json; charset=utf-8", response.Content.Headers.ContentType?.ToString());
        Assert.Equal(expected, await response.Content.ReadAsStringAsync(Ct));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("wrong-token")]
    public async Task MissingOrWrongToken_Returns401_InBigPandasFormat(string? token)
    {
        using var client = fixture.App.ApiClient(token: token);

        var (status, error) = await PostAsync(StartPath, SeedStart, client);

        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.Equal("failure", error.GetProperty("status").GetString());
        Assert.Contains("token", error.GetProperty("error").GetString(), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task ChangesApi_CreatesAndUpdatesByIdentifier_AndReplaysAreHarmless()
    {
        const string planned = """
            {"identifier":"CHG-4711","status":"Planned","summary":"Upgrade Postgres","start":1767316102,
             "ticket_url":"https://tickets.example/CHG-4711","tags":{"service":"db","env":"prod"},"metadata":{"risk":"low"}}
            """;
        var created = await PostAsync("/data/changes", planned);
        var replay = await PostAsync("/data/changes", planned);
        var done = await PostAsync("/data/changes", """{"identifier":"CHG-4711","status":"Done","end":1767319702}""");

        Assert.Equal(HttpStatusCode.Created, created.Status);
        Assert.Equal("created", created.Body.GetProperty("result").GetString());
        Assert.Equal("unchanged", replay.Body.GetProperty("result").GetString());
        Assert.Equal("updated", done.Body.GetProperty("result").GetString());
        var change = await fixture.App.Service<ChangeService>().GetAsync(Guid.Parse(done.Body.GetProperty("id").GetString()!), Ct);
        Assert.Equal(ChangeStatuses.Success, change!.Status);
        Assert.Equal("db", change.Component);
        Assert.Equal("https://tickets.example/CHG-4711", change.TicketUrl);
        Assert.Equal(TimeSpan.FromHours(1), change.EndedAt - change.StartedAt);
    }

    private async Task<(int Changes, int Timeline)> CountsAsync() =>
        (await fixture.App.Service<ChangeService>().CountAsync(Ct), await fixture.App.Service<TimelineService>().CountAsync(Ct));
}
