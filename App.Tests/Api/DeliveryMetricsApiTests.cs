using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dashboard.App.Tests.Infrastructure;
using Dashboard.Data.Auth;

namespace Dashboard.App.Tests.Api;

[Collection(AppCollection.Name)]
public sealed class DeliveryMetricsApiTests(AppFixture fixture)
{
    [Fact]
    public async Task Get_CountsTheComponentsDeployments_FromChangeEventsSentThroughBigPanda()
    {
        var ct = TestContext.Current.CancellationToken;
        var component = $"metrics-{Guid.NewGuid():N}"[..20];
        using var api = fixture.App.ApiClient();
        foreach (var (version, status) in new[] { ("1", "success"), ("2", "failure"), ("3", "success"), ("4", "success") })
        {
            var change = new { component, version, hosts = new[] { "m-1" } };
            (await api.PostAsJsonAsync("/data/events/deployments/start", change, ct)).EnsureSuccessStatusCode();
            (await api.PostAsJsonAsync("/data/events/deployments/end", new { component, version, change.hosts, status }, ct)).EnsureSuccessStatusCode();
        }
        var reader = await fixture.App.Service<TokenService>().CreateAsync($"reader-{component}", [ApiScopes.Read], "admin", ct: ct);
        using var client = fixture.App.ApiClient(token: reader.Secret);

        var report = await client.GetFromJsonAsync<JsonElement>($"/api/delivery-metrics?days=7&component={component}", ct);

        Assert.Equal(7, report.GetProperty("days").GetInt32());
        var overall = report.GetProperty("overall");
        Assert.Equal(4, overall.GetProperty("deployments").GetInt32());
        Assert.Equal(1, overall.GetProperty("failures").GetInt32());
        Assert.Equal(0.25, overall.GetProperty("changeFailureRate").GetDouble());
        Assert.Equal(1, overall.GetProperty("restored").GetInt32());
        Assert.Equal(7, report.GetProperty("daily").GetArrayLength());
        Assert.Equal(component, report.GetProperty("components")[0].GetProperty("component").GetString());
    }

    [Theory]
    [InlineData("?days=14", "days")]
    [InlineData("?days=abc", null)]
    public async Task Get_Answers400InJson_ForABadPeriod(string query, string? field)
    {
        using var client = fixture.App.ApiClient();
        var response = await client.GetAsync("/api/delivery-metrics" + query, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken);
        Assert.False(string.IsNullOrEmpty(body.GetProperty("error").GetString()));
        if (field is not null) Assert.Equal(field, body.GetProperty("field").GetString());
    }

    [Fact]
    public async Task Get_Answers401_WithoutAToken()
    {
        using var client = fixture.App.ApiClient(token: null);
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/api/delivery-metrics", TestContext.Current.CancellationToken)).StatusCode);
    }
}
