using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dashboard.App.Tests.Infrastructure;
using Dashboard.Data.Auth;

namespace Dashboard.App.Tests.Canaries;

/// <summary>
/// Per-token namespace policies on the Nomad API: outside its namespaces a token gets Nomad's 403
/// "Permission denied" for reads and writes (and nothing changes); <c>namespace=*</c> lists only what
/// it may read; a read-only entry allows reads only. Policies are set through <c>/api/tokens</c>.
/// </summary>
[Collection(AppCollection.Name)]
public sealed class NomadAclTests(AppFixture fixture)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private Task<RawResponse> SendAsync(string method, string path, string? token, string? body = null) =>
        RawHttp.SendAsync(fixture.App.BaseAddress, method, path, token, body, Ct);

    private async Task<string> DeploymentOfNewJobAsync(string ns)
    {
        var job = $"acl-{ns}-" + Guid.NewGuid().ToString("N")[..6];
        var registered = await SendAsync("PUT", $"/v1/jobs?namespace={ns}", DashboardApp.BootstrapToken, NomadContractTests.GoRegisterBody(job, "nginx:1", canary: 0));
        Assert.Equal(200, registered.Status);
        var latest = await SendAsync("GET", $"/v1/job/{job}/deployment?namespace={ns}", DashboardApp.BootstrapToken);
        return JsonDocument.Parse(latest.Body).RootElement.GetProperty("ID").GetString()!;
    }

    private static string Pause(string id) => "{\"DeploymentID\":\"" + id + "\",\"Pause\":true,\"Region\":\"\",\"Namespace\":\"\",\"SecretID\":\"\"}\n";

    private static List<string> Ids(RawResponse r)
    {
        Assert.True(r.Status == 200, $"expected 200, got {r.Status}: {r.Body}");
        return [.. JsonDocument.Parse(r.Body).RootElement.EnumerateArray().Select(d => d.GetProperty("ID").GetString()!)];
    }

    private static void Denied(RawResponse r)
    {
        Assert.True(r.Status == 403, $"expected 403, got {r.Status}: {r.Body}");
        Assert.Equal("Permission denied", r.Body);
        Assert.StartsWith("text/plain", r.Headers["Content-Type"]);
    }

    [Fact]
    public async Task TokenLimitedToANamespace_IsDeniedOutsideIt_AndListsOnlyWhatItMayRead()
    {
        var inDefault = await DeploymentOfNewJobAsync("default");
        var inEdge = await DeploymentOfNewJobAsync("edge");
        using var admin = fixture.App.ApiClient();
        var created = await admin.PostAsJsonAsync("/api/tokens", new { name = "edge-" + Guid.NewGuid().ToString("N")[..6], scopes = new[] { ApiScopes.DeploymentsWrite }, namespaces = new[] { "edge" } }, Ct);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var body = JsonDocument.Parse(await created.Content.ReadAsStringAsync(Ct)).RootElement;
        var edge = body.GetProperty("secret").GetString()!;
        var tokenId = body.GetProperty("id").GetInt32();
        Assert.Equal(["edge"], body.GetProperty("namespaces").EnumerateArray().Select(n => n.GetString()));

        // Reads.
        Denied(await SendAsync("GET", "/v1/deployments", edge));
        Assert.Contains(inEdge, Ids(await SendAsync("GET", "/v1/deployments?namespace=edge", edge)));
        var everywhere = Ids(await SendAsync("GET", "/v1/deployments?namespace=%2A", edge));
        Assert.Contains(inEdge, everywhere);
        Assert.DoesNotContain(inDefault, everywhere);
        Denied(await SendAsync("GET", $"/v1/deployment/{inDefault}?namespace=edge", edge));
        Denied(await SendAsync("GET", $"/v1/deployment/allocations/{inDefault}?namespace=edge", edge));
        Assert.Equal(200, (await SendAsync("GET", $"/v1/deployment/{inEdge}?namespace=edge", edge)).Status);
        var jobs = JsonDocument.Parse((await SendAsync("GET", "/v1/jobs?namespace=%2A", edge)).Body).RootElement;
        Assert.NotEmpty(jobs.EnumerateArray());
        Assert.All(jobs.EnumerateArray(), j => Assert.Equal("edge", j.GetProperty("Namespace").GetString()));

        // Writes: nothing happens outside the policy.
        Denied(await SendAsync("PUT", $"/v1/deployment/pause/{inDefault}?namespace=edge", edge, Pause(inDefault)));
        Denied(await SendAsync("PUT", $"/v1/deployment/pause/{inDefault}", edge, Pause(inDefault)));
        Denied(await SendAsync("PUT", "/v1/jobs", edge, NomadContractTests.GoRegisterBody("acl-denied-" + Guid.NewGuid().ToString("N")[..6], "nginx:1", canary: 0)));
        var stillRunning = JsonDocument.Parse((await SendAsync("GET", $"/v1/deployment/{inDefault}", DashboardApp.BootstrapToken)).Body).RootElement;
        Assert.NotEqual("paused", stillRunning.GetProperty("Status").GetString());
        Assert.Equal(200, (await SendAsync("PUT", $"/v1/deployment/pause/{inEdge}?namespace=edge", edge, Pause(inEdge))).Status);

        // Read-only in edge: reads pass, writes are denied even with deployments:write.
        var set = await admin.PutAsJsonAsync($"/api/tokens/{tokenId}/namespaces", new { namespaces = new[] { "edge:read-job" } }, Ct);
        Assert.Equal(HttpStatusCode.OK, set.StatusCode);
        Assert.Equal(200, (await SendAsync("GET", $"/v1/deployment/{inEdge}?namespace=edge", edge)).Status);
        Denied(await SendAsync("PUT", $"/v1/deployment/fail/{inEdge}?namespace=edge", edge, null));

        // No policy: the scopes alone decide again.
        Assert.Equal(HttpStatusCode.OK, (await admin.PutAsJsonAsync($"/api/tokens/{tokenId}/namespaces", new { namespaces = Array.Empty<string>() }, Ct)).StatusCode);
        Assert.Contains(inDefault, Ids(await SendAsync("GET", "/v1/deployments", edge)));
    }

    [Fact]
    public async Task TokensApi_RefusesABadNamespaceEntry_InItsJsonErrorFormat()
    {
        using var admin = fixture.App.ApiClient();
        var response = await admin.PostAsJsonAsync("/api/tokens", new { name = "bad-ns", scopes = new[] { ApiScopes.Read }, namespaces = new[] { "web/prod" } }, Ct);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("namespace", await response.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        Assert.DoesNotContain((await admin.GetFromJsonAsync<JsonElement>("/api/tokens", Ct)).EnumerateArray(), t => t.GetProperty("name").GetString() == "bad-ns");
    }
}
