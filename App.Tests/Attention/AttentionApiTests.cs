using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Dashboard.App.Tests.Infrastructure;
using Dashboard.Data;
using Dashboard.Data.Audit;
using Dashboard.Data.Auth;
using Dashboard.Data.Batches;
using Dashboard.Data.Changes;
using Microsoft.EntityFrameworkCore;

namespace Dashboard.App.Tests.Attention;

/// <summary><c>/api/attention</c> and <c>/api/suspects</c> on the real app on Kestrel: answers, scopes, and bad input in the /api JSON error format.</summary>
[Collection(AppCollection.Name)]
public sealed class AttentionApiTests(AppFixture fixture)
{
    private static readonly CancellationToken Ct = TestContext.Current.CancellationToken;

    private async Task<HttpClient> ClientAsync(params string[] scopes)
    {
        var token = await fixture.App.Service<TokenService>().CreateAsync($"attention-{Guid.NewGuid():N}"[..24], scopes, "admin", ct: Ct);
        return fixture.App.ApiClient(token: token.Secret);
    }

    /// <summary>A failed change and one that touched one of its hosts a few minutes before; unique names, so other tests' changes never match.</summary>
    private async Task<(Change Failed, Change Suspect)> FailedChangeWithSuspectAsync()
    {
        var changes = fixture.App.Service<ChangeService>();
        var tag = Guid.NewGuid().ToString("N")[..8];
        var now = DateTime.UtcNow;
        string[] hosts = [$"api-{tag}-1", $"api-{tag}-2"];
        var suspect = (await changes.StartAsync(new DeploymentStart($"db-{tag}", "12", [hosts[0]], now.AddMinutes(-20), Source: "jenkins"), Ct)).Change;
        await changes.EndAsync(new DeploymentEnd($"db-{tag}", "12", [hosts[0]], Timestamp: now.AddMinutes(-19), Source: "jenkins"), Ct);
        await changes.StartAsync(new DeploymentStart($"api-{tag}", "5", hosts, now.AddMinutes(-10), Source: "jenkins"), Ct);
        var failed = (await changes.EndAsync(new DeploymentEnd($"api-{tag}", "5", hosts, ChangeStatuses.Failure, "5xx", now, "jenkins"), Ct)).Change;
        return (failed, suspect);
    }

    private static async Task AssertJsonErrorAsync(HttpResponseMessage response, HttpStatusCode status, string? field = null)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.False(string.IsNullOrEmpty(body.GetProperty("error").GetString()));
        if (field is not null) Assert.Equal(field, body.GetProperty("field").GetString());
    }

    [Fact]
    public async Task GetAttention_ListsAFailedBatch_WithWhereToActAndHowLongItWaited()
    {
        var factory = fixture.App.Service<IDbContextFactory<DashboardDbContext>>();
        var batch = await AttentionTestData.BatchAsync(factory, DateTime.UtcNow.AddMinutes(-5), BatchStates.Failed, $"h-{Guid.NewGuid():N}");
        using var client = await ClientAsync(ApiScopes.Read);

        var inbox = await client.GetFromJsonAsync<JsonElement>("/api/attention", Ct);

        var item = inbox.GetProperty("items").EnumerateArray().Single(i => i.GetProperty("subjectId").GetString() == batch.Id);
        Assert.Equal("batch_failed", item.GetProperty("kind").GetString());
        Assert.Equal("critical", item.GetProperty("severity").GetString());
        Assert.Equal("batch", item.GetProperty("subjectKind").GetString());
        Assert.Equal($"/batches/{batch.Id}/detail", item.GetProperty("link").GetString());
        Assert.InRange(item.GetProperty("waitedSeconds").GetInt64(), 299, 400);
        Assert.True(item.GetProperty("acknowledgeable").GetBoolean());
        Assert.True(inbox.GetProperty("count").GetInt32() >= 1);
    }

    [Fact]
    public async Task GetAttention_Answers401WithoutAToken_And403WithoutTheReadScope()
    {
        using var anonymous = fixture.App.ApiClient(token: null);
        await AssertJsonErrorAsync(await anonymous.GetAsync("/api/attention", Ct), HttpStatusCode.Unauthorized);
        using var kiosk = await ClientAsync(ApiScopes.Kiosk);
        Assert.Equal(HttpStatusCode.Forbidden, (await kiosk.GetAsync("/api/attention", Ct)).StatusCode);
    }

    [Fact]
    public async Task Acknowledge_ClearsAFailedBatchFromTheInbox_AndWritesTheAuditLog()
    {
        var factory = fixture.App.Service<IDbContextFactory<DashboardDbContext>>();
        var batch = await AttentionTestData.BatchAsync(factory, DateTime.UtcNow.AddMinutes(-5), BatchStates.Failed, $"h-{Guid.NewGuid():N}");
        using var client = await ClientAsync(ApiScopes.Read, ApiScopes.BatchesWrite);

        using var response = await client.PostAsync($"/api/attention/batch/{batch.Id}/acknowledge", null, Ct);
        using var again = await client.PostAsync($"/api/attention/batch/{batch.Id}/acknowledge", null, Ct);

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, again.StatusCode);
        var inbox = await client.GetFromJsonAsync<JsonElement>("/api/attention", Ct);
        Assert.DoesNotContain(inbox.GetProperty("items").EnumerateArray(), i => i.GetProperty("subjectId").GetString() == batch.Id);
        await using var db = await factory.CreateDbContextAsync(Ct);
        var ack = await db.AttentionAcknowledgements.SingleAsync(a => a.SubjectId == batch.Id, Ct);
        Assert.StartsWith("token:attention-", ack.AcknowledgedBy, StringComparison.Ordinal);
        var audited = await db.AuditEntries.SingleAsync(e => e.Action == AuditActions.AttentionAcknowledge && e.TargetId == batch.Id, Ct);
        Assert.Equal(AuditOutcomes.Succeeded, audited.Outcome);
        Assert.StartsWith("attention-", audited.Actor, StringComparison.Ordinal);
        Assert.NotNull(audited.TokenId);
    }

    [Fact]
    public async Task Acknowledge_Answers404And409InJson_And403WithoutTheCapabilitysWriteScope()
    {
        var factory = fixture.App.Service<IDbContextFactory<DashboardDbContext>>();
        var failed = await AttentionTestData.BatchAsync(factory, DateTime.UtcNow.AddMinutes(-5), BatchStates.Failed, $"h-{Guid.NewGuid():N}");
        var succeeded = await AttentionTestData.BatchAsync(factory, DateTime.UtcNow.AddMinutes(-5), BatchStates.Completed, $"h-{Guid.NewGuid():N}");
        using var writer = await ClientAsync(ApiScopes.BatchesWrite);
        using var reader = await ClientAsync(ApiScopes.Read);
        using var otherCapability = await ClientAsync(ApiScopes.RolloutsWrite, ApiScopes.DeploymentsWrite);

        await AssertJsonErrorAsync(await writer.PostAsync("/api/attention/batch/no-such-batch/acknowledge", null, Ct), HttpStatusCode.NotFound);
        await AssertJsonErrorAsync(await writer.PostAsync($"/api/attention/batch/{succeeded.Id}/acknowledge", null, Ct), HttpStatusCode.Conflict);
        Assert.Equal(HttpStatusCode.Forbidden, (await reader.PostAsync($"/api/attention/batch/{failed.Id}/acknowledge", null, Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await otherCapability.PostAsync($"/api/attention/batch/{failed.Id}/acknowledge", null, Ct)).StatusCode);
        await using var db = await factory.CreateDbContextAsync(Ct);
        Assert.False(await db.AttentionAcknowledgements.AnyAsync(a => a.SubjectId == failed.Id || a.SubjectId == succeeded.Id, Ct));
        Assert.Equal(AuditOutcomes.Refused, (await db.AuditEntries.SingleAsync(e => e.Action == AuditActions.AttentionAcknowledge && e.TargetId == succeeded.Id, Ct)).Outcome);
    }

    [Fact]
    public async Task GetSuspects_ListsTheChangeThatTouchedTheFailedChangesHost_WithItsScore()
    {
        var (failed, suspect) = await FailedChangeWithSuspectAsync();
        using var client = await ClientAsync(ApiScopes.Read);

        var report = await client.GetFromJsonAsync<JsonElement>($"/api/suspects/change/{failed.Id}", Ct);

        Assert.True(report.GetProperty("subject").GetProperty("failed").GetBoolean());
        var only = Assert.Single(report.GetProperty("suspects").EnumerateArray().ToList());
        Assert.Equal(suspect.Id, only.GetProperty("changeId").GetGuid());
        // Its one host is the failed change's (50) and it began 10 of 60 minutes before (20 x 50/60, rounded).
        Assert.Equal(67, only.GetProperty("score").GetInt32());
        Assert.Equal(JsonValueKind.Null, only.GetProperty("mark").ValueKind);
    }

    [Theory]
    [InlineData("/api/suspects/change/00000000-0000-0000-0000-000000000001")]
    [InlineData("/api/suspects/change/not-a-guid")]
    [InlineData("/api/suspects/rollout/no-such-rollout")]
    [InlineData("/api/suspects/fleet/anything")]
    public async Task GetSuspects_Answers404InJson_ForAnUnknownSubject(string path)
    {
        using var client = await ClientAsync(ApiScopes.Read);
        await AssertJsonErrorAsync(await client.GetAsync(path, Ct), HttpStatusCode.NotFound);
    }

    [Theory]
    [InlineData("""{"verdict":"maybe"}""", "verdict")]
    [InlineData("""{"verdict":null}""", "verdict")]
    [InlineData("""{}""", "changeId")]
    [InlineData("""{"changeId":"nope","verdict":"match"}""", "body")]
    [InlineData("""not json""", "body")]
    public async Task Mark_Answers400InJson_ForBadInput_AndStoresNothing(string body, string field)
    {
        var (failed, suspect) = await FailedChangeWithSuspectAsync();
        body = body.Replace("{\"verdict\"", $"{{\"changeId\":\"{suspect.Id}\",\"verdict\"", StringComparison.Ordinal);
        using var client = await ClientAsync(ApiScopes.Read, ApiScopes.ChangesWrite);

        var response = await client.PostAsync($"/api/suspects/change/{failed.Id}/marks", new StringContent(body, Encoding.UTF8, "application/json"), Ct);

        await AssertJsonErrorAsync(response, HttpStatusCode.BadRequest, field);
        await using var db = await fixture.App.Service<IDbContextFactory<DashboardDbContext>>().CreateDbContextAsync(Ct);
        Assert.False(await db.SuspectMarks.AnyAsync(m => m.SubjectId == failed.Id.ToString(), Ct));
    }

    [Fact]
    public async Task Mark_Answers404ForAnUnknownSubject_And403WithoutTheWriteScope()
    {
        var (failed, suspect) = await FailedChangeWithSuspectAsync();
        var mark = new { changeId = suspect.Id, verdict = "match" };
        using var writer = await ClientAsync(ApiScopes.ChangesWrite);
        await AssertJsonErrorAsync(await writer.PostAsJsonAsync($"/api/suspects/batch/no-such-batch/marks", mark, Ct), HttpStatusCode.NotFound);

        using var reader = await ClientAsync(ApiScopes.Read);
        Assert.Equal(HttpStatusCode.Forbidden, (await reader.PostAsJsonAsync($"/api/suspects/change/{failed.Id}/marks", mark, Ct)).StatusCode);
    }

    [Fact]
    public async Task Mark_StoresTheVerdict_AndTheSuspectsShowItWithWhoMarkedIt()
    {
        var (failed, suspect) = await FailedChangeWithSuspectAsync();
        using var client = await ClientAsync(ApiScopes.Read, ApiScopes.ChangesWrite);

        var response = await client.PostAsJsonAsync($"/api/suspects/change/{failed.Id}/marks", new { changeId = suspect.Id, verdict = "not_match" }, Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("not_match", (await response.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("verdict").GetString());
        var report = await client.GetFromJsonAsync<JsonElement>($"/api/suspects/change/{failed.Id}", Ct);
        var shown = report.GetProperty("suspects")[0].GetProperty("mark");
        Assert.Equal("not_match", shown.GetProperty("verdict").GetString());
        Assert.StartsWith("token:attention-", shown.GetProperty("markedBy").GetString(), StringComparison.Ordinal);
    }
}
