using System.Net;
using System.Net.Http.Json;
using Dashboard.App.Tests.Infrastructure;

namespace Dashboard.App.Tests.Auth;

[Collection(AppCollection.Name)]
public sealed class AuthEndpointsTests(AppFixture fixture)
{
    private HttpClient NoRedirects() => new(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = fixture.App.BaseAddress };

    [Fact]
    public async Task Hangfire_RedirectsToLogin_ForAnonymousUsers()
    {
        using var client = NoRedirects();

        var response = await client.GetAsync("/hangfire", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.StartsWith("/login", response.Headers.Location!.PathAndQuery, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Hangfire_IsRefused_ToAnApiTokenWithoutASignedInAdmin()
    {
        using var client = NoRedirects();
        client.DefaultRequestHeaders.Authorization = new("Bearer", DashboardApp.BootstrapToken);

        var response = await client.GetAsync("/hangfire", TestContext.Current.CancellationToken);

        Assert.NotEqual(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Healthz_ReportsDatabaseAndJobServer()
    {
        using var client = fixture.App.ApiClient(token: null);

        var health = await client.GetFromJsonAsync<Health>("/healthz", TestContext.Current.CancellationToken);

        Assert.Equal("healthy", health!.Status);
        Assert.Equal("healthy", health.Checks["database"].Status);
        Assert.Equal("healthy", health.Checks["jobs"].Status);
    }

    [Theory]
    [InlineData("Authorization")]
    [InlineData("X-Auth-Token")]
    [InlineData("X-Nomad-Token")]
    public async Task Api_AcceptsTheToken_InEachCompatibleHeaderStyle(string header)
    {
        using var client = fixture.App.ApiClient(header);

        var response = await client.GetAsync("/api/timeline?limit=5", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Theory]
    [InlineData(null, "Missing API token.")]
    [InlineData("not-a-token", "The API token is not valid.")]
    public async Task Api_Returns401WithAReason_WhenTheTokenIsMissingOrWrong(string? token, string reason)
    {
        using var client = fixture.App.ApiClient(token: token);

        var response = await client.GetAsync("/api/timeline", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<ErrorBody>(TestContext.Current.CancellationToken);
        Assert.Equal(reason, body!.Error);
    }

    [Fact]
    public async Task Api_Returns400NamingTheField_WhenLimitIsOutOfRange()
    {
        using var client = fixture.App.ApiClient();

        var response = await client.GetAsync("/api/timeline?limit=0", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<ErrorBody>(TestContext.Current.CancellationToken);
        Assert.Equal("limit", body!.Field);
    }

    [Fact]
    public async Task Login_RedirectsBackWithAnError_WhenThePasswordIsWrong()
    {
        using var client = NoRedirects();
        var form = await client.GetStringAsync("/login", TestContext.Current.CancellationToken);
        var antiforgery = System.Text.RegularExpressions.Regex.Match(form, "name=\"__RequestVerificationToken\" value=\"([^\"]+)\"").Groups[1].Value;

        var response = await client.PostAsync("/account/login", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["username"] = "admin",
            ["password"] = "wrong",
            ["returnUrl"] = "/fleet",
            ["__RequestVerificationToken"] = antiforgery,
        }), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Contains("error=1", response.Headers.Location!.OriginalString, StringComparison.Ordinal);
        Assert.DoesNotContain(response.Headers, h => h.Key == "Set-Cookie" && h.Value.Any(v => v.StartsWith("dashboard.auth", StringComparison.Ordinal)));
    }

    private sealed record Health(string Status, Dictionary<string, Check> Checks);
    private sealed record Check(string Status, string? Description);
    private sealed record ErrorBody(string Error, string? Field);
}
