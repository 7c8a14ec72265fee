using Dashboard.App.Tests.Infrastructure;
using Dashboard.Data;
using Dashboard.Data.Rollouts;
using Microsoft.EntityFrameworkCore;

namespace Dashboard.App.Tests.Rollouts;

/// <summary>
/// The two hot device paths on a real SQLite file: the remembered "nothing for this device" answer of
/// <c>next</c> must never hide work, and group-committed status reports must keep every counter exact.
/// </summary>
public sealed class DevicePollingTests : IAsyncLifetime
{
    private static readonly CancellationToken Ct = TestContext.Current.CancellationToken;
    private DataServices _services = default!;

    private RolloutService Rollouts => _services.Get<RolloutService>();
    private DeviceDeploymentService Devices => _services.Get<DeviceDeploymentService>();
    private IdleDeviceCache Idle => _services.Get<IdleDeviceCache>();
    private DateTime Now => _services.Clock.GetUtcNow().UtcDateTime;

    public async ValueTask InitializeAsync() => _services = await DataServices.MigratedAsync();

    public ValueTask DisposeAsync() => _services.DisposeAsync();

    private static Dictionary<string, string> Provides(string type = "demo-device") => new() { ["artifact_name"] = "release-0", ["device_type"] = type };

    [Fact]
    public async Task Next_RemembersNothingToDo_UntilARolloutIsCreated()
    {
        var ids = await RolloutServiceTests.SeedDevicesAsync(_services, 2);
        await RolloutServiceTests.SeedArtifactAsync(_services, "idle-app", "demo-device");

        Assert.Null(await Devices.NextAsync(ids[0], Provides(), Ct));
        Assert.True(Idle.IsIdle(ids[0]));
        Assert.Null(await Devices.NextAsync(ids[0], Provides(), Ct));

        var rollout = await Rollouts.CreateAsync(new RolloutRequest { Name = "after idle", ArtifactName = "idle-app", DeviceIds = [ids[0]] }, "t", Ct);
        Assert.False(Idle.IsIdle(ids[0]));
        Assert.Equal(rollout.Id, (await Devices.NextAsync(ids[0], Provides(), Ct))?.RolloutId);
        // The other device is still in no rollout, and is remembered as such again.
        Assert.Null(await Devices.NextAsync(ids[1], Provides(), Ct));
        Assert.True(Idle.IsIdle(ids[1]));
    }

    [Fact]
    public void IdleAnswers_AreClearedByASignalFromAnotherNode_AndOnPostgresExpire()
    {
        var clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(new DateTimeOffset(2026, 11, 24, 9, 0, 0, TimeSpan.Zero));
        var signals = new Dashboard.Data.Work.ProgressNotifier();
        var shared = new IdleDeviceCache(signals, new DashboardSettings { DatabaseProvider = "postgres" }, clock);
        var single = new IdleDeviceCache(new Dashboard.Data.Work.ProgressNotifier(), new DashboardSettings(), clock);

        shared.RememberIdle("d1", shared.Generation);
        shared.RememberIdle("d2", shared.Generation);
        // What the cluster relay does with another node's invalidation: notify it here.
        signals.Notify(IdleDeviceCache.SignalKind, "d1");
        Assert.False(shared.IsIdle("d1"));
        Assert.True(shared.IsIdle("d2"));
        var before = shared.Generation;
        signals.Notify(IdleDeviceCache.SignalKind, "*");
        Assert.False(shared.IsIdle("d2"));
        // An answer read before that signal is not remembered.
        shared.RememberIdle("d2", before);
        Assert.False(shared.IsIdle("d2"));

        // A lost signal delays a device at most SharedMaxAge on PostgreSQL; one process (SQLite) needs no limit.
        shared.RememberIdle("d3", shared.Generation);
        single.RememberIdle("d3", single.Generation);
        clock.Advance(IdleDeviceCache.SharedMaxAge - TimeSpan.FromSeconds(1));
        Assert.True(shared.IsIdle("d3"));
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.False(shared.IsIdle("d3"));
        Assert.True(single.IsIdle("d3"));
    }

    [Fact]
    public async Task Next_RemembersNothingToDo_UntilTheDevicesPhaseStarts()
    {
        var ids = (await RolloutServiceTests.SeedDevicesAsync(_services, 2)).Order(StringComparer.Ordinal).ToList();
        await RolloutServiceTests.SeedArtifactAsync(_services, "phase-app", "demo-device");
        var rollout = await Rollouts.CreateAsync(new RolloutRequest
        {
            Name = "phased", ArtifactName = "phase-app", AllDevices = true, Phases = [new(50, null), new(null, Now.AddHours(1))],
        }, "t", Ct);

        // The second device's phase has not started: nothing, remembered.
        Assert.Null(await Devices.NextAsync(ids[1], Provides(), Ct));
        Assert.True(Idle.IsIdle(ids[1]));

        _services.Clock.Advance(TimeSpan.FromHours(1));
        await Rollouts.StartPhaseAsync(rollout.Id, 1, Ct);
        Assert.Equal(rollout.Id, (await Devices.NextAsync(ids[1], Provides(), Ct))?.RolloutId);
    }

    [Fact]
    public async Task Next_RemembersNothingToDo_UntilAStoppedRolloutIsResumed()
    {
        var ids = (await RolloutServiceTests.SeedDevicesAsync(_services, 4)).Order(StringComparer.Ordinal).ToList();
        await RolloutServiceTests.SeedArtifactAsync(_services, "guard-app", "demo-device");
        var rollout = await Rollouts.CreateAsync(new RolloutRequest
        {
            Name = "guarded", ArtifactName = "guard-app", AllDevices = true, FailureThresholdPercent = 10,
        }, "t", Ct);
        Assert.NotNull(await Devices.NextAsync(ids[0], Provides(), Ct));
        await Devices.ReportStatusAsync(ids[0], rollout.Id, "failure", "boom", Ct);
        Assert.Equal(RolloutStates.Stopped, (await Rollouts.GetAsync(rollout.Id, Ct)).State);

        Assert.Null(await Devices.NextAsync(ids[1], Provides(), Ct));
        Assert.True(Idle.IsIdle(ids[1]));
        await Rollouts.ResumeAsync(rollout.Id, "t", Ct);
        Assert.Equal(rollout.Id, (await Devices.NextAsync(ids[1], Provides(), Ct))?.RolloutId);
    }

    [Fact]
    public async Task Next_ForgetsADevice_WhoseInventoryOrGroupChanges()
    {
        var ids = await RolloutServiceTests.SeedDevicesAsync(_services, 1);
        var inventory = _services.Get<MenderInventoryService>();
        Assert.Null(await Devices.NextAsync(ids[0], Provides(), Ct));
        await inventory.UpdateDeviceAttributesAsync(ids[0], [("kernel", System.Text.Json.JsonSerializer.SerializeToElement("6.1"))], replace: false, Ct);
        Assert.False(Idle.IsIdle(ids[0]));
        Assert.Null(await Devices.NextAsync(ids[0], Provides(), Ct));
        await inventory.SetGroupAsync(ids[0], "lab", Ct);
        Assert.False(Idle.IsIdle(ids[0]));
    }

    [Fact]
    public async Task StatusReports_FromManyDevicesAtOnce_KeepEveryCounterExact_AndRepeatsCountOnce()
    {
        var ids = await RolloutServiceTests.SeedDevicesAsync(_services, 60);
        await RolloutServiceTests.SeedArtifactAsync(_services, "burst-app", "demo-device");
        var rollout = await Rollouts.CreateAsync(new RolloutRequest { Name = "burst", ArtifactName = "burst-app", AllDevices = true }, "t", Ct);
        foreach (var id in ids) Assert.NotNull(await Devices.NextAsync(id, Provides(), Ct));

        // Every device reports at the same time, each status twice (the daemon repeats itself):
        // the reports share commits, and each is acknowledged only once stored.
        async Task RunAsync(string id, int n)
        {
            foreach (var status in new[] { "downloading", "downloading", "installing", "installing", n % 3 == 0 ? "failure" : "success", n % 3 == 0 ? "failure" : "success" })
                await Devices.ReportStatusAsync(id, rollout.Id, status, null, Ct);
        }
        await Task.WhenAll(ids.Select((id, n) => Task.Run(() => RunAsync(id, n), Ct)));

        var stats = await Rollouts.StatisticsAsync(rollout.Id, Ct);
        Assert.Equal(20, stats["failure"]);
        Assert.Equal(40, stats["success"]);
        Assert.Equal(0, stats.Where(s => s.Key is not ("failure" or "success")).Sum(s => s.Value));
        await using var db = _services.CreateDb();
        Assert.Equal(20, await db.DeviceDeployments.CountAsync(d => d.RolloutId == rollout.Id && d.Status == "failure", Ct));
        // Device failures reach the timeline once each, repeats or not.
        Assert.Equal(20, await db.Timeline.CountAsync(t => t.Version == rollout.Id && t.SubjectType == "device", Ct));
        Assert.Equal(RolloutStates.Failed, (await Rollouts.GetAsync(rollout.Id, Ct)).State);
    }

    [Fact]
    public async Task StatusReports_AfterAnAbort_Get409_WithoutFailingTheReportsCommittedBesideThem()
    {
        var ids = await RolloutServiceTests.SeedDevicesAsync(_services, 20);
        await RolloutServiceTests.SeedArtifactAsync(_services, "mixed-app", "demo-device");
        var aborted = await Rollouts.CreateAsync(new RolloutRequest { Name = "to abort", ArtifactName = "mixed-app", DeviceIds = ids[..10] }, "t", Ct);
        var running = await Rollouts.CreateAsync(new RolloutRequest { Name = "running", ArtifactName = "mixed-app", DeviceIds = ids[10..] }, "t", Ct);
        foreach (var id in ids) Assert.NotNull(await Devices.NextAsync(id, Provides(), Ct));
        await Rollouts.AbortAsync(aborted.Id, "t", Ct);

        var reports = ids.Select((id, i) => (Id: id, Rollout: i < 10 ? aborted.Id : running.Id))
            .Select(r => Task.Run(async () =>
            {
                try { await Devices.ReportStatusAsync(r.Id, r.Rollout, "downloading", null, Ct); return "ok"; }
                catch (ConflictException) { return "409"; }
            }, Ct)).ToList();
        var outcomes = await Task.WhenAll(reports);
        Assert.Equal(Enumerable.Repeat("409", 10).Concat(Enumerable.Repeat("ok", 10)), outcomes);
        Assert.Equal(10, (await Rollouts.StatisticsAsync(running.Id, Ct))["downloading"]);
        Assert.Equal(10, (await Rollouts.StatisticsAsync(aborted.Id, Ct))["aborted"]);
        Assert.Equal(0, (await Rollouts.StatisticsAsync(aborted.Id, Ct))["downloading"]);
        await Assert.ThrowsAsync<NotFoundException>(() => Devices.ReportStatusAsync(ids[0], running.Id, "downloading", null, Ct));
    }
}
