using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using Dashboard.App.Auth;
using Dashboard.App.Realtime;
using Dashboard.App.Tests.Browser;
using Dashboard.App.Tests.Canaries;
using Dashboard.App.Tests.Infrastructure;
using Dashboard.Data.Auth;
using Dashboard.Data.Canaries;
using Dashboard.Data.Cluster;
using Dashboard.Data.Timeline;
using Dashboard.Data.Work;
using Dashboard.Jobs.Reconciliation;
using Dashboard.Jobs.Work;
using Hangfire;
using Hangfire.States;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.Logging.Abstractions;

namespace Dashboard.App.Tests.Cluster;

/// <summary>
/// Issue 12: two nodes on one PostgreSQL behave as one dashboard. Live updates, blocking queries,
/// jobs, the per-subject gate, the start-up reconciler and the optimistic guards, each across nodes.
/// </summary>
[Collection(AppCollection.Name)]
public sealed partial class TwoNodeTests(TwoNodes nodes, BrowserFixture browser) : IClassFixture<TwoNodes>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private DashboardApp A => nodes.A;
    private DashboardApp B => nodes.B;

    private void SkipWithoutPostgres()
    {
        if (nodes.Unavailable is { } why) Assert.Skip(why);
    }

    [Fact]
    public async Task ChangeCommittedOnA_StreamsFromTheHubOfB()
    {
        SkipWithoutPostgres();
        var token = (await B.Service<TokenService>().CreateAsync("cluster-bot", [ApiScopes.Read], "admin", ct: Ct)).Secret;
        await using var connection = new HubConnectionBuilder()
            .WithUrl(new Uri(B.BaseAddress, TimelineHub.Path), o => o.AccessTokenProvider = () => Task.FromResult<string?>(token))
            .Build();
        await connection.StartAsync(Ct);
        var component = $"hub-{Guid.NewGuid():N}"[..14];
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        cts.CancelAfter(TimeSpan.FromSeconds(30));
        await using var reader = connection.StreamAsync<TimelineEntry>("Stream", new TimelineFilter(Source: TimelineSources.Changes, Component: component), cts.Token)
            .GetAsyncEnumerator(cts.Token);
        var next = reader.MoveNextAsync().AsTask();
        using var client = A.ApiClient();

        // B's hub subscribes when the stream starts; send on A until the first matching entry arrives on B.
        for (var attempt = 0; !next.IsCompleted && attempt < 50; attempt++)
        {
            await PostStartAsync(client, component, "1." + attempt);
            await Task.WhenAny(next, Task.Delay(200, Ct));
        }

        Assert.True(await next);
        Assert.Equal(component, reader.Current.Component);
        Assert.StartsWith($"{component} 1.", reader.Current.Title, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ChangeCommittedOnA_AppearsOnAPageConnectedToB()
    {
        SkipWithoutPostgres();
        var page = await LoginPage.SignedInAsync(browser, B, "/changes");
        await new LoginPage(page).WaitUntilInteractiveAsync();
        var component = $"page-{Guid.NewGuid():N}"[..15];
        using var client = A.ApiClient();

        var clock = Stopwatch.StartNew();
        await PostStartAsync(client, component, "2.0");
        await page.GetByText(component).First.WaitForAsync(new() { Timeout = 20_000 });

        TestContext.Current.SendDiagnosticMessage($"A's change on B's page after {clock.ElapsedMilliseconds} ms");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task TokenRevokedOnA_IsRefusedOnB_LongBeforeBsCacheExpires()
    {
        SkipWithoutPostgres();
        var created = await A.Service<TokenService>().CreateAsync($"revoked-{Guid.NewGuid():N}"[..16], [ApiScopes.Read], "admin", ct: Ct);
        using var client = B.ApiClient(token: created.Secret);
        // Cached on B now, for 30 s.
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/timeline", Ct)).StatusCode);

        var clock = Stopwatch.StartNew();
        await A.Service<TokenService>().RevokeAsync(created.Token.Id, Ct);
        var status = HttpStatusCode.OK;
        while (clock.Elapsed < TimeSpan.FromSeconds(15) && (status = (await client.GetAsync("/api/timeline", Ct)).StatusCode) == HttpStatusCode.OK)
        {
            await Task.Delay(50, Ct);
        }

        TestContext.Current.SendDiagnosticMessage($"Revoked on A, refused on B after {clock.ElapsedMilliseconds} ms");
        Assert.Equal(HttpStatusCode.Unauthorized, status);
    }

    [Fact]
    public async Task TokenRevokedOnA_ClosesItsHubConnectionOnB_AtOnce()
    {
        SkipWithoutPostgres();
        var created = await A.Service<TokenService>().CreateAsync($"hub-{Guid.NewGuid():N}"[..12], [ApiScopes.Read], "admin", ct: Ct);
        await using var connection = new HubConnectionBuilder()
            .WithUrl(new Uri(B.BaseAddress, TimelineHub.Path), o => o.AccessTokenProvider = () => Task.FromResult<string?>(created.Secret))
            .Build();
        var closed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        connection.Closed += _ =>
        {
            closed.TrySetResult();
            return Task.CompletedTask;
        };
        await connection.StartAsync(Ct);
        await Eventually.WaitUntilAsync(() => B.Service<TokenConnections>().CountOf(created.Token.Id) == 1);

        var clock = Stopwatch.StartNew();
        await A.Service<TokenService>().RevokeAsync(created.Token.Id, Ct);
        // B's sweep runs every 30 s on the real clock here: a close within 5 s is the signal's, 5 times in 6.
        await closed.Task.WaitAsync(TimeSpan.FromSeconds(5), Ct);

        TestContext.Current.SendDiagnosticMessage($"Revoked on A, B's hub connection closed after {clock.ElapsedMilliseconds} ms");
        Assert.Equal(HubConnectionState.Disconnected, connection.State);
    }

    [Fact]
    public async Task ProgressSignalledOnA_ReachesSubscribersOnB()
    {
        SkipWithoutPostgres();
        var subject = "progress-" + Guid.NewGuid().ToString("N")[..8];
        var heard = new TaskCompletionSource<ProgressSignal>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var subscription = B.Service<ProgressNotifier>().Subscribe(SubjectKinds.Batch, subject, s => heard.TrySetResult(s));

        A.Service<ProgressNotifier>().Notify(SubjectKinds.Batch, subject);

        var signal = await heard.Task.WaitAsync(TimeSpan.FromSeconds(20), Ct);
        Assert.Equal((SubjectKinds.Batch, subject), (signal.Kind, signal.SubjectId));
    }

    [Fact]
    public async Task BlockingQueryOnB_WakesOnAWriteOnA()
    {
        SkipWithoutPostgres();
        var id = await RegisterAsync("block");
        using var b = B.ApiClient("X-Nomad-Token");
        using var a = A.ApiClient("X-Nomad-Token");
        using var first = await b.GetAsync($"/v1/deployment/{id}", Ct);
        var index = long.Parse(first.Headers.GetValues("X-Nomad-Index").Single(), System.Globalization.CultureInfo.InvariantCulture);
        var heardOnB = new System.Collections.Concurrent.ConcurrentBag<long>();
        void OnWrite(CanaryWrite w) { if (w.DeploymentIds.Contains(id)) heardOnB.Add(w.Index); }
        B.Service<CanaryIndexNotifier>().Written += OnWrite;
        try
        {
            var watch = WatchUntilPausedAsync(b, id, index);

            using var paused = await a.PutAsync($"/v1/deployment/pause/{id}", Nomad(Pause(id)), Ct);
            Assert.Equal(HttpStatusCode.OK, paused.StatusCode);
            var pauseIndex = JsonDocument.Parse(await paused.Content.ReadAsStringAsync(Ct)).RootElement.GetProperty("DeploymentModifyIndex").GetInt64();

            var (status, seenIndex) = await watch.WaitAsync(TimeSpan.FromSeconds(30), Ct);
            Assert.Equal("paused", status);
            Assert.True(seenIndex >= pauseIndex, $"B answered at index {seenIndex}, before A's pause at {pauseIndex}");
            // The write was made by A's request: B can only have heard of its index from A.
            Assert.Contains(pauseIndex, heardOnB);
        }
        finally
        {
            B.Service<CanaryIndexNotifier>().Written -= OnWrite;
        }
    }

    [Fact]
    public async Task HundredConcurrentPauses_SplitOverBothNodes_ExactlyOneWins()
    {
        SkipWithoutPostgres();
        var id = await RegisterAsync("race");
        using var a = A.ApiClient("X-Nomad-Token");
        using var b = B.ApiClient("X-Nomad-Token");

        var results = await Task.WhenAll(Enumerable.Range(0, 100).Select(async i =>
        {
            using var response = await (i % 2 == 0 ? a : b).PutAsync($"/v1/deployment/pause/{id}", Nomad(Pause(id)), Ct);
            return (response.StatusCode, Body: await response.Content.ReadAsStringAsync(Ct));
        }));

        Assert.Single(results, r => r.StatusCode == HttpStatusCode.OK);
        Assert.All(results.Where(r => r.StatusCode != HttpStatusCode.OK), r => Assert.Equal("deployment is already paused", r.Body.Trim()));
        // One transition, so one timeline entry for it, whichever node won.
        Assert.Equal(1, await nodes.CountAsync("SELECT count(*) FROM \"TimelineEntries\" WHERE \"SubjectId\" = $1 AND \"Status\" = 'paused'", id));
    }

    [Fact]
    public async Task EachJobRunsOnce_WhateverNodeEnqueuedIt()
    {
        SkipWithoutPostgres();
        var run = Guid.NewGuid().ToString("N")[..8];
        var subjects = Enumerable.Range(0, 40).Select(i => $"once-{run}-{i}").ToArray();

        for (var i = 0; i < subjects.Length; i++)
            (i % 2 == 0 ? A : B).Service<IWorkScheduler>().Enqueue(new WorkItem(Probe.Kind, subjects[i], $"Probe {subjects[i]}"));

        await nodes.Probe.UntilAsync(() => subjects.All(s => nodes.Probe.NodesThatRan(s).Count > 0), TimeSpan.FromSeconds(40));
        Assert.All(subjects, s => Assert.Single(nodes.Probe.NodesThatRan(s)));
        var byNode = subjects.GroupBy(s => nodes.Probe.NodesThatRan(s)[0]).ToDictionary(g => g.Key, g => g.Count());
        TestContext.Current.SendDiagnosticMessage($"Ran on A: {byNode.GetValueOrDefault("A")}, on B: {byNode.GetValueOrDefault("B")}");
    }

    [Fact]
    public async Task SubjectGate_LetsOneNodeIn_AndTheOtherWaitsAtPostgres()
    {
        SkipWithoutPostgres();
        var key = SubjectGate.Key(Probe.Kind, "gate-" + Guid.NewGuid().ToString("N")[..8]);
        var held = await A.Service<SubjectGate>().EnterAsync(key, Ct);
        var waiting = B.Service<SubjectGate>().EnterAsync(key, Ct);

        await UntilAsync(async () => await WaitersAsync(key) == 1, "B never queued for the lock at PostgreSQL");
        Assert.False(waiting.IsCompleted);
        Assert.True(B.Service<SubjectGate>().IsBusyElsewhere(key));

        await held.DisposeAsync();

        await using var second = await waiting.WaitAsync(TimeSpan.FromSeconds(20), Ct);
        Assert.Equal(0, await WaitersAsync(key));
    }

    [Fact]
    public async Task StartingReconciler_LeavesWorkOtherNodesHaveInHand_AndResumesTheRest()
    {
        SkipWithoutPostgres();
        var run = Guid.NewGuid().ToString("N")[..8];
        string busy = $"busy-{run}", queued = $"queued-{run}", fresh = $"fresh-{run}";
        // A job of node A is working on "busy" right now ...
        await using var working = await A.Service<SubjectGate>().EnterAsync(SubjectGate.Key(Probe.Kind, busy), Ct);
        // ... and "queued" waits in the shared queue (one no server here takes from, so it stays there).
        A.Service<IBackgroundJobClient>().Create(
            Hangfire.Common.Job.FromExpression<WorkJob>(j => j.RunAsync(Probe.Kind, queued, "parked", CancellationToken.None)), new EnqueuedState("parked"));

        var step = new EnqueueStep(B.Service<IWorkScheduler>(), [busy, queued, fresh]);
        await new StartupReconciler([step], NullLogger<StartupReconciler>.Instance, B.Service<ReconcileFilter>()).StartAsync(Ct);

        Assert.Equal(0, await JobsForAsync(busy));
        Assert.Equal(1, await JobsForAsync(queued));
        Assert.Equal(1, await JobsForAsync(fresh));
        await nodes.Probe.UntilAsync(() => nodes.Probe.NodesThatRan(fresh).Count > 0, TimeSpan.FromSeconds(30));
    }

    private Task<long> JobsForAsync(string subject) =>
        nodes.CountAsync("SELECT count(*) FROM hangfire.job WHERE arguments::text LIKE $1", $"%{subject}%");

    /// <summary>Sessions waiting for this app's advisory lock <paramref name="key"/>, as pg_locks shows them.</summary>
    private Task<long> WaitersAsync(string key) =>
        nodes.CountAsync("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND objsubid = 2 AND objid::bigint = $1",
            (long)(uint)ClusterDatabase.Key(key));

    private static async Task UntilAsync(Func<Task<bool>> done, string why)
    {
        // A bounded wait on another program (PostgreSQL's lock table), not on time-based logic of ours.
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        limit.CancelAfter(TimeSpan.FromSeconds(20));
        using var ticks = new PeriodicTimer(TimeSpan.FromMilliseconds(50));
        try
        {
            while (!await done()) await ticks.WaitForNextTickAsync(limit.Token);
        }
        catch (OperationCanceledException) when (!Ct.IsCancellationRequested)
        {
            Assert.Fail(why);
        }
    }

    /// <summary>Registers a Nomad job (manual health, so its deployment waits) on A; returns its deployment id.</summary>
    private async Task<string> RegisterAsync(string prefix)
    {
        var job = $"{prefix}-{Guid.NewGuid():N}"[..14];
        using var a = A.ApiClient("X-Nomad-Token");
        using var registered = await a.PutAsync("/v1/jobs", Nomad(NomadContractTests.GoRegisterBody(job, "nginx:1", canary: 0)), Ct);
        Assert.Equal(HttpStatusCode.OK, registered.StatusCode);
        using var deployment = await a.GetAsync($"/v1/job/{job}/deployment", Ct);
        return JsonDocument.Parse(await deployment.Content.ReadAsStringAsync(Ct)).RootElement.GetProperty("ID").GetString()!;
    }

    /// <summary>Nomad's watch loop on B: blocking queries from <paramref name="index"/> until the deployment is paused.</summary>
    private static async Task<(string Status, long Index)> WatchUntilPausedAsync(HttpClient client, string id, long index)
    {
        while (true)
        {
            using var response = await client.GetAsync($"/v1/deployment/{id}?index={index}&wait=30s", Ct);
            index = long.Parse(response.Headers.GetValues("X-Nomad-Index").Single(), System.Globalization.CultureInfo.InvariantCulture);
            var status = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct)).RootElement.GetProperty("Status").GetString()!;
            if (status == "paused") return (status, index);
        }
    }

    private static string Pause(string id) => "{\"DeploymentID\":\"" + id + "\",\"Pause\":true,\"Region\":\"\",\"Namespace\":\"\",\"SecretID\":\"\"}\n";

    private static StringContent Nomad(string body) => new(body, Encoding.UTF8);

    private static async Task PostStartAsync(HttpClient client, string component, string version)
    {
        using var response = await client.PostAsync("/data/events/deployments/start",
            new StringContent($$"""{"component":"{{component}}","version":"{{version}}","hosts":["prod-api-1"]}""", Encoding.UTF8, "application/json"), Ct);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
    }

    private sealed class EnqueueStep(IWorkScheduler scheduler, string[] subjects) : IReconcileStep
    {
        public string Name => "probe";

        public Task<int> ReconcileAsync(CancellationToken ct)
        {
            foreach (var s in subjects) scheduler.Enqueue(new WorkItem(Probe.Kind, s, $"Probe {s}"));
            return Task.FromResult(subjects.Length);
        }
    }
}

