using System.Net;
using Dashboard.App.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Hosting;

namespace Dashboard.App.Tests.Security;

/// <summary>Form posts the browser did not get from us are refused with a plain 400, in Production (the /error page) as in Development.</summary>
[Collection(AppCollection.Name)]
public sealed class FormPostTests : IAsyncLifetime
{
    private readonly TempDirectory _data = new();
    private DashboardApp _app = default!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public ValueTask InitializeAsync()
    {
        _app = new DashboardApp(_data.Path, new Dictionary<string, string?> { [WebHostDefaults.EnvironmentKey] = Environments.Production }).Start();
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.DisposeAsync();
        _data.Dispose();
    }

    [Theory]
    [InlineData("/account/login", null)]
    [InlineData("/account/login", "not-a-real-antiforgery-token")]
    [InlineData("/login", null)]
    public async Task FormPost_Answers400WithAPlainMessage_WhenTheAntiforgeryTokenIsMissingOrWrong(string path, string? antiforgery)
    {
        using var client = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = _app.BaseAddress };
        var fields = new Dictionary<string, string> { ["username"] = "admin", ["password"] = DashboardApp.AdminPassword };
        if (antiforgery is not null) fields["__RequestVerificationToken"] = antiforgery;

        using var response = await client.PostAsync(path, new FormUrlEncodedContent(fields), Ct);

        var body = await response.Content.ReadAsStringAsync(Ct);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.StartsWith("text/plain", response.Content.Headers.ContentType?.MediaType, StringComparison.Ordinal);
        Assert.Contains("reload", body, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(response.Headers, h => h.Key == "Set-Cookie" && h.Value.Any(v => v.StartsWith("dashboard.auth", StringComparison.Ordinal)));
        Assert.Empty(_app.Logs.Entries);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("stale-antiforgery-token-from-before-a-restart")]
    public async Task Logout_SignsOutAndGoesToTheLoginPage_EvenWithAStaleOrMissingAntiforgeryToken(string? antiforgery)
    {
        using var client = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = _app.BaseAddress };
        await SignIn.AsAdminAsync(client, Ct);
        using (var before = await client.GetAsync("/", Ct)) Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        var fields = new Dictionary<string, string>();
        if (antiforgery is not null) fields["__RequestVerificationToken"] = antiforgery;

        using var response = await client.PostAsync("/logout", new FormUrlEncodedContent(fields), Ct);

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/login", response.Headers.Location?.OriginalString);
        Assert.Contains(response.Headers, h => h.Key == "Set-Cookie" && h.Value.Any(v => v.StartsWith("dashboard.auth=;", StringComparison.Ordinal)));
        using var after = await client.GetAsync("/", Ct);
        Assert.Equal(HttpStatusCode.Redirect, after.StatusCode);
        Assert.Contains("/login", after.Headers.Location?.ToString(), StringComparison.Ordinal);
        Assert.Empty(_app.Logs.Entries);
    }

    [Fact]
    public async Task PagePost_Answers400_WhenASignedInPersonsFormCarriesAForgedToken()
    {
        using var client = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = _app.BaseAddress };
        await SignIn.AsAdminAsync(client, Ct);

        using var response = await client.PostAsync("/fleet", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["_handler"] = "capacity",
            ["__RequestVerificationToken"] = "forged",
        }), Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(Dashboard.App.Security.FormProtection.RefusedMessage, await response.Content.ReadAsStringAsync(Ct));
        Assert.Empty(_app.Logs.Entries);
    }

    [Fact]
    public async Task UnknownPage_AnswersAClientError_ForAFormPost()
    {
        using var client = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = _app.BaseAddress };

        using var response = await client.PostAsync("/no-such-page-here", new FormUrlEncodedContent(new Dictionary<string, string> { ["a"] = "b" }), Ct);

        Assert.InRange((int)response.StatusCode, 400, 499);
        Assert.Empty(_app.Logs.Entries);
    }
}
