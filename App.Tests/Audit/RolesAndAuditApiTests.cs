using System.Net;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using Dashboard.App.Api;
using Dashboard.App.Tests.Infrastructure;
using Dashboard.Data.Audit;
using Dashboard.Data.Auth;
using Dashboard.Data.Canaries;
using TestContext = Xunit.TestContext;

namespace Dashboard.App.Tests.Audit;

/// <summary>Roles and the audit log on the real app on Kestrel: who may open and do what, and what the log says afterwards.</summary>
[Collection(AppCollection.Name)]
public sealed partial class RolesAndAuditApiTests(AppFixture fixture)
{
    private const string Password = "a-long-enough-password";
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string Unique(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..(prefix.Length + 9)];

    private async Task<UsersApi.UserDto> CreateUserAsync(string role)
    {
        using var admin = fixture.App.ApiClient();
        using var response = await admin.PostAsJsonAsync("/api/users", new { userName = Unique(role), role, password = Password }, Ct);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<UsersApi.UserDto>(Ct))!;
    }

    /// <summary>A browser-like client signed in through the login form, cookies kept, redirects not followed.</summary>
    private async Task<HttpClient> SignedInAsync(string userName, string password = Password)
    {
        var client = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, CookieContainer = new CookieContainer() }) { BaseAddress = fixture.App.BaseAddress };
        var form = await client.GetStringAsync("/login", Ct);
        var antiforgery = AntiforgeryField().Match(form).Groups[1].Value;
        using var response = await client.PostAsync("/account/login", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["username"] = userName, ["password"] = password, ["returnUrl"] = "/", ["__RequestVerificationToken"] = antiforgery,
        }), Ct);
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/", response.Headers.Location!.OriginalString);
        return client;
    }

    [Theory]
    [InlineData(Roles.Viewer, "/batches", HttpStatusCode.OK)]
    [InlineData(Roles.Viewer, "/deployments", HttpStatusCode.OK)]
    [InlineData(Roles.Viewer, "/batches/new", HttpStatusCode.Forbidden)]
    [InlineData(Roles.Viewer, "/rollouts/new", HttpStatusCode.Forbidden)]
    [InlineData(Roles.Viewer, "/settings/users", HttpStatusCode.Forbidden)]
    [InlineData(Roles.Operator, "/batches/new", HttpStatusCode.OK)]
    [InlineData(Roles.Operator, "/rollouts/new", HttpStatusCode.OK)]
    [InlineData(Roles.Operator, "/settings/users", HttpStatusCode.Forbidden)]
    [InlineData(Roles.Operator, "/settings/tokens", HttpStatusCode.Forbidden)]
    [InlineData(Roles.Operator, "/settings/webhooks", HttpStatusCode.Forbidden)]
    [InlineData(Roles.Operator, "/audit", HttpStatusCode.Forbidden)]
    [InlineData(Roles.Operator, "/audit/export.csv", HttpStatusCode.Forbidden)]
    [InlineData(Roles.Operator, "/hangfire", HttpStatusCode.Forbidden)]
    [InlineData(Roles.Operator, "/system", HttpStatusCode.Forbidden)]
    [InlineData(Roles.Admin, "/settings/users", HttpStatusCode.OK)]
    [InlineData(Roles.Admin, "/audit", HttpStatusCode.OK)]
    [InlineData(Roles.Admin, "/audit/export.csv", HttpStatusCode.OK)]
    public async Task Pages_AreOpenOrRefused_ByRole(string role, string path, HttpStatusCode expected)
    {
        var user = await CreateUserAsync(role);
        using var client = await SignedInAsync(user.UserName);

        using var response = await client.GetAsync(path, Ct);

        // A refused page sends a signed-in person to the plain refusal (/denied, 403), never back to the login form.
        var status = response.StatusCode == HttpStatusCode.Redirect && response.Headers.Location!.OriginalString.Contains("/denied", StringComparison.Ordinal)
            ? (await client.GetAsync(response.Headers.Location, Ct)).StatusCode
            : response.StatusCode;
        Assert.Equal(expected, status);
    }

    [Fact]
    public async Task Nav_ShowsAdminLinks_OnlyToAdministrators()
    {
        var operatorUser = await CreateUserAsync(Roles.Operator);
        using var asOperator = await SignedInAsync(operatorUser.UserName);
        using var asAdmin = await SignedInAsync("admin", DashboardApp.AdminPassword);

        var operatorPage = await asOperator.GetStringAsync("/batches", Ct);
        var adminPage = await asAdmin.GetStringAsync("/batches", Ct);

        foreach (var link in new[] { "href=\"/settings/users\"", "href=\"/audit\"", "href=\"/settings/webhooks\"", "href=\"/settings/tokens\"", "href=\"/hangfire\"" })
        {
            Assert.DoesNotContain(link, operatorPage, StringComparison.Ordinal);
            Assert.Contains(link, adminPage, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task ApiTokenAction_IsAudited_WithTheTokensName_AndARefusalToo()
    {
        var tokenName = Unique("auditbot");
        var created = await fixture.App.Service<TokenService>().CreateAsync(tokenName, [ApiScopes.Admin], "test", ct: Ct);
        using var client = fixture.App.ApiClient(token: created.Secret);
        var userName = Unique("made");

        using var ok = await client.PostAsJsonAsync("/api/users", new { userName, role = "viewer", password = Password }, Ct);
        using var refused = await client.PostAsJsonAsync("/api/users", new { userName = userName + "x", role = "viewer", password = "short" }, Ct);

        Assert.Equal(HttpStatusCode.Created, ok.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Equal("password", (await refused.Content.ReadFromJsonAsync<ErrorBody>(Ct))!.Field);
        using var admin = fixture.App.ApiClient();
        var page = (await admin.GetFromJsonAsync<AuditApi.AuditPageDto>($"/api/audit?actor={tokenName}&action=user.create", Ct))!;
        Assert.Equal(2, page.Total);
        var (refusal, success) = (page.Entries[0], page.Entries[1]);
        Assert.Equal((ActorKinds.Token, created.Token.Id, userName, AuditOutcomes.Succeeded), (success.ActorKind, success.TokenId, success.TargetId, success.Outcome));
        Assert.Equal((AuditOutcomes.Refused, userName + "x"), (refusal.Outcome, refusal.TargetId));
        Assert.Contains("at least", refusal.Detail, StringComparison.Ordinal);
        Assert.Equal("127.0.0.1", success.RemoteAddress);
    }

    [Fact]
    public async Task NomadPauseByAToken_IsAudited_AndTheSecondPauseIsRecordedAsRefused()
    {
        var job = Unique("auditjob");
        var registration = await fixture.App.Service<JobService>().RegisterAsync(new JobSpec
        {
            ID = job, Name = job, Namespace = "default",
            TaskGroups =
            [
                new TaskGroupSpec
                {
                    Name = "web", Count = 1,
                    Update = new UpdateSpec { MinHealthyTime = TimeSpan.FromMinutes(5), HealthyDeadline = TimeSpan.FromMinutes(10), ProgressDeadline = TimeSpan.FromMinutes(15) },
                    Tasks = [new TaskSpec { Name = "server", Driver = "docker", Config = new System.Text.Json.Nodes.JsonObject { ["image"] = "nginx:1.27" } }],
                },
            ],
        }, "test", ct: Ct);
        var deploymentId = registration.DeploymentId!;
        var tokenName = Unique("nomadbot");
        var token = await fixture.App.Service<TokenService>().CreateAsync(tokenName, [ApiScopes.DeploymentsWrite], "test", ct: Ct);
        using var nomad = fixture.App.ApiClient("X-Nomad-Token", token.Secret);

        var body = $"{{\"DeploymentID\":\"{deploymentId}\",\"Pause\":true}}";
        using var paused = await nomad.PostAsync($"/v1/deployment/pause/{deploymentId}", new StringContent(body), Ct);
        using var again = await nomad.PostAsync($"/v1/deployment/pause/{deploymentId}", new StringContent(body), Ct);

        Assert.True(paused.StatusCode == HttpStatusCode.OK, $"{paused.StatusCode}: {await paused.Content.ReadAsStringAsync(Ct)}");
        Assert.True(again.StatusCode == HttpStatusCode.Conflict, $"{again.StatusCode}: {await again.Content.ReadAsStringAsync(Ct)}");
        using var admin = fixture.App.ApiClient();
        var page = (await admin.GetFromJsonAsync<AuditApi.AuditPageDto>($"/api/audit?actor={tokenName}&target={deploymentId}", Ct))!;
        Assert.Equal([AuditOutcomes.Refused, AuditOutcomes.Succeeded], page.Entries.Select(e => e.Outcome));
        Assert.All(page.Entries, e => Assert.Equal((AuditActions.DeploymentPause, ActorKinds.Token, token.Token.Id), (e.Action, e.ActorKind, e.TokenId)));
        Assert.Contains("already paused", page.Entries[0].Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UsersAndAuditApis_RefuseTokensWithoutTheAdminScope()
    {
        var created = await fixture.App.Service<TokenService>().CreateAsync(Unique("reader"), [ApiScopes.Read, ApiScopes.DeploymentsWrite], "test", ct: Ct);
        using var client = fixture.App.ApiClient(token: created.Secret);

        Assert.Equal(HttpStatusCode.Forbidden, (await client.GetAsync("/api/users", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await client.PostAsJsonAsync("/api/users", new { userName = "x", role = "admin", password = Password }, Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await client.GetAsync("/api/audit", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await client.GetAsync("/api/audit.csv", Ct)).StatusCode);
    }

    [Fact]
    public async Task DisablingAUser_EndsTheirSession_AndDemotingAppliesAtOnce()
    {
        var user = await CreateUserAsync(Roles.Operator);
        using var session = await SignedInAsync(user.UserName);
        Assert.Equal(HttpStatusCode.OK, (await session.GetAsync("/batches/new", Ct)).StatusCode);
        using var admin = fixture.App.ApiClient();

        using (var demote = await admin.PutAsJsonAsync($"/api/users/{user.Id}/role", new { role = "viewer" }, Ct)) Assert.Equal(HttpStatusCode.OK, demote.StatusCode);
        var refused = await session.GetAsync("/batches/new", Ct);
        Assert.Contains("/denied", refused.Headers.Location!.OriginalString, StringComparison.Ordinal);

        using (var disable = await admin.PostAsync($"/api/users/{user.Id}/disable", null, Ct)) Assert.Equal(HttpStatusCode.OK, disable.StatusCode);
        var gone = await session.GetAsync("/batches", Ct);
        Assert.Equal(HttpStatusCode.Redirect, gone.StatusCode);
        Assert.Contains("/login", gone.Headers.Location!.OriginalString, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AuditCsv_IsEscaped_AndDisarmsFormulas()
    {
        var tokenName = "=cmd|" + Guid.NewGuid().ToString("N")[..6];
        await fixture.App.Service<AuditLog>().RecordAsync(AuditActions.TokenCreate, AuditTargets.Token, "t,1", AuditOutcomes.Succeeded, "say \"hi\"",
            new Actor(tokenName, ActorKinds.Token, TokenId: 7), Ct);
        using var admin = fixture.App.ApiClient();

        using var response = await admin.GetAsync($"/api/audit.csv?actor={Uri.EscapeDataString(tokenName)}", Ct);

        Assert.Equal("text/csv", response.Content.Headers.ContentType!.MediaType);
        var lines = (await response.Content.ReadAsStringAsync(Ct)).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(AuditCsv.Header, lines[0]);
        var line = Assert.Single(lines[1..]);
        Assert.Contains($",'{tokenName},token,7,", line, StringComparison.Ordinal);
        Assert.EndsWith(",token.create,token,\"t,1\",succeeded,\"say \"\"hi\"\"\"", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AuditApi_Returns400NamingTheField_ForABadTimeOrOutcome()
    {
        using var admin = fixture.App.ApiClient();

        using var badTime = await admin.GetAsync("/api/audit?from=yesterday", Ct);
        using var badOutcome = await admin.GetAsync("/api/audit.csv?outcome=maybe", Ct);

        Assert.Equal((HttpStatusCode.BadRequest, "from"), (badTime.StatusCode, (await badTime.Content.ReadFromJsonAsync<ErrorBody>(Ct))!.Field));
        Assert.Equal((HttpStatusCode.BadRequest, "outcome"), (badOutcome.StatusCode, (await badOutcome.Content.ReadFromJsonAsync<ErrorBody>(Ct))!.Field));
    }

    private sealed record ErrorBody(string Error, string? Field);

    [GeneratedRegex("name=\"__RequestVerificationToken\" value=\"([^\"]+)\"")]
    private static partial Regex AntiforgeryField();
}
