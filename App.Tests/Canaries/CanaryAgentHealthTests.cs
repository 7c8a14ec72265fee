using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dashboard.App.Tests.Infrastructure;
using Dashboard.Data.Auth;

namespace Dashboard.App.Tests.Canaries;

/// <summary>
/// Our endpoint for real agents (<c>PUT /api/canaries/allocations/{id}/health</c>) with the external
/// driver, where allocations wait for an agent's report: it applies the token's namespace policy like
/// every Nomad write (403 "Permission denied" outside it, and nothing changes).
/// </summary>
[Collection(AppCollection.Name)]
public sealed class CanaryAgentHealthTests : IAsyncLifetime
{
    private readonly TempDirectory _data = new();
    private DashboardApp _app = default!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public ValueTask InitializeAsync()
    {
        _app = new DashboardApp(_data.Path, new Dictionary<string, string?> { ["Dashboard:Canaries:Driver"] = "external" }).Start();
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.DisposeAsync();
        _data.Dispose();
    }

    private Task<RawResponse> SendAsync(string method, string path, string? token, string? body = null) =>
        RawHttp.SendAsync(_app.BaseAddress, method, path, token, body, Ct);

    /// <summary>Registers a one-allocation job in <paramref name="ns"/> and answers its allocation's id.</summary>
    private async Task<(string Job, string Id)> AllocationOfNewJobAsync(string ns)
    {
        var job = $"agent-{ns}-" + Guid.NewGuid().ToString("N")[..6];
        var registered = await SendAsync("PUT", $"/v1/jobs?namespace={ns}", DashboardApp.BootstrapToken,
            NomadContractTests.GoRegisterBody(job, "nginx:1", count: 1, canary: 0, healthCheck: "task_states"));
        Assert.True(registered.Status == 200, registered.Body);
        return (job, (await AllocationAsync(job, ns)).GetProperty("ID").GetString()!);
    }

    private async Task<JsonElement> AllocationAsync(string job, string ns)
    {
        var allocations = await SendAsync("GET", $"/v1/job/{job}/allocations?namespace={ns}", DashboardApp.BootstrapToken);
        Assert.True(allocations.Status == 200, allocations.Body);
        return Assert.Single(JsonDocument.Parse(allocations.Body).RootElement.EnumerateArray());
    }

    private async Task<bool?> HealthyAsync((string Job, string Id) allocation, string ns)
    {
        var status = (await AllocationAsync(allocation.Job, ns)).GetProperty("DeploymentStatus");
        return status.ValueKind == JsonValueKind.Null || status.GetProperty("Healthy").ValueKind == JsonValueKind.Null
            ? null
            : status.GetProperty("Healthy").GetBoolean();
    }

    [Fact]
    public async Task ReportHealth_IsDeniedOutsideTheTokensNamespaces_AndWorksInside()
    {
        var inDefault = await AllocationOfNewJobAsync("default");
        var inEdge = await AllocationOfNewJobAsync("edge");
        using var admin = _app.ApiClient();
        using var created = await admin.PostAsJsonAsync("/api/tokens",
            new { name = "agent-edge", scopes = new[] { ApiScopes.DeploymentsWrite }, namespaces = new[] { "edge", "default:read" } }, Ct);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var agent = (await created.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("secret").GetString()!;

        var denied = await SendAsync("PUT", $"/api/canaries/allocations/{inDefault.Id}/health", agent, """{"Healthy": false}""");
        var allowed = await SendAsync("PUT", $"/api/canaries/allocations/{inEdge.Id}/health", agent, """{"Healthy": true}""");

        Assert.True(denied.Status == 403, $"expected 403, got {denied.Status}: {denied.Body}");
        Assert.Equal("Permission denied", denied.Body);
        Assert.StartsWith("text/plain", denied.Headers["Content-Type"]);
        Assert.Null(await HealthyAsync(inDefault, "default"));
        Assert.True(allowed.Status == 200, allowed.Body);
        Assert.True(await HealthyAsync(inEdge, "edge"));
        // An unrestricted token still reports anywhere; an unknown allocation stays Nomad's 404 for a restricted one.
        Assert.Equal(200, (await SendAsync("PUT", $"/api/canaries/allocations/{inDefault.Id}/health", DashboardApp.BootstrapToken, """{"Healthy": true}""")).Status);
        Assert.Equal(404, (await SendAsync("PUT", "/api/canaries/allocations/no-such-allocation/health", agent, """{"Healthy": true}""")).Status);
    }
}
