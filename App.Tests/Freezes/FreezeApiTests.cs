using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Dashboard.App.Api;
using Dashboard.App.Tests.Canaries;
using Dashboard.App.Tests.Infrastructure;
using Dashboard.Data.Auth;
using Dashboard.Data.Freezes;

namespace Dashboard.App.Tests.Freezes;

/// <summary>
/// On the real app over Kestrel: /api/freezes, and a create during a freeze refused by every family
/// in its own format (Packet 422 {errors}, Mender 409 {error, request_id}, Nomad 409 plain text),
/// let through by the override header only with an admin token. Each freeze is scoped to what the
/// test creates and removed afterwards, because the app is shared.
/// </summary>
[Collection(AppCollection.Name)]
public sealed class FreezeApiTests(AppFixture fixture)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private const string EdgeProject = "b8d5a8a0-0b3e-4d8e-9a43-6c1f1f1b0002";

    private static string Unique() => Guid.NewGuid().ToString("N")[..8];

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    /// <summary>A token that may create batches, rollouts and deployments but is no administrator.</summary>
    private async Task<string> OperatorTokenAsync() =>
        (await fixture.App.Service<TokenService>().CreateAsync($"operator-{Unique()}", [ApiScopes.BatchesWrite, ApiScopes.RolloutsWrite, ApiScopes.DeploymentsWrite], "admin", ct: Ct)).Secret;

    /// <summary>A one-off freeze in effect now for two hours, through the API; removed when disposed.</summary>
    private async Task<FrozenScope> FreezeAsync(string name, string[]? projects = null, string[]? components = null)
    {
        using var admin = fixture.App.ApiClient();
        var now = fixture.App.Clock.GetUtcNow();
        using var response = await admin.PostAsJsonAsync("/api/freezes", new { name, kind = "once", startsAt = now.AddMinutes(-5), endsAt = now.AddHours(2), projects, components }, Ct);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.True(body.GetProperty("active").GetBoolean());
        return new FrozenScope(fixture.App, body.GetProperty("id").GetGuid(), body.GetProperty("activeUntil").GetDateTime());
    }

    private sealed class FrozenScope(DashboardApp app, Guid id, DateTime until) : IAsyncDisposable
    {
        public DateTime Until { get; } = until;

        public async ValueTask DisposeAsync()
        {
            using var admin = app.ApiClient();
            (await admin.DeleteAsync($"/api/freezes/{id}", Ct)).EnsureSuccessStatusCode();
        }
    }

    [Fact]
    public async Task FreezesApi_ValidatesInItsJsonFormat_ListsAndDeletes_AndNeedsAdminToWrite()
    {
        using var admin = fixture.App.ApiClient();
        var name = "api-" + Unique();

        using var bad = await admin.PostAsJsonAsync("/api/freezes", new { name, kind = "weekly", timeZone = "Mars/Olympus", startDay = "friday", startTime = "16:00", endDay = "monday", endTime = "08:00" }, Ct);
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        var error = await bad.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.Equal(("timeZone", "Unknown time zone 'Mars/Olympus'; use an IANA id such as Europe/Berlin or UTC."),
            (error.GetProperty("field").GetString(), error.GetProperty("error").GetString()));

        using var notAdmin = fixture.App.ApiClient(token: await OperatorTokenAsync());
        using var forbidden = await notAdmin.PostAsJsonAsync("/api/freezes", new { name, kind = "weekly" }, Ct);
        Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);

        using var created = await admin.PostAsJsonAsync("/api/freezes",
            new { name, kind = "weekly", timeZone = "Europe/Berlin", startDay = "friday", startTime = "16:00", endDay = "monday", endTime = "08:00", components = new[] { "c-" + name } }, Ct);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var freeze = await created.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.Equal(("friday", "16:00", "Every Fri 16:00 – Mon 08:00 Europe/Berlin"),
            (freeze.GetProperty("startDay").GetString(), freeze.GetProperty("startTime").GetString(), freeze.GetProperty("window").GetString()));

        var list = await admin.GetFromJsonAsync<JsonElement>("/api/freezes", Ct);
        Assert.Contains(list.EnumerateArray(), f => f.GetProperty("name").GetString() == name);
        using var deleted = await admin.DeleteAsync($"/api/freezes/{freeze.GetProperty("id").GetGuid()}", Ct);
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        using var again = await admin.DeleteAsync($"/api/freezes/{freeze.GetProperty("id").GetGuid()}", Ct);
        Assert.Equal(HttpStatusCode.NotFound, again.StatusCode);
    }

    [Fact]
    public async Task Packet_RefusesABatch_With422AndErrors_AndTheOverrideHeaderNeedsAnAdminToken()
    {
        await using var freeze = await FreezeAsync("packet-" + Unique(), projects: ["edge"]);
        var host = "frz" + Unique();
        var body = $$$"""{"batches":[{"hostname":"{{{host}}}-{{index}}","plan":"c1.small.x86","operating_system":"ubuntu_16_04","facility":"any","quantity":1}]}""";

        using var operatorClient = fixture.App.ApiClient("X-Auth-Token", await OperatorTokenAsync());
        using var refused = await operatorClient.PostAsync($"/projects/{EdgeProject}/devices/batch", Json(body), Ct);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, refused.StatusCode);
        var errors = (await refused.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("errors");
        var message = Assert.Single(errors.EnumerateArray()).GetString()!;
        Assert.StartsWith("Deployments are frozen by \"packet-", message);
        Assert.Contains($"until {FreezeService.Format(freeze.Until)}", message);
        Assert.Equal(freeze.Until, refused.Headers.RetryAfter!.Date!.Value.UtcDateTime, TimeSpan.FromSeconds(1));

        using var overrideRequest = new HttpRequestMessage(HttpMethod.Post, $"/projects/{EdgeProject}/devices/batch") { Content = Json(body) };
        overrideRequest.Headers.Add(FreezeOverrideRequest.Header, "customer outage");
        using var stillRefused = await operatorClient.SendAsync(overrideRequest, Ct);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, stillRefused.StatusCode);
        Assert.Contains("Only an administrator can override", await stillRefused.Content.ReadAsStringAsync(Ct));

        using var adminClient = fixture.App.ApiClient("X-Auth-Token");
        using var adminRequest = new HttpRequestMessage(HttpMethod.Post, $"/projects/{EdgeProject}/devices/batch") { Content = Json(body) };
        adminRequest.Headers.Add(FreezeOverrideRequest.Header, "customer outage");
        using var created = await adminClient.SendAsync(adminRequest, Ct);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var batchId = (await created.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("batches")[0].GetProperty("id").GetString();
        var recorded = await fixture.App.Service<FreezeService>().OverridesAsync(ct: Ct);
        Assert.Contains(recorded, o => o.SubjectId == batchId && o.Reason == "customer outage" && o.Actor.StartsWith("token:"));
        await fixture.App.WaitForFinishedBatchAsync(batchId!);
    }

    [Fact]
    public async Task Mender_RefusesADeployment_With409ErrorAndRequestId_AndAnAdminOverrideCreatesIt()
    {
        var suffix = Unique();
        var (artifact, group) = ("frz-app-" + suffix, "frz-" + suffix);
        await FreezeJobTests.SeedMenderAsync(fixture.App, artifact, "frz-type-" + suffix, group, count: 2);
        await using var freeze = await FreezeAsync("mender-" + Unique(), components: [artifact]);
        var body = JsonSerializer.Serialize(new { name = "frozen", artifact_name = artifact });

        using var operatorClient = fixture.App.ApiClient(token: await OperatorTokenAsync());
        using var refused = await operatorClient.PostAsync($"/api/management/v1/deployments/deployments/group/{group}", Json(body), Ct);
        Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
        var error = await refused.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.StartsWith("Deployments are frozen by \"mender-", error.GetProperty("error").GetString());
        Assert.Equal(refused.Headers.GetValues("X-MEN-RequestID").Single(), error.GetProperty("request_id").GetString());

        using var adminClient = fixture.App.ApiClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/management/v1/deployments/deployments/group/{group}") { Content = Json(body) };
        request.Headers.Add(FreezeOverrideRequest.Header, "security fix");
        using var created = await adminClient.SendAsync(request, Ct);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var id = created.Headers.Location!.ToString().Split('/')[^1];
        Assert.Contains(await fixture.App.Service<FreezeService>().OverridesAsync(ct: Ct), o => o.SubjectId == id && o.Reason == "security fix");
        // The override is on the audit log too, under the token that made it, in the create's transaction.
        await using var db = await fixture.App.Service<Microsoft.EntityFrameworkCore.IDbContextFactory<Dashboard.Data.DashboardDbContext>>().CreateDbContextAsync(Ct);
        var audited = Assert.Single(db.AuditEntries.Where(e => e.Action == Dashboard.Data.Audit.AuditActions.FreezeOverride && e.TargetId == id));
        Assert.Equal(Dashboard.Data.Audit.ActorKinds.Token, audited.ActorKind);
        Assert.Contains("security fix", audited.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Nomad_RefusesARegister_With409PlainText_AndAnAdminOverrideStartsTheDeployment()
    {
        var job = "frz-" + Unique();
        using var operatorClient = fixture.App.ApiClient("X-Nomad-Token", await OperatorTokenAsync());
        (await operatorClient.PutAsync("/v1/jobs", new StringContent(NomadContractTests.GoRegisterBody(job, "redis:7", canary: 0)), Ct)).EnsureSuccessStatusCode();
        await using var freeze = await FreezeAsync("nomad-" + Unique(), components: [job]);

        using var refused = await operatorClient.PutAsync("/v1/jobs", new StringContent(NomadContractTests.GoRegisterBody(job, "redis:7.2", canary: 0)), Ct);
        Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
        Assert.Equal("text/plain", refused.Content.Headers.ContentType!.MediaType);
        var text = await refused.Content.ReadAsStringAsync(Ct);
        Assert.StartsWith("Deployments are frozen by \"nomad-", text);
        Assert.Contains("until " + FreezeService.Format(freeze.Until), text);

        using var adminClient = fixture.App.ApiClient("X-Nomad-Token");
        using var request = new HttpRequestMessage(HttpMethod.Put, "/v1/jobs") { Content = new StringContent(NomadContractTests.GoRegisterBody(job, "redis:7.2", canary: 0)) };
        request.Headers.Add(FreezeOverrideRequest.Header, "rollback of a bad config");
        using var registered = await adminClient.SendAsync(request, Ct);
        Assert.Equal(HttpStatusCode.OK, registered.StatusCode);
        var deployment = JsonDocument.Parse(await adminClient.GetStringAsync($"/v1/job/{job}/deployment", Ct)).RootElement;
        Assert.Equal(1, deployment.GetProperty("JobVersion").GetInt32());
        Assert.Contains(await fixture.App.Service<FreezeService>().OverridesAsync(ct: Ct), o => o.SubjectId == deployment.GetProperty("ID").GetString());
    }

    [Fact]
    public async Task Outlook_SaysWhatIsFrozen_AndOurOwnApiWouldAnswer409()
    {
        var component = "outlook-" + Unique();
        await using var freeze = await FreezeAsync("outlook-" + Unique(), components: [component]);
        using var reader = fixture.App.ApiClient();

        var outlook = await reader.GetFromJsonAsync<JsonElement>($"/api/freezes/outlook?kind=deployment&project=default&component={component}", Ct);
        Assert.True(outlook.GetProperty("frozen").GetBoolean());
        Assert.Equal(freeze.Until, outlook.GetProperty("until").GetDateTime());
        using var bad = await reader.GetAsync($"/api/freezes/outlook?kind=nothing&component={component}", Ct);
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);

        var (status, _, field) = ApiExceptionHandler.Map(JsonErrorFormat.Instance, new FrozenException("x", freeze.Until, "frozen"));
        Assert.Equal((409, "freeze"), (status, field));
    }
}
