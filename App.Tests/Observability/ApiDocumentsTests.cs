using System.Net;
using System.Text.Json;
using Dashboard.App.Tests.Infrastructure;

namespace Dashboard.App.Tests.Observability;

[Collection(AppCollection.Name)]
public sealed class ApiDocumentsTests(AppFixture fixture)
{
    private static readonly CancellationToken Ct = TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("packet", "/projects/{projectId}/devices/batch", "/v1/deployments")]
    [InlineData("bigpanda", "/data/events/deployments/start", "/api/timeline")]
    [InlineData("mender", "/api/devices/v1/authentication/auth_requests", "/data/events/deployments/start")]
    [InlineData("nomad", "/v1/deployments", "/api/devices/v1/authentication/auth_requests")]
    [InlineData("dashboard", "/api/timeline", "/projects/{projectId}/devices/batch")]
    public async Task Document_ListsItsFamilysPaths_AndNoOtherFamilys(string family, string own, string foreign)
    {
        using var client = fixture.App.ApiClient(token: null);
        using var response = await client.GetAsync($"/openapi/{family}.json", Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
        var paths = document.RootElement.GetProperty("paths").EnumerateObject().Select(p => p.Name).ToList();
        Assert.Contains(own, paths);
        Assert.DoesNotContain(foreign, paths);
    }

    [Fact]
    public async Task MenderDocument_ShowsMendersErrorBody_ForAnOperationThatDoesNotDeclareIt()
    {
        using var client = fixture.App.ApiClient(token: null);
        using var document = JsonDocument.Parse(await client.GetStringAsync("/openapi/mender.json", Ct));
        var post = document.RootElement.GetProperty("paths").GetProperty("/api/devices/v1/authentication/auth_requests").GetProperty("post");

        var example = post.GetProperty("responses").GetProperty("400").GetProperty("content").GetProperty("application/json").GetProperty("example");
        Assert.True(example.TryGetProperty("error", out _));
        Assert.True(example.TryGetProperty("request_id", out _));
    }
}
