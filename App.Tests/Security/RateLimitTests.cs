using System.Net;
using System.Text;
using System.Text.Json;
using Dashboard.App.Security;
using Dashboard.App.Tests.Infrastructure;

namespace Dashboard.App.Tests.Security;

/// <summary>Per caller and per API family limits, answered in each family's own error format.</summary>
[Collection(AppCollection.Name)]
public sealed class RateLimitTests : IAsyncLifetime
{
    private const int Allowed = 3;
    private readonly TempDirectory _data = new();
    private DashboardApp _app = default!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public ValueTask InitializeAsync()
    {
        // A bucket of three that refills one a second: back-to-back requests empty it even when a loaded
        // machine makes the first ones slow (the limiter runs on the real clock).
        var settings = new Dictionary<string, string?>();
        foreach (var family in RateLimitSettings.DefaultPermitsPerSecond.Keys)
        {
            settings[$"{RateLimitSettings.Section}:Families:{family}:PermitsPerSecond"] = "1";
            settings[$"{RateLimitSettings.Section}:Families:{family}:Burst"] = Allowed.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        _app = new DashboardApp(_data.Path, settings).Start();
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.DisposeAsync();
        _data.Dispose();
    }

    [Theory]
    [InlineData("/api/timeline?limit=1", "Authorization", "dashboard")]
    [InlineData("/facilities", "X-Auth-Token", "packet")]
    [InlineData("/v1/jobs", "X-Nomad-Token", "nomad")]
    [InlineData("/api/management/v1/deployments/deployments", "Authorization", "mender")]
    [InlineData("/data/changes", "Authorization", "bigpanda")]
    public async Task OneToken_OverItsLimit_Gets429WithRetryAfter_InTheFamilysFormat(string path, string header, string format)
    {
        var secret = await NewTokenAsync("limited " + format);
        using var client = _app.ApiClient(header, secret);
        using var other = _app.ApiClient(header);
        var method = format == "bigpanda" ? HttpMethod.Post : HttpMethod.Get;

        HttpRequestMessage Request() => new(method, path) { Content = method == HttpMethod.Post ? new StringContent("{}", Encoding.UTF8, "application/json") : null };
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < Allowed; i++)
        {
            using var request = Request();
            using var ok = await client.SendAsync(request, Ct);
            statuses.Add(ok.StatusCode);
        }
        // The next one is over the limit, or, if the machine was slow enough for a token to come back, one soon after.
        HttpResponseMessage over = null!;
        for (var attempt = 0; attempt < 5; attempt++)
        {
            using var overRequest = Request();
            over = await client.SendAsync(overRequest, Ct);
            if (over.StatusCode == HttpStatusCode.TooManyRequests) break;
            over.Dispose();
        }
        using var overResponse = over;
        using var otherRequest = Request();
        using var unaffected = await other.SendAsync(otherRequest, Ct);

        Assert.DoesNotContain(HttpStatusCode.TooManyRequests, statuses);
        Assert.Equal(HttpStatusCode.TooManyRequests, over.StatusCode);
        Assert.NotNull(over.Headers.RetryAfter?.Delta);
        Assert.NotEqual(HttpStatusCode.TooManyRequests, unaffected.StatusCode);
        var body = await over.Content.ReadAsStringAsync(Ct);
        switch (format)
        {
            case "dashboard": Assert.StartsWith("Rate limit", JsonDocument.Parse(body).RootElement.GetProperty("error").GetString(), StringComparison.Ordinal); break;
            case "packet": Assert.StartsWith("Rate limit", JsonDocument.Parse(body).RootElement.GetProperty("errors")[0].GetString(), StringComparison.Ordinal); break;
            case "mender": Assert.True(JsonDocument.Parse(body).RootElement.TryGetProperty("request_id", out _)); break;
            case "bigpanda": Assert.Equal("failure", JsonDocument.Parse(body).RootElement.GetProperty("status").GetString()); break;
            case "nomad": Assert.StartsWith("Rate limit", body, StringComparison.Ordinal); break;
        }
    }

    [Fact]
    public async Task Pages_AreNotLimited()
    {
        using var client = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = _app.BaseAddress };
        for (var i = 0; i < Allowed * 3; i++)
        {
            using var page = await client.GetAsync("/login", Ct);
            Assert.Equal(HttpStatusCode.OK, page.StatusCode);
            using var batches = await client.GetAsync("/batches", Ct);
            Assert.NotEqual(HttpStatusCode.TooManyRequests, batches.StatusCode);
        }
    }

    private async Task<string> NewTokenAsync(string name) =>
        (await _app.Service<Dashboard.Data.Auth.TokenService>().CreateAsync(name, [Dashboard.Data.Auth.ApiScopes.Admin], "test", ct: Ct)).Secret;
}
