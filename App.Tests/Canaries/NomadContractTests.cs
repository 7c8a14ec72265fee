using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Dashboard.App.Tests.Infrastructure;

namespace Dashboard.App.Tests.Canaries;

/// <summary>
/// The requests Nomad's Go api client (v1.9.7) sends, replayed byte for byte (observed-wire.md),
/// and checked against what it needs back: 200 only, a JSON body always, strict integer types,
/// and X-Nomad-Index / X-Nomad-LastContact / X-Nomad-KnownLeader on every read.
/// </summary>
[Collection(AppCollection.Name)]
public sealed partial class NomadContractTests(AppFixture fixture)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private const string Token = DashboardApp.BootstrapToken;

    private Task<RawResponse> SendAsync(string method, string path, string? body = null, string? token = Token) =>
        RawHttp.SendAsync(fixture.App.BaseAddress, method, path, token, body, Ct);

    /// <summary>A job as Go's json.Encoder writes an api.Job that was never canonicalised: every unset pointer is null.</summary>
    internal static string GoRegisterBody(string id, string image, int count = 2, int canary = 1, string healthCheck = "manual", string autoRevert = "null") =>
        "{\"Submission\":null,\"Job\":{\"Region\":null,\"Namespace\":null,\"ID\":\"" + id + "\",\"Name\":\"" + id + "\",\"Type\":\"service\",\"Priority\":null,"
        + "\"AllAtOnce\":null,\"Datacenters\":[\"dc1\"],\"NodePool\":null,\"Constraints\":null,\"Affinities\":null,\"TaskGroups\":[{\"Name\":\"web\",\"Count\":" + count
        + ",\"Constraints\":null,\"Affinities\":null,\"Tasks\":[{\"Name\":\"server\",\"Driver\":\"docker\",\"User\":\"\",\"Lifecycle\":null,\"Config\":{\"image\":\"" + image
        + "\",\"ports\":[\"http\"]},\"Constraints\":null,\"Affinities\":null,\"Env\":null,\"Services\":null,\"Resources\":null,\"RestartPolicy\":null,\"Meta\":null,"
        + "\"KillTimeout\":null,\"LogConfig\":null,\"Artifacts\":null,\"Vault\":null,\"Templates\":null,\"DispatchPayload\":null,\"VolumeMounts\":null,\"Leader\":false,"
        + "\"ShutdownDelay\":0,\"KillSignal\":\"\",\"Kind\":\"\",\"ScalingPolicies\":null}],\"Spreads\":null,\"Volumes\":null,\"RestartPolicy\":null,\"ReschedulePolicy\":null,"
        + "\"EphemeralDisk\":null,\"Update\":{\"Stagger\":null,\"MaxParallel\":1,\"HealthCheck\":\"" + healthCheck + "\",\"MinHealthyTime\":0,\"HealthyDeadline\":60000000000,"
        + "\"ProgressDeadline\":120000000000,\"Canary\":" + canary + ",\"AutoRevert\":" + autoRevert + ",\"AutoPromote\":null},\"Migrate\":null,\"Networks\":null,\"Meta\":null,"
        + "\"Services\":null,\"ShutdownDelay\":null,\"StopAfterClientDisconnect\":null,\"MaxClientDisconnect\":null,\"Scaling\":null,\"Consul\":null,\"PreventRescheduleOnLost\":null}],"
        + "\"Update\":null,\"Multiregion\":null,\"Spreads\":null,\"Periodic\":null,\"ParameterizedJob\":null,\"Reschedule\":null,\"Migrate\":null,\"Meta\":null,"
        + "\"ConsulToken\":null,\"VaultToken\":null,\"Stop\":null,\"ParentID\":null,\"Dispatched\":false,\"DispatchIdempotencyToken\":null,\"Payload\":null,"
        + "\"ConsulNamespace\":null,\"VaultNamespace\":null,\"NomadTokenID\":null,\"Status\":null,\"StatusDescription\":null,\"Stable\":null,\"Version\":null,"
        + "\"SubmitTime\":null,\"CreateIndex\":null,\"ModifyIndex\":null,\"JobModifyIndex\":null},\"Region\":\"\",\"Namespace\":\"\",\"SecretID\":\"\"}\n";

    private static string Pause(string id, bool pause) => "{\"DeploymentID\":\"" + id + "\",\"Pause\":" + (pause ? "true" : "false") + ",\"Region\":\"\",\"Namespace\":\"\",\"SecretID\":\"\"}\n";
    private static string PromoteAll(string id) => "{\"DeploymentID\":\"" + id + "\",\"All\":true,\"Groups\":null,\"PromotedAt\":0,\"Region\":\"\",\"Namespace\":\"\",\"SecretID\":\"\"}\n";
    private static string Health(string id, IEnumerable<string>? healthy, IEnumerable<string>? unhealthy) =>
        "{\"DeploymentID\":\"" + id + "\",\"HealthyAllocationIDs\":" + List(healthy) + ",\"UnhealthyAllocationIDs\":" + List(unhealthy) + ",\"Region\":\"\",\"Namespace\":\"\",\"SecretID\":\"\"}\n";
    private static string Plain(string id) => "{\"DeploymentID\":\"" + id + "\",\"Region\":\"\",\"Namespace\":\"\",\"SecretID\":\"\"}\n";
    private static string List(IEnumerable<string>? ids) => ids is null ? "null" : "[" + string.Join(",", ids.Select(i => "\"" + i + "\"")) + "]";

    [GeneratedRegex("^[0-9]+$")]
    private static partial Regex Unsigned();

    /// <summary>A value Go decodes into uint64 (or int): a bare run of digits, never "19", 19.0, 1e1 or -1.</summary>
    private static ulong U(JsonElement parent, string name)
    {
        var v = parent.GetProperty(name);
        Assert.Equal(JsonValueKind.Number, v.ValueKind);
        Assert.Matches(Unsigned(), v.GetRawText());
        return v.GetUInt64();
    }

    private static JsonElement Ok(RawResponse r, bool read = true)
    {
        Assert.True(r.Status == 200, $"expected 200, got {r.Status}: {r.Body}");
        Assert.False(string.IsNullOrWhiteSpace(r.Body), "a 200 must carry a JSON body");
        Assert.Matches(Unsigned(), r.Headers["X-Nomad-Index"]);
        if (read)
        {
            Assert.Equal("0", r.Headers["X-Nomad-LastContact"]);
            Assert.Equal("true", r.Headers["X-Nomad-KnownLeader"]);
        }
        return JsonDocument.Parse(r.Body).RootElement.Clone();
    }

    private static void AssertDeploymentTypes(JsonElement d)
    {
        Assert.Equal(JsonValueKind.String, d.GetProperty("ID").ValueKind);
        foreach (var name in new[] { "JobVersion", "JobModifyIndex", "JobSpecModifyIndex", "JobCreateIndex", "CreateIndex", "ModifyIndex", "CreateTime", "ModifyTime" }) U(d, name);
        foreach (var group in d.GetProperty("TaskGroups").EnumerateObject())
        {
            U(group.Value, "ProgressDeadline");
            foreach (var n in new[] { "DesiredCanaries", "DesiredTotal", "PlacedAllocs", "HealthyAllocs", "UnhealthyAllocs" }) U(group.Value, n);
            var by = group.Value.GetProperty("RequireProgressBy").GetString()!;
            Assert.True(DateTimeOffset.TryParseExact(by, ["yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'", "yyyy-MM-dd'T'HH:mm:ss'Z'"], CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out _), by);
        }
    }

    private async Task<JsonElement> RegisterAsync(string body)
    {
        var r = Ok(await SendAsync("PUT", "/v1/jobs", body), read: false);
        Assert.Equal(JsonValueKind.String, r.GetProperty("EvalID").ValueKind);
        U(r, "EvalCreateIndex");
        U(r, "JobModifyIndex");
        return r;
    }

    /// <summary>Watches a deployment with blocking queries (index + wait=30000ms, as the client sends) until <paramref name="done"/> holds.</summary>
    private async Task<JsonElement> WatchAsync(string path, Func<JsonElement, bool> done)
    {
        var r = await SendAsync("GET", path);
        var body = Ok(r);
        var clock = Stopwatch.StartNew();
        while (!done(body))
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), $"{path} did not reach the expected state: {body}");
            var index = r.Headers["X-Nomad-Index"];
            r = await SendAsync("GET", $"{path}{(path.Contains('?') ? '&' : '?')}index={index}&wait=30000ms");
            body = Ok(r);
        }
        return body;
    }

    private async Task<List<JsonElement>> AllocationsAsync(string deploymentId) =>
        [.. Ok(await SendAsync("GET", $"/v1/deployment/allocations/{deploymentId}")).EnumerateArray()];

    private async Task<string> LatestDeploymentAsync(string job) =>
        Ok(await SendAsync("GET", $"/v1/job/{job}/deployment")).GetProperty("ID").GetString()!;

    [Fact]
    public async Task ManualCanary_OverTheWire_RegisterHealthPromoteRollAndSucceed()
    {
        var job = "wire-" + Guid.NewGuid().ToString("N")[..8];
        await RegisterAsync(GoRegisterBody(job, "nginx:1.25"));
        var first = await LatestDeploymentAsync(job);
        var allocs = await AllocationsAsync(first);
        Assert.Equal(2, allocs.Count);
        foreach (var a in allocs)
        {
            foreach (var n in new[] { "JobVersion", "CreateIndex", "ModifyIndex", "CreateTime", "ModifyTime" }) U(a, n);
            Assert.Equal(JsonValueKind.Null, a.GetProperty("DeploymentStatus").GetProperty("Healthy").ValueKind);
            Assert.Matches($@"^{job}\.web\[[01]\]$", a.GetProperty("Name").GetString()!);
        }
        Ok(await SendAsync("PUT", $"/v1/deployment/allocation-health/{first}", Health(first, allocs.Select(a => a.GetProperty("ID").GetString()!), null)), read: false);
        var done = await WatchAsync($"/v1/deployment/{first}", d => d.GetProperty("Status").GetString() == "successful");
        Assert.Equal("Deployment completed successfully", done.GetProperty("StatusDescription").GetString());
        AssertDeploymentTypes(done);

        await RegisterAsync(GoRegisterBody(job, "nginx:1.26"));
        var second = await LatestDeploymentAsync(job);
        var d = Ok(await SendAsync("GET", $"/v1/deployment/{second}"));
        Assert.Equal("Deployment is running but requires manual promotion", d.GetProperty("StatusDescription").GetString());
        Assert.Equal(1, d.GetProperty("JobVersion").GetInt32());

        var early = await SendAsync("PUT", $"/v1/deployment/promote/{second}", PromoteAll(second));
        Assert.Equal(400, early.Status);
        Assert.Equal("Task group \"web\" has 0/1 healthy allocations", early.Body);

        var canary = Assert.Single(await AllocationsAsync(second));
        Assert.True(canary.GetProperty("DeploymentStatus").GetProperty("Canary").GetBoolean());
        Ok(await SendAsync("PUT", $"/v1/deployment/allocation-health/{second}", Health(second, [canary.GetProperty("ID").GetString()!], null)), read: false);
        var promoted = Ok(await SendAsync("PUT", $"/v1/deployment/promote/{second}", PromoteAll(second)), read: false);
        U(promoted, "DeploymentModifyIndex");
        U(promoted, "EvalCreateIndex");
        Assert.False(promoted.TryGetProperty("RevertedJobVersion", out _));

        var rolled = await WatchAsync($"/v1/deployment/allocations/{second}", list => list.GetArrayLength() == 2);
        var next = rolled.EnumerateArray().Single(a => !a.GetProperty("DeploymentStatus").GetProperty("Canary").GetBoolean());
        Ok(await SendAsync("PUT", $"/v1/deployment/allocation-health/{second}", Health(second, [next.GetProperty("ID").GetString()!], null)), read: false);
        var success = await WatchAsync($"/v1/deployment/{second}", x => x.GetProperty("Status").GetString() == "successful");
        Assert.True(success.GetProperty("TaskGroups").GetProperty("web").GetProperty("Promoted").GetBoolean());

        var versions = Ok(await SendAsync("GET", $"/v1/job/{job}/versions")).GetProperty("Versions");
        Assert.Equal([1UL, 0UL], versions.EnumerateArray().Select(v => U(v, "Version")));
        Assert.All(versions.EnumerateArray(), v => Assert.True(v.GetProperty("Stable").GetBoolean()));
    }

    [Fact]
    public async Task PauseResumeFailUnblock_AnswerAsNomadDoes_AndTheLosersAreTold()
    {
        var job = "wire-" + Guid.NewGuid().ToString("N")[..8];
        await RegisterAsync(GoRegisterBody(job, "nginx:1", canary: 0));
        var id = await LatestDeploymentAsync(job);

        var paused = Ok(await SendAsync("PUT", $"/v1/deployment/pause/{id}", Pause(id, true)), read: false);
        Assert.Equal("", paused.GetProperty("EvalID").GetString());
        var d = Ok(await SendAsync("GET", $"/v1/deployment/{id}"));
        Assert.Equal("paused", d.GetProperty("Status").GetString());
        Assert.Equal("Deployment is paused", d.GetProperty("StatusDescription").GetString());
        var again = await SendAsync("PUT", $"/v1/deployment/pause/{id}", Pause(id, true));
        Assert.Equal(409, again.Status);
        Assert.Equal("deployment is already paused", again.Body);

        Ok(await SendAsync("PUT", $"/v1/deployment/pause/{id}", Pause(id, false)), read: false);
        var unblock = await SendAsync("PUT", $"/v1/deployment/unblock/{id}", Plain(id));
        Assert.Equal(400, unblock.Status);
        Assert.Equal("can't unblock running deployment", unblock.Body);

        var failed = Ok(await SendAsync("PUT", $"/v1/deployment/fail/{id}", Plain(id)), read: false);
        Assert.Equal(U(failed, "Index"), U(failed, "DeploymentModifyIndex"));
        d = Ok(await SendAsync("GET", $"/v1/deployment/{id}"));
        Assert.Equal("Deployment marked as failed", d.GetProperty("StatusDescription").GetString());
        var twice = await SendAsync("PUT", $"/v1/deployment/fail/{id}", Plain(id));
        Assert.Equal(400, twice.Status);
        Assert.Equal("can't fail terminal deployment", twice.Body);
        var pauseFinished = await SendAsync("POST", $"/v1/deployment/pause/{id}", Pause(id, true));
        Assert.Equal(400, pauseFinished.Status);
        Assert.Equal("can't pause terminal deployment", pauseFinished.Body);
    }

    [Fact]
    public async Task BodylessWrites_Are400RequestBodyIsEmpty_AsNomadsAgentAnswers_AndChangeNothing()
    {
        // A manual canary marked healthy: a promote that acted on a missing body would succeed.
        var job = "wire-" + Guid.NewGuid().ToString("N")[..8];
        await RegisterAsync(GoRegisterBody(job, "nginx:1", canary: 0));
        await RegisterAsync(GoRegisterBody(job, "nginx:2", canary: 1));
        var id = await LatestDeploymentAsync(job);
        var canary = Assert.Single(await AllocationsAsync(id));
        Ok(await SendAsync("PUT", $"/v1/deployment/allocation-health/{id}", Health(id, [canary.GetProperty("ID").GetString()!], null)), read: false);

        async Task Expect(string method, string path, string? body, string text)
        {
            var r = await SendAsync(method, path, body);
            Assert.True(r.Status == 400, $"{method} {path} with {(body is null ? "no body" : $"body '{body}'")}: expected 400, got {r.Status}: {r.Body}");
            Assert.StartsWith("text/plain", r.Headers["Content-Type"]);
            Assert.Equal(text, r.Body);
        }

        foreach (var action in new[] { "pause", "promote", "allocation-health", "unblock" })
        {
            foreach (var method in new[] { "PUT", "POST" })
            {
                await Expect(method, $"/v1/deployment/{action}/{id}", null, "Request body is empty"); // no Content-Length at all
                await Expect(method, $"/v1/deployment/{action}/{id}", "", "Request body is empty"); // Content-Length: 0
            }
            await Expect("PUT", $"/v1/deployment/{action}/{id}", "\n", "EOF");
            await Expect("PUT", $"/v1/deployment/{action}/{id}", "null", "DeploymentID must be specified");
        }

        var d = Ok(await SendAsync("GET", $"/v1/deployment/{id}"));
        Assert.Equal("running", d.GetProperty("Status").GetString());
        Assert.False(d.GetProperty("TaskGroups").GetProperty("web").GetProperty("Promoted").GetBoolean());
        var allocs = await AllocationsAsync(id);
        Assert.True(Assert.Single(allocs).GetProperty("DeploymentStatus").GetProperty("Healthy").GetBoolean());

        // Fail is the exception: Nomad builds it from the path alone.
        Ok(await SendAsync("POST", $"/v1/deployment/fail/{id}", null), read: false);
        Assert.Equal("failed", Ok(await SendAsync("GET", $"/v1/deployment/{id}")).GetProperty("Status").GetString());
    }

    [Fact]
    public async Task BadInput_IsA4xxInPlainText_AndChangesNothing()
    {
        var job = "wire-" + Guid.NewGuid().ToString("N")[..8];
        await RegisterAsync(GoRegisterBody(job, "nginx:1", canary: 0));
        var id = await LatestDeploymentAsync(job);
        var before = Ok(await SendAsync("GET", $"/v1/deployment/{id}"));

        async Task Expect(int status, string method, string path, string? body, string? text = null, string? token = Token)
        {
            var r = await SendAsync(method, path, body, token);
            Assert.True(r.Status == status, $"{method} {path}: expected {status}, got {r.Status}: {r.Body}");
            Assert.StartsWith("text/plain", r.Headers["Content-Type"]);
            if (text is not null) Assert.Equal(text, r.Body);
        }

        await Expect(400, "PUT", $"/v1/deployment/pause/{id}", Pause("d-1111", true), "Deployment ID does not match");
        await Expect(400, "PUT", $"/v1/deployment/pause/{id}", "{\"Pause\":true}\n", "DeploymentID must be specified");
        await Expect(400, "PUT", $"/v1/deployment/pause/{id}", "{\"DeploymentID\":\"" + id + "\",\"Pause\":\"true\"}\n");
        await Expect(400, "PUT", $"/v1/deployment/pause/{id}", "{not json");
        await Expect(400, "PUT", $"/v1/deployment/allocation-health/{id}", Health(id, null, null), "must specify at least one healthy/unhealthy allocation ID");
        await Expect(400, "PUT", $"/v1/deployment/allocation-health/{id}", Health(id, ["not-an-alloc"], null));
        await Expect(400, "PUT", $"/v1/deployment/promote/{id}", PromoteAll(id), "no canaries to promote");
        await Expect(404, "GET", "/v1/deployment/00000000-0000-0000-0000-000000000000", null, "deployment not found");
        await Expect(404, "PUT", "/v1/deployment/fail/00000000-0000-0000-0000-000000000000", Plain("00000000-0000-0000-0000-000000000000"), "deployment not found");
        await Expect(400, "GET", "/v1/deployments?prefix=abc", null);
        await Expect(400, "GET", "/v1/deployments?prefix=zz", null);
        await Expect(400, "GET", "/v1/deployments?per_page=-1", null);
        await Expect(400, "GET", $"/v1/deployment/{id}?index=abc", null, "Invalid index");
        await Expect(400, "GET", $"/v1/deployment/{id}?index=1&wait=soon", null, "Invalid wait time");
        await Expect(400, "PUT", "/v1/jobs", "{\"Job\":{\"ID\":\"x\",\"Priority\":\"high\",\"TaskGroups\":[]}}\n");
        await Expect(400, "PUT", "/v1/jobs", "{\"Job\":{\"ID\":\"x\",\"TaskGroups\":[]}}\n", "Missing job task groups");
        await Expect(403, "GET", "/v1/deployments", null, "Permission denied", token: null);
        await Expect(403, "GET", "/v1/deployments", null, "Permission denied", token: "not-a-token");

        // The watcher moves the deployment on meanwhile; none of the rejected writes took effect.
        var after = Ok(await SendAsync("GET", $"/v1/deployment/{id}"));
        Assert.Equal("running", after.GetProperty("Status").GetString());
        Assert.Equal(before.GetProperty("StatusDescription").GetString(), after.GetProperty("StatusDescription").GetString());
        Assert.All((await AllocationsAsync(id)).Select(a => a.GetProperty("DeploymentStatus").GetProperty("Healthy")), h => Assert.Equal(JsonValueKind.Null, h.ValueKind));
    }

    [Fact]
    public async Task List_PagesWithNextToken_FiltersByPrefixAndNamespace_AndSendsTheHeaders()
    {
        var ids = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            var job = "page-" + Guid.NewGuid().ToString("N")[..8];
            await RegisterAsync(GoRegisterBody(job, "nginx:1", canary: 0));
            ids.Add(await LatestDeploymentAsync(job));
        }
        var all = Ok(await SendAsync("GET", "/v1/deployments")).EnumerateArray().Select(d => d.GetProperty("ID").GetString()!).ToList();
        Assert.Superset(ids.ToHashSet(), all.ToHashSet());
        // Chronological: ours in the order created.
        Assert.Equal(ids, all.Where(ids.Contains));

        var seen = new List<string>();
        var token = "";
        do
        {
            var r = await SendAsync("GET", "/v1/deployments?" + (token == "" ? "" : "next_token=" + Uri.EscapeDataString(token) + "&") + "per_page=2");
            var page = Ok(r).EnumerateArray().Select(d => d.GetProperty("ID").GetString()!).ToList();
            Assert.True(page.Count <= 2);
            seen.AddRange(page);
            token = r.Headers.GetValueOrDefault("X-Nomad-NextToken", "");
        } while (token != "");
        Assert.Equal(all, seen);

        var reversed = Ok(await SendAsync("GET", "/v1/deployments?reverse=true")).EnumerateArray().Select(d => d.GetProperty("ID").GetString()!).ToList();
        Assert.Equal(Enumerable.Reverse(all), reversed);

        var prefix = ids[0][..4];
        var byPrefix = Ok(await SendAsync("GET", "/v1/deployments?prefix=" + prefix)).EnumerateArray().Select(d => d.GetProperty("ID").GetString()!).ToList();
        Assert.Contains(ids[0], byPrefix);
        Assert.All(byPrefix, x => Assert.StartsWith(prefix, x));
        // Other tests of the shared app deploy into "edge"; ours are in "default" and must not show there.
        var edge = Ok(await SendAsync("GET", "/v1/deployments?namespace=edge")).EnumerateArray().ToList();
        Assert.All(edge, d => Assert.Equal("edge", d.GetProperty("Namespace").GetString()));
        Assert.Empty(edge.Select(d => d.GetProperty("ID").GetString()!).Intersect(ids));
        Assert.Superset(ids.ToHashSet(), Ok(await SendAsync("GET", "/v1/deployments?namespace=%2A")).EnumerateArray().Select(d => d.GetProperty("ID").GetString()!).ToHashSet());
        Assert.Equal(JsonValueKind.Null, Ok(await SendAsync("GET", "/v1/job/no-such-job/deployment")).ValueKind);

        // Nomad's filter language, over Nomad's field names, applied while paging.
        var middleJob = Ok(await SendAsync("GET", $"/v1/deployment/{ids[1]}")).GetProperty("JobID").GetString()!;
        var filtered = Ok(await SendAsync("GET", "/v1/deployments?filter=" + Uri.EscapeDataString($"JobID == \"{middleJob}\" and TaskGroups[\"web\"].DesiredTotal == 2")));
        Assert.Equal([ids[1]], filtered.EnumerateArray().Select(d => d.GetProperty("ID").GetString()!));
        var paged = await SendAsync("GET", "/v1/deployments?per_page=1&filter=" + Uri.EscapeDataString("JobID matches \"^page-\""));
        Assert.Single(Ok(paged).EnumerateArray());
        Assert.True(paged.Headers.ContainsKey("X-Nomad-NextToken"));
        var bad = await SendAsync("GET", "/v1/deployments?filter=" + Uri.EscapeDataString("Status == "));
        Assert.Equal(400, bad.Status);
        Assert.StartsWith("failed to read filter expression:", bad.Body);
        var unknown = await SendAsync("GET", "/v1/deployments?filter=" + Uri.EscapeDataString("NoSuchField == 1"));
        Assert.Equal(400, unknown.Status);
    }

    [Fact]
    public async Task BlockingQuery_WaitsForTheWrite_AndWakesPromptly()
    {
        var job = "block-" + Guid.NewGuid().ToString("N")[..8];
        await RegisterAsync(GoRegisterBody(job, "nginx:1", canary: 0));
        var id = await LatestDeploymentAsync(job);
        var first = await SendAsync("GET", $"/v1/deployment/{id}");
        var index = ulong.Parse(first.Headers["X-Nomad-Index"], CultureInfo.InvariantCulture);

        // An index below the current one answers at once.
        var stale = Stopwatch.StartNew();
        Ok(await SendAsync("GET", $"/v1/deployment/{id}?index={index - 1}&wait=30000ms"));
        Assert.True(stale.Elapsed < TimeSpan.FromSeconds(5));

        var notifier = fixture.App.Service<Dashboard.Data.Canaries.CanaryIndexNotifier>();
        var waiting = notifier.WaiterCount;
        var watch = SendAsync("GET", $"/v1/deployment/{id}?index={index}&wait=30000ms");
        // The write below must be what wakes it: wait until the query is parked (no thread holds it).
        while (notifier.WaiterCount <= waiting && !watch.IsCompleted) await Task.Yield();
        Assert.False(watch.IsCompleted);
        var clock = Stopwatch.StartNew();
        Ok(await SendAsync("PUT", $"/v1/deployment/pause/{id}", Pause(id, true)), read: false);
        var woken = await watch;
        clock.Stop();
        var body = Ok(woken);
        Assert.True(ulong.Parse(woken.Headers["X-Nomad-Index"], CultureInfo.InvariantCulture) > index);
        Assert.Equal("paused", body.GetProperty("Status").GetString());
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"woke after {clock.Elapsed}");

        // With nothing written, a short wait times out and answers the same index with a body.
        var quiet = Ok(await SendAsync("GET", $"/v1/deployment/{id}?index={U(body, "ModifyIndex")}&wait=100ms"));
        Assert.Equal("paused", quiet.GetProperty("Status").GetString());
    }
}
