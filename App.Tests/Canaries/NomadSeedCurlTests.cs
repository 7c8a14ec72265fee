using System.Diagnostics;
using System.Text.Json;
using Dashboard.App.Tests.Infrastructure;

namespace Dashboard.App.Tests.Canaries;

/// <summary>
/// The seed's curl calls (Nomad's deployments HTTP API page), run with the real curl binary,
/// verbatim but for the host (and, where the seed's sample deployment cannot exist here, the id).
/// The token travels in curl's own config file (<c>.curlrc</c>), so the command lines stay the seed's.
/// </summary>
[Collection(AppCollection.Name)]
public sealed class NomadSeedCurlTests(AppFixture fixture)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private const string SeedHost = "https://localhost:4646";

    private async Task<(int Status, string Body)> CurlAsync(TempDirectory home, string seedCommand)
    {
        var command = seedCommand.Replace(SeedHost, fixture.App.BaseAddress.ToString().TrimEnd('/'), StringComparison.Ordinal);
        var info = new ProcessStartInfo("/bin/sh", ["-c", command.Replace("$ curl", "curl -s -w '\\n%{http_code}'", StringComparison.Ordinal)])
        {
            WorkingDirectory = home.Path,
            RedirectStandardOutput = true,
            Environment = { ["HOME"] = home.Path, ["CURL_HOME"] = home.Path },
        };
        using var process = Process.Start(info)!;
        var output = await process.StandardOutput.ReadToEndAsync(Ct);
        await process.WaitForExitAsync(Ct);
        var lastLine = output.LastIndexOf('\n');
        return (int.Parse(output[(lastLine + 1)..].Trim(), System.Globalization.CultureInfo.InvariantCulture), output[..Math.Max(0, lastLine)]);
    }

    private async Task<string> NewDeploymentAsync(string job, int canary, string healthCheck = "manual")
    {
        using var client = fixture.App.ApiClient("X-Nomad-Token");
        var body = NomadContractTests.GoRegisterBody(job, "redis:7", count: 3, canary: 0, healthCheck: healthCheck);
        (await client.PutAsync("/v1/jobs", new StringContent(body), Ct)).EnsureSuccessStatusCode();
        if (canary > 0)
        {
            (await client.PutAsync("/v1/jobs", new StringContent(NomadContractTests.GoRegisterBody(job, "redis:7.2", count: 3, canary: canary, healthCheck: healthCheck)), Ct)).EnsureSuccessStatusCode();
        }
        var d = JsonDocument.Parse(await client.GetStringAsync($"/v1/job/{job}/deployment", Ct)).RootElement;
        return d.GetProperty("ID").GetString()!;
    }

    [Fact]
    public async Task SeedCurlCalls_WorkWithOnlyTheHostChanged()
    {
        if (!File.Exists("/usr/bin/curl")) Assert.Skip("curl is not installed");
        using var home = new TempDirectory();
        await File.WriteAllTextAsync(Path.Combine(home.Path, ".curlrc"), $"header = \"X-Nomad-Token: {DashboardApp.BootstrapToken}\"\n", Ct);
        var job = "example-" + Guid.NewGuid().ToString("N")[..6];
        var id = await NewDeploymentAsync(job, canary: 1);

        var (status, body) = await CurlAsync(home, "$ curl \\\n    https://localhost:4646/v1/deployments");
        Assert.Equal(200, status);
        Assert.Contains(id, body);

        // The seed's own prefix has seven characters; its text says a prefix must have an even number, and Nomad refuses it.
        (status, body) = await CurlAsync(home, "$ curl \\\n    https://localhost:4646/v1/deployments?prefix=25ba81c");
        Assert.Equal(400, status);
        Assert.Contains("even number of hexadecimal characters", body);
        (status, body) = await CurlAsync(home, $"$ curl \\\n    https://localhost:4646/v1/deployments?prefix={id[..6]}");
        Assert.Equal(200, status);
        Assert.Contains(id, body);

        (status, body) = await CurlAsync(home, "$ curl \\\n    https://localhost:4646/v1/deployment/70638f62-5c19-193e-30d6-f9d6e689ab8e");
        Assert.Equal((404, "deployment not found"), (status, body));
        (status, body) = await CurlAsync(home, $"$ curl \\\n    https://localhost:4646/v1/deployment/{id}");
        Assert.Equal(200, status);
        Assert.Equal(job, JsonDocument.Parse(body).RootElement.GetProperty("JobID").GetString());

        (status, body) = await CurlAsync(home, $"$ curl \\\n    https://localhost:4646/v1/deployment/allocations/{id}");
        Assert.Equal(200, status);
        var canary = Assert.Single(JsonDocument.Parse(body).RootElement.EnumerateArray());
        Assert.Equal($"{job}.web[0]", canary.GetProperty("Name").GetString());

        // Set Allocation Health, with the seed's payload shape.
        await File.WriteAllTextAsync(Path.Combine(home.Path, "payload.json"),
            $$"""{ "DeploymentID": "{{id}}", "HealthyAllocationIDs": [ "{{canary.GetProperty("ID").GetString()}}" ] }""", Ct);
        (status, body) = await CurlAsync(home, $"$ curl \\\n    --request POST \\\n    --data @payload.json \\\n    https://localhost:4646/v1/deployment/allocation-health/{id}");
        Assert.Equal(200, status);
        Assert.True(JsonDocument.Parse(body).RootElement.GetProperty("Index").GetUInt64() > 0);

        // The seed's sample requests for promote, pause and unblock carry no body; Nomad's agent decodes
        // the body first and answers those 400. With the seed's sample payloads they work.
        foreach (var action in new[] { "promote", "pause", "unblock" })
        {
            (status, body) = await CurlAsync(home, $"$ curl \\\n    --request POST \\\n    https://localhost:4646/v1/deployment/{action}/{id}");
            Assert.Equal((400, "Request body is empty"), (status, body));
        }

        await File.WriteAllTextAsync(Path.Combine(home.Path, "payload.json"), $$"""{ "DeploymentID": "{{id}}", "All": true }""", Ct);
        (status, body) = await CurlAsync(home, $"$ curl \\\n    --request POST \\\n    --data @payload.json \\\n    https://localhost:4646/v1/deployment/promote/{id}");
        Assert.Equal(200, status);
        var promoted = JsonDocument.Parse(body).RootElement;
        Assert.Equal(["EvalID", "EvalCreateIndex", "DeploymentModifyIndex", "Index"], promoted.EnumerateObject().Select(p => p.Name));

        await File.WriteAllTextAsync(Path.Combine(home.Path, "payload.json"), $$"""{ "DeploymentID": "{{id}}", "Pause": true }""", Ct);
        (status, _) = await CurlAsync(home, $"$ curl \\\n    --request POST \\\n    --data @payload.json \\\n    https://localhost:4646/v1/deployment/pause/{id}");
        Assert.Equal(200, status);
        await File.WriteAllTextAsync(Path.Combine(home.Path, "payload.json"), $$"""{ "DeploymentID": "{{id}}", "Pause": false }""", Ct);
        (status, _) = await CurlAsync(home, $"$ curl \\\n    --request POST \\\n    --data @payload.json \\\n    https://localhost:4646/v1/deployment/pause/{id}");
        Assert.Equal(200, status);

        await File.WriteAllTextAsync(Path.Combine(home.Path, "payload.json"), $$"""{ "DeploymentID": "{{id}}" }""", Ct);
        (status, body) = await CurlAsync(home, $"$ curl \\\n    --request POST \\\n    --data @payload.json \\\n    https://localhost:4646/v1/deployment/unblock/{id}");
        Assert.Equal((400, "can't unblock running deployment"), (status, body));

        (status, body) = await CurlAsync(home, $"$ curl \\\n    --request POST \\\n    https://localhost:4646/v1/deployment/fail/{id}");
        Assert.Equal(200, status);
        var failed = JsonDocument.Parse(body).RootElement;
        Assert.Equal(failed.GetProperty("Index").GetUInt64(), failed.GetProperty("DeploymentModifyIndex").GetUInt64());
        (status, body) = await CurlAsync(home, $"$ curl \\\n    https://localhost:4646/v1/deployment/{id}");
        Assert.Equal("Deployment marked as failed", JsonDocument.Parse(body).RootElement.GetProperty("StatusDescription").GetString());
    }
}
