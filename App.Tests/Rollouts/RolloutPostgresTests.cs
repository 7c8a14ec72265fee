using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dashboard.App.Tests.Infrastructure;
using Dashboard.Data;
using Dashboard.Data.Changes;
using Dashboard.Data.Rollouts;
using Dashboard.Data.Timeline;
using Dashboard.Data.Work;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Time.Testing;

namespace Dashboard.App.Tests.Rollouts;

/// <summary>
/// Phased rollouts on PostgreSQL, the scale-out database: the real app with its Hangfire.PostgreSql
/// job server and a fake clock, devices on Mender's wire; and both providers in one process.
/// </summary>
[Collection(AppCollection.Name)]
public sealed class RolloutPostgresTests(PostgresFixture postgres) : IClassFixture<PostgresFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private Dictionary<string, string?> PostgresSettings() => new()
    {
        ["Dashboard:DatabaseProvider"] = "postgres",
        ["Dashboard:ConnectionString"] = postgres.NewDatabase(),
    };

    [Fact]
    public async Task ThreePhaseRollout_OnPostgres_StartsEachPhaseOnce_HandsOutThroughNext_AndReportsFinishIt()
    {
        if (postgres.Unavailable is { } why) Assert.Skip(why);
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 11, 24, 9, 0, 0, TimeSpan.Zero));
        using var data = new TempDirectory();
        await using var app = new DashboardApp(data.Path, PostgresSettings(), clock: clock).Start();

        await ThreePhaseRolloutAsync(app, app, clock);
    }

    /// <summary>
    /// A three-phase rollout over four devices (1, 1 and 2), created through <paramref name="creator"/>'s
    /// Mender API; devices alternate between the two nodes for <c>next</c> and their reports. Each
    /// phase starts once, at its time on the fake clock, from the job server; a device hears of the
    /// deployment only once its phase started; the reports finish the rollout.
    /// </summary>
    internal static async Task ThreePhaseRolloutAsync(DashboardApp creator, DashboardApp other, FakeTimeProvider clock)
    {
        var type = "pg-" + Guid.NewGuid().ToString("N")[..8];
        var artifact = "pg-app-" + Guid.NewGuid().ToString("N")[..8];
        var (devices, ids) = await MenderDeviceApiTests.FleetWithArtifactAsync(creator, 4, type, artifact);
        using var management = creator.ApiClient();
        using var filter = await management.PostAsJsonAsync("/api/management/v2/inventory/filters",
            new { name = "f " + type, terms = new[] { new { scope = "inventory", attribute = "device_type", type = "$eq", value = type } } }, Ct);
        Assert.Equal(HttpStatusCode.Created, filter.StatusCode);
        var start = clock.GetUtcNow().UtcDateTime;
        using var created = await management.PostAsJsonAsync("/api/management/v2/deployments/deployments", new
        {
            name = "pg three phases",
            artifact_name = artifact,
            filter_id = filter.Headers.Location!.ToString().Split('/')[^1],
            phases = new object[]
            {
                new { batch_size = 25 },
                new { batch_size = 25, start_ts = start.AddHours(1) },
                new { start_ts = start.AddHours(2) },
            },
        }, Ct);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var id = created.Headers.Location!.ToString().Split('/')[^1];

        var rollouts = creator.Service<RolloutService>();
        var phaseOf = (await rollouts.DevicesAsync(id, null, 1, 100, Ct)).Devices.ToDictionary(d => d.Deployment.DeviceId, d => d.Deployment.PhaseIndex);
        Assert.Equal([1, 1, 2], phaseOf.Values.GroupBy(p => p).OrderBy(g => g.Key).Select(g => g.Count()));
        // The first phase started with the create, in its transaction: stored, not only in memory.
        var stored = await rollouts.GetAsync(id, Ct);
        Assert.Equal(RolloutStates.InProgress, stored.State);
        Assert.Equal(start, stored.Phases[0].StartedAt);

        for (var phase = 0; phase < 3; phase++)
        {
            if (phase > 0)
            {
                // Both nodes told devices "nothing yet"; each must hear that the phase started (on
                // the other node, through the cluster relay) before its devices ask again.
                var heard = new[] { creator, other }.Distinct().Select(HearsIdleDevicesCleared).ToList();
                clock.Advance(TimeSpan.FromHours(1));
                await WaitForPhaseAsync(creator, id, phase);
                await Task.WhenAll(heard.Select(h => h.Heard)).WaitAsync(TimeSpan.FromSeconds(30), Ct);
                foreach (var h in heard) h.Subscription.Dispose();
            }
            for (var i = 0; i < devices.Count; i++)
            {
                // Devices alternate between the nodes, for next as for their reports.
                var device = devices[i];
                var node = i % 2 == 0 ? creator : other;
                using var next = await device.NextAsync(type, "release-0", Ct, node.BaseAddress);
                if (phaseOf[ids[i]] != phase)
                {
                    // Earlier phases' devices are done; later ones' have not started.
                    Assert.Equal(HttpStatusCode.NoContent, next.StatusCode);
                    continue;
                }
                Assert.Equal(HttpStatusCode.OK, next.StatusCode);
                Assert.Equal(id, (await next.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("id").GetString());
                foreach (var status in new[] { "downloading", "downloading", "installing", "rebooting", "success" })
                {
                    using var report = await device.StatusAsync(id, status, Ct, (i / 2) % 2 == 0 ? creator.BaseAddress : other.BaseAddress);
                    Assert.Equal(HttpStatusCode.NoContent, report.StatusCode);
                }
            }
        }

        var finished = await rollouts.GetAsync(id, Ct);
        Assert.Equal(RolloutStates.Succeeded, finished.State);
        Assert.Equal([start, start.AddHours(1), start.AddHours(2)], finished.Phases.OrderBy(p => p.Index).Select(p => p.StartedAt));
        var stats = await rollouts.StatisticsAsync(id, Ct);
        Assert.Equal(4, stats[DeviceDeploymentStatuses.Success]);
        Assert.Equal(4, stats.Values.Sum());

        // Every phase started exactly once: one timeline line each, one change start, one change end.
        await using var db = await creator.Service<IDbContextFactory<DashboardDbContext>>().CreateDbContextAsync(Ct);
        var timeline = await db.Timeline.Where(e => e.SubjectType == SubjectKinds.Rollout && e.SubjectId == id).ToListAsync(Ct);
        Assert.Single(timeline, e => e.Title.Contains("started: phase 1 of 3", StringComparison.Ordinal));
        Assert.Single(timeline, e => e.Title.Contains("phase 2 of 3 started", StringComparison.Ordinal));
        Assert.Single(timeline, e => e.Title.Contains("phase 3 of 3 started", StringComparison.Ordinal));
        var change = Assert.Single(await creator.Service<ChangeService>().ListAsync(new ChangeFilter(Component: artifact), ct: Ct));
        Assert.Equal((id, ChangeStatuses.Success), (change.Version, change.Status));
        foreach (var device in devices) device.Dispose();
    }

    [Fact]
    public async Task SqliteAndPostgres_InOneProcess_EachHandOutAndCountReports()
    {
        if (postgres.Unavailable is { } why) Assert.Skip(why);
        await using var sqlite = await DataServices.MigratedAsync();
        await using var pg = await DataServices.MigratedAsync(settings: PostgresSettings());
        var flows = new List<(DataServices Services, string RolloutId, List<string> Ids)>();
        foreach (var services in new[] { sqlite, pg })
        {
            var ids = await RolloutServiceTests.SeedDevicesAsync(services, 2, "mixed-device");
            await RolloutServiceTests.SeedArtifactAsync(services, "mixed-app", "mixed-device");
            var rollout = await services.Get<RolloutService>().CreateAsync(new RolloutRequest { Name = "mixed", ArtifactName = "mixed-app", DeviceIds = ids }, "test", Ct);
            flows.Add((services, rollout.Id, ids));
        }
        var provides = new Dictionary<string, string> { ["artifact_name"] = "release-0", ["device_type"] = "mixed-device" };

        // Each step runs on one provider right after the other, so each compiled query meets both models in turn.
        for (var device = 0; device < 2; device++)
        {
            foreach (var (services, rolloutId, ids) in flows)
            {
                Assert.Equal(rolloutId, (await services.Get<DeviceDeploymentService>().NextAsync(ids[device], provides, Ct))?.RolloutId);
            }
            foreach (var status in new[] { "downloading", "installing", "success" })
            {
                foreach (var (services, rolloutId, ids) in flows) await services.Get<DeviceDeploymentService>().ReportStatusAsync(ids[device], rolloutId, status, null, Ct);
            }
            foreach (var (services, _, ids) in flows) Assert.Null(await services.Get<DeviceDeploymentService>().NextAsync(ids[device], provides, Ct));
        }

        foreach (var (services, rolloutId, _) in flows)
        {
            Assert.Equal(2, (await services.Get<RolloutService>().StatisticsAsync(rolloutId, Ct))[DeviceDeploymentStatuses.Success]);
            Assert.Equal(RolloutStates.Succeeded, (await services.Get<RolloutService>().GetAsync(rolloutId, Ct)).State);
        }
    }

    /// <summary>
    /// The device rows a plan writes (one binary COPY on PostgreSQL, a prepared INSERT on SQLite) read
    /// back the same on both: phase, status, type (or none yet), and a finish time only where no artifact fits.
    /// </summary>
    [Fact]
    public async Task Create_WritesTheSameDeviceRows_OnSqliteAndPostgres()
    {
        if (postgres.Unavailable is { } why) Assert.Skip(why);
        await using var sqlite = await DataServices.MigratedAsync();
        await using var pg = await DataServices.MigratedAsync(settings: PostgresSettings());
        var stored = new List<List<string>>();
        foreach (var services in new[] { sqlite, pg })
        {
            var ids = await RolloutServiceTests.SeedDevicesAsync(services, 4, "rows-device");
            await using (var db = services.CreateDb())
            {
                // Accepted, first inventory not in yet: no type, so it waits as pending.
                await db.Devices.Where(d => d.Id == ids[0]).ExecuteUpdateAsync(s => s.SetProperty(d => d.DeviceType, (string?)null), Ct);
                await db.Devices.Where(d => d.Id == ids[3]).ExecuteUpdateAsync(s => s.SetProperty(d => d.DeviceType, "rows-other"), Ct);
            }
            await RolloutServiceTests.SeedArtifactAsync(services, "rows-app", "rows-device");
            var now = services.Clock.GetUtcNow().UtcDateTime;
            var rollout = await services.Get<RolloutService>().CreateAsync(new RolloutRequest
            {
                Name = "rows", ArtifactName = "rows-app", DeviceIds = ids, Phases = [new(50, null), new(null, now.AddHours(1))],
            }, "test", Ct);
            await using (var db = services.CreateDb())
            {
                var rows = await db.DeviceDeployments.AsNoTracking().Where(d => d.RolloutId == rollout.Id).OrderBy(d => d.DeviceId).ToListAsync(Ct);
                stored.Add([.. rows.Select(r =>
                    $"{ids.IndexOf(r.DeviceId)} phase {r.PhaseIndex} {r.Status} {r.DeviceType ?? "(none)"} attempts {r.Attempts} log {r.HasLog} " +
                    $"created {r.CreatedAt:O} started {r.StartedAt?.ToString("O") ?? "-"} finished {r.FinishedAt?.ToString("O") ?? "-"}")]);
            }
        }

        var at = sqlite.Clock.GetUtcNow().UtcDateTime.ToString("O");
        Assert.Equal(
        [
            $"0 phase 0 pending (none) attempts 0 log False created {at} started - finished -",
            $"1 phase 0 pending rows-device attempts 0 log False created {at} started - finished -",
            $"2 phase 1 pending rows-device attempts 0 log False created {at} started - finished -",
            $"3 phase 1 noartifact rows-other attempts 0 log False created {at} started - finished {at}",
        ], stored[0]);
        Assert.Equal(stored[0], stored[1]);
    }

    [Fact]
    public async Task ThreePhaseRollout_OnTwoNodes_CreatedOnA_StartsEachPhaseOnce_WithDevicesOnBothNodes()
    {
        if (postgres.Unavailable is { } why) Assert.Skip(why);
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 11, 24, 9, 0, 0, TimeSpan.Zero));
        var settings = PostgresSettings();
        // Three pools per node; capped as in TwoNodes so both stay within the server's connections.
        settings["Dashboard:ConnectionString"] += ";Maximum Pool Size=40";
        // One data directory for both, as the README's two-node setup has it: device tokens, artifact
        // files and their download links are made on one node and honoured on the other.
        using var data = new TempDirectory();
        await using var a = new DashboardApp(data.Path, settings, clock: clock).Start();
        await using var b = new DashboardApp(data.Path, settings, clock: clock).Start();

        await ThreePhaseRolloutAsync(a, b, clock);
    }

    [Fact]
    public async Task ConcurrentReports_OnTwoNodes_AllSucceed_CountExactly_AndFinishTheRolloutOnce()
    {
        if (postgres.Unavailable is { } why) Assert.Skip(why);
        var settings = PostgresSettings();
        // Two nodes' data services (each with its own group-committing writer) on one database.
        await using var a = await DataServices.MigratedAsync(settings: settings);
        await using var b = await DataServices.MigratedAsync(settings: settings);
        var ids = await RolloutServiceTests.SeedDevicesAsync(a, 20, "race-device");
        await RolloutServiceTests.SeedArtifactAsync(a, "race-app", "race-device");
        var rollout = await a.Get<RolloutService>().CreateAsync(new RolloutRequest { Name = "race", ArtifactName = "race-app", DeviceIds = ids }, "test", Ct);
        var provides = new Dictionary<string, string> { ["artifact_name"] = "release-0", ["device_type"] = "race-device" };
        foreach (var id in ids) Assert.NotNull(await a.Get<DeviceDeploymentService>().NextAsync(id, provides, Ct));

        // Every device reports downloading and installing in turn, each report to both nodes at once
        // (one of the two is a repeat), all devices together: both nodes' batches move the same device
        // rows and the same two counter rows, in whatever order the reports came.
        await Task.WhenAll(ids.Select(async id =>
        {
            for (var n = 0; n < 20; n++)
            {
                var status = n % 2 == 0 ? "downloading" : "installing";
                await Task.WhenAll(a.Get<DeviceDeploymentService>().ReportStatusAsync(id, rollout.Id, status, null, Ct),
                    b.Get<DeviceDeploymentService>().ReportStatusAsync(id, rollout.Id, status, null, Ct));
            }
        }));

        var stats = await b.Get<RolloutService>().StatisticsAsync(rollout.Id, Ct);
        Assert.Equal((20, 0, 0), (stats[DeviceDeploymentStatuses.Installing], stats[DeviceDeploymentStatuses.Downloading], stats[DeviceDeploymentStatuses.Pending]));
        Assert.Equal(20, stats.Values.Sum());

        // The last reports, on both nodes at once: every one of them finds the rollout maybe done;
        // one moves it, the others see it finished, and none of the reports fails for it.
        await Task.WhenAll(ids.Select((id, i) => (i % 2 == 0 ? a : b).Get<DeviceDeploymentService>().ReportStatusAsync(id, rollout.Id, "success", null, Ct)));
        Assert.Equal(RolloutStates.Succeeded, (await a.Get<RolloutService>().GetAsync(rollout.Id, Ct)).State);
        Assert.Equal(20, (await a.Get<RolloutService>().StatisticsAsync(rollout.Id, Ct))[DeviceDeploymentStatuses.Success]);
    }

    private static (IDisposable Subscription, Task Heard) HearsIdleDevicesCleared(DashboardApp app)
    {
        var heard = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        return (app.Service<ProgressNotifier>().Subscribe(IdleDeviceCache.SignalKind, null, _ => heard.TrySetResult()), heard.Task);
    }

    /// <summary>Waits, by the rollout's progress signals rather than the wall clock, until the phase has started.</summary>
    internal static async Task WaitForPhaseAsync(DashboardApp app, string rolloutId, int phase)
    {
        using var moved = new SemaphoreSlim(0);
        using var subscription = app.Service<ProgressNotifier>().Subscribe(SubjectKinds.Rollout, rolloutId, _ => moved.Release());
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        limit.CancelAfter(TimeSpan.FromSeconds(30));
        Rollout? rollout = null;
        try
        {
            while (true)
            {
                rollout = await app.Service<RolloutService>().GetAsync(rolloutId, limit.Token);
                if (rollout.Phases.Single(p => p.Index == phase).StartedAt is not null) return;
                await moved.WaitAsync(limit.Token);
            }
        }
        catch (OperationCanceledException) when (!Ct.IsCancellationRequested)
        {
            Assert.Fail($"phase {phase + 1} of rollout {rolloutId} never started; the rollout is {rollout?.State}, phases started: "
                + string.Join(", ", rollout?.Phases.Select(p => p.StartedAt?.ToString("O") ?? "no") ?? []));
        }
    }
}
