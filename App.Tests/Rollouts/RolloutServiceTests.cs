using Dashboard.App.Tests.Infrastructure;
using Dashboard.Data;
using Dashboard.Data.Audit;
using Dashboard.Data.Changes;
using Dashboard.Data.Fleet;
using Dashboard.Data.Rollouts;
using Dashboard.Data.Timeline;
using Dashboard.Data.Work;
using Microsoft.EntityFrameworkCore;

namespace Dashboard.App.Tests.Rollouts;

/// <summary>The rollout engine on a real SQLite file with a fake clock: phases, reports, counters, guard, retries, abort.</summary>
public sealed class RolloutServiceTests : IAsyncLifetime
{
    private static readonly CancellationToken Ct = TestContext.Current.CancellationToken;
    private DataServices _services = default!;

    private RolloutService Rollouts => _services.Get<RolloutService>();
    private DeviceDeploymentService Devices => _services.Get<DeviceDeploymentService>();
    private RecordingWorkScheduler Scheduler => (RecordingWorkScheduler)_services.Get<IWorkScheduler>();
    private DateTime Now => _services.Clock.GetUtcNow().UtcDateTime;

    public async ValueTask InitializeAsync() => _services = await DataServices.MigratedAsync();

    public ValueTask DisposeAsync() => _services.DisposeAsync();

    private Task<List<string>> DevicesAsync(int count, string type = "demo-device", string? group = null) => SeedDevicesAsync(_services, count, type, group);

    private Task ArtifactAsync(string name, params string[] types) => SeedArtifactAsync(_services, name, types);

    /// <summary>Accepted Mender devices of one type, straight into the database.</summary>
    internal static async Task<List<string>> SeedDevicesAsync(DataServices services, int count, string type = "demo-device", string? group = null)
    {
        var now = services.Clock.GetUtcNow().UtcDateTime;
        await using var db = services.CreateDb();
        if (!await db.Projects.AnyAsync(p => p.Id == MenderDeviceService.ProjectId))
            db.Projects.Add(new Project { Id = MenderDeviceService.ProjectId, Name = "Mender", Slug = "mender" });
        var ids = new List<string>();
        var prefix = Guid.NewGuid().ToString("N")[..8];
        for (var i = 0; i < count; i++)
        {
            var id = $"{prefix}-{i:D5}";
            db.Devices.Add(new Device
            {
                Id = id, ProjectId = MenderDeviceService.ProjectId, Hostname = $"dev-{id}", AuthStatus = MenderAuthStatuses.Accepted,
                DeviceType = type, Group = group, IdentityData = $"{{\"mac\":\"{id}\"}}", CreatedAt = now, UpdatedAt = now,
            });
            ids.Add(id);
        }
        await db.SaveChangesAsync();
        return ids;
    }

    /// <summary>An artifact row (no file: these tests never download it).</summary>
    internal static async Task SeedArtifactAsync(DataServices services, string name, params string[] types)
    {
        var now = services.Clock.GetUtcNow().UtcDateTime;
        await using var db = services.CreateDb();
        db.Artifacts.Add(new Artifact { Id = Guid.NewGuid().ToString(), Name = name, DeviceTypes = [.. types], Metadata = "{}", FileName = "x.mender", ModifiedAt = now });
        await db.SaveChangesAsync();
    }

    private static Dictionary<string, string> Provides(string artifact = "release-0", string type = "demo-device") =>
        new() { ["artifact_name"] = artifact, ["device_type"] = type };

    [Fact]
    public void Plan_RoundsEachPhaseDown_AndTheLastTakesTheRest()
    {
        var plans = RolloutPlanner.Plan(11, [new(10, null), new(30, DateTime.UtcNow.AddHours(1)), new(null, DateTime.UtcNow.AddHours(2))], DateTime.UtcNow);
        Assert.Equal([1, 3, 7], plans.Select(p => p.DeviceCount));
    }

    [Fact]
    public void Plan_Throws_WhenAPhaseRoundsToZeroDevices()
    {
        var ex = Assert.Throws<ValidationException>(() => RolloutPlanner.Plan(11, [new(5, null), new(null, DateTime.UtcNow.AddHours(1))], DateTime.UtcNow));
        Assert.Equal("phase 1: 5 % of 11 devices rounds down to 0 devices; choose a larger batch_size", ex.Message);
    }

    [Theory]
    [InlineData(60, 50, "add up to 110 %")]
    [InlineData(50, 50, "the last")]
    public void Plan_Throws_WhenPercentagesLeaveNothingOrExceed100(int first, int second, string mentions)
    {
        var now = DateTime.UtcNow;
        var ex = Assert.Throws<ValidationException>(() => RolloutPlanner.Plan(10, [new(first, null), new(second, now.AddHours(1)), new(null, now.AddHours(2))], now));
        Assert.Contains(mentions, ex.Message);
    }

    [Fact]
    public void Plan_Throws_WhenStartTimesDoNotIncrease_OrALaterStartIsMissing()
    {
        var now = DateTime.UtcNow;
        Assert.Contains("later than", Assert.Throws<ValidationException>(() => RolloutPlanner.Plan(10, [new(50, now.AddHours(2)), new(null, now.AddHours(1))], now)).Message);
        Assert.Contains("start_ts is required", Assert.Throws<ValidationException>(() => RolloutPlanner.Plan(10, [new(50, null), new(null, null)], now)).Message);
    }

    [Fact]
    public async Task Create_Throws422_WhenNoArtifactHasTheName_AndStoresNothing()
    {
        await DevicesAsync(3);
        await Assert.ThrowsAsync<UnprocessableException>(() => Rollouts.CreateAsync(new RolloutRequest { Name = "r", ArtifactName = "missing", AllDevices = true }, "test", Ct));
        await using var db = _services.CreateDb();
        Assert.Equal(0, await db.Rollouts.CountAsync(Ct));
    }

    [Fact]
    public async Task Create_Throws_WhenTheFilterIsUnknown()
    {
        await ArtifactAsync("a-1", "demo-device");
        var ex = await Assert.ThrowsAsync<ValidationException>(() => Rollouts.CreateAsync(new RolloutRequest { Name = "r", ArtifactName = "a-1", FilterId = "nope" }, "test", Ct));
        Assert.Contains("filter_id", ex.Message);
    }

    [Fact]
    public async Task PhasedRollout_HandsOutOnlyOnceThePhaseStarted_AndFinishesWithExactCounters()
    {
        var ids = await DevicesAsync(10);
        var other = await DevicesAsync(1, "other-device");
        await ArtifactAsync("app-2", "demo-device");
        var filter = await _services.Get<MenderInventoryService>().CreateFilterAsync("all mender", [new FilterTerm("system", "status", "$eq", "\"accepted\"")], Ct);

        var rollout = await Rollouts.CreateAsync(new RolloutRequest
        {
            Name = "canary", ArtifactName = "app-2", FilterId = filter.Id,
            Phases = [new(20, null), new(null, Now.AddHours(1))],
        }, "test", Ct);

        Assert.Equal(11, rollout.DeviceCount);
        Assert.Equal([2, 9], rollout.Phases.Select(p => p.DeviceCount));
        Assert.Equal(RolloutStates.InProgress, rollout.State);
        Assert.Contains(Scheduler.Scheduled, s => s.Item.Kind == RolloutService.PhaseWork && s.Item.SubjectId == $"{rollout.Id}/1" && s.RunAtUtc == Now.AddHours(1));
        var stats = await Rollouts.StatisticsAsync(rollout.Id, Ct);
        Assert.Equal(10, stats["pending"]);
        Assert.Equal(1, stats["noartifact"]); // the other-device has no compatible artifact
        Assert.Equal(12, stats.Count);

        // Phase 1 (ids sorted: the first two) gets it now; phase 2 devices do not yet.
        var sorted = ids.Concat(other).Order(StringComparer.Ordinal).Where(ids.Contains).ToList();
        Assert.NotNull(await Devices.NextAsync(sorted[0], Provides(), Ct));
        Assert.Null(await Devices.NextAsync(sorted[5], Provides(), Ct));

        _services.Clock.Advance(TimeSpan.FromHours(1));
        await Rollouts.StartPhaseAsync(rollout.Id, 1, Ct);
        foreach (var id in sorted)
        {
            var next = await Devices.NextAsync(id, Provides(), Ct);
            Assert.Equal(rollout.Id, next?.RolloutId);
            await Devices.ReportStatusAsync(id, rollout.Id, "downloading", null, Ct);
            await Devices.ReportStatusAsync(id, rollout.Id, "downloading", null, Ct); // repeats are normal
            await Devices.ReportStatusAsync(id, rollout.Id, "installing", null, Ct);
        }
        stats = await Rollouts.StatisticsAsync(rollout.Id, Ct);
        Assert.Equal(10, stats["installing"]);
        Assert.Equal(0, stats["pending"]);

        foreach (var id in sorted) await Devices.ReportStatusAsync(id, rollout.Id, "success", null, Ct);
        await Devices.ReportStatusAsync(sorted[0], rollout.Id, "success", null, Ct); // a repeat of a final report
        stats = await Rollouts.StatisticsAsync(rollout.Id, Ct);
        Assert.Equal(10, stats["success"]);
        Assert.Equal(11, stats.Values.Sum());

        var finished = await Rollouts.GetAsync(rollout.Id, Ct);
        Assert.Equal(RolloutStates.Succeeded, finished.State);
        var changes = await _services.Get<ChangeService>().ListAsync(new ChangeFilter(Component: "app-2"), ct: Ct);
        var change = Assert.Single(changes);
        Assert.Equal(rollout.Id, change.Version);
        Assert.Equal(ChangeStatuses.Success, change.Status);
        Assert.Equal(11, change.Hosts.Count);
    }

    [Fact]
    public async Task Next_MarksAlreadyInstalled_WhenTheDeviceRunsTheArtifact()
    {
        var ids = await DevicesAsync(1);
        await ArtifactAsync("app-3", "demo-device");
        var rollout = await Rollouts.CreateAsync(new RolloutRequest { Name = "r", ArtifactName = "app-3", DeviceIds = ids }, "test", Ct);
        Assert.Null(await Devices.NextAsync(ids[0], Provides("app-3"), Ct));
        Assert.Equal(1, (await Rollouts.StatisticsAsync(rollout.Id, Ct))["already-installed"]);
        Assert.Equal(RolloutStates.Succeeded, (await Rollouts.GetAsync(rollout.Id, Ct)).State);
    }

    [Fact]
    public async Task FailureGuard_StopsTheRollout_LaterPhasesWait_UntilResumed()
    {
        var ids = (await DevicesAsync(20)).Order(StringComparer.Ordinal).ToList();
        await ArtifactAsync("app-4", "demo-device");
        var rollout = await Rollouts.CreateAsync(new RolloutRequest
        {
            Name = "guarded", ArtifactName = "app-4", DeviceIds = ids, FailureThresholdPercent = 10,
            Phases = [new(50, null), new(null, Now.AddMinutes(30))],
        }, "test", Ct);

        // One failure of ten is 10 %: not more than the threshold. The second trips it.
        for (var i = 0; i < 2; i++)
        {
            Assert.NotNull(await Devices.NextAsync(ids[i], Provides(), Ct));
            await Devices.ReportStatusAsync(ids[i], rollout.Id, "failure", null, Ct);
            Assert.Equal(i == 0 ? RolloutStates.InProgress : RolloutStates.Stopped, (await Rollouts.GetAsync(rollout.Id, Ct)).State);
        }
        var stopped = await Rollouts.GetAsync(rollout.Id, Ct);
        Assert.Contains("2 of 10 devices in phase 1", stopped.StateReason);

        _services.Clock.Advance(TimeSpan.FromHours(1));
        await Rollouts.StartPhaseAsync(rollout.Id, 1, Ct);
        Assert.Null((await Rollouts.GetAsync(rollout.Id, Ct)).Phases.Single(p => p.Index == 1).StartedAt);
        Assert.Null(await Devices.NextAsync(ids[15], Provides(), Ct));

        await Rollouts.ResumeAsync(rollout.Id, "operator", Ct);
        var resumed = await Rollouts.GetAsync(rollout.Id, Ct);
        Assert.Equal(RolloutStates.InProgress, resumed.State);
        Assert.NotNull(resumed.Phases.Single(p => p.Index == 1).StartedAt);
        Assert.NotNull(await Devices.NextAsync(ids[15], Provides(), Ct));
    }

    [Fact]
    public async Task StatusReports_AreNotAttributedToTheFirstReportersActor_AfterIt()
    {
        var ids = (await DevicesAsync(2)).Order(StringComparer.Ordinal).ToList();
        await ArtifactAsync("app-ctx", "demo-device");
        var rollout = await Rollouts.CreateAsync(new RolloutRequest { Name = "r", ArtifactName = "app-ctx", DeviceIds = ids }, "test", Ct);
        foreach (var id in ids) await Devices.NextAsync(id, Provides(), Ct);
        var actors = new AmbientActorContext();
        var seen = new List<string>();
        // Subscribers run on the committing thread, in the report writer's execution context.
        using var _ = _services.Get<ProgressNotifier>().Subscribe(SubjectKinds.Rollout, rollout.Id, signal => { lock (seen) seen.Add(actors.Current.Name); });

        // The first report starts the writer's loop, as the device that sent it.
        await Task.Run(async () =>
        {
            using var asDevice = AmbientActorContext.Begin(new Actor("first-device", ActorKinds.Token));
            await Devices.ReportStatusAsync(ids[0], rollout.Id, "downloading", null, Ct);
        }, Ct);
        await Devices.ReportStatusAsync(ids[1], rollout.Id, "downloading", null, Ct);

        Assert.Equal([Actor.System.Name, Actor.System.Name], seen);
    }

    [Fact]
    public async Task Retries_HandTheDeploymentOutAgain_UpToTheLimit()
    {
        var ids = await DevicesAsync(1);
        await ArtifactAsync("app-5", "demo-device");
        var rollout = await Rollouts.CreateAsync(new RolloutRequest { Name = "r", ArtifactName = "app-5", DeviceIds = ids, Retries = 1 }, "test", Ct);

        Assert.NotNull(await Devices.NextAsync(ids[0], Provides(), Ct));
        await Devices.ReportStatusAsync(ids[0], rollout.Id, "failure", null, Ct);
        Assert.Equal(RolloutStates.InProgress, (await Rollouts.GetAsync(rollout.Id, Ct)).State);

        Assert.NotNull(await Devices.NextAsync(ids[0], Provides(), Ct));
        var (devices, _) = await Rollouts.DevicesAsync(rollout.Id, null, 1, 10, Ct);
        Assert.Equal(2, devices[0].Deployment.Attempts);
        Assert.Equal(1, (await Rollouts.StatisticsAsync(rollout.Id, Ct))["pending"]);

        await Devices.ReportStatusAsync(ids[0], rollout.Id, "failure", null, Ct);
        Assert.Null(await Devices.NextAsync(ids[0], Provides(), Ct));
        Assert.Equal(RolloutStates.Failed, (await Rollouts.GetAsync(rollout.Id, Ct)).State);
    }

    [Fact]
    public async Task Abort_MarksUnfinishedDevicesAborted_AndLaterReportsConflict()
    {
        var ids = (await DevicesAsync(3)).Order(StringComparer.Ordinal).ToList();
        await ArtifactAsync("app-6", "demo-device");
        var rollout = await Rollouts.CreateAsync(new RolloutRequest { Name = "r", ArtifactName = "app-6", DeviceIds = ids }, "test", Ct);
        await Devices.NextAsync(ids[0], Provides(), Ct);
        await Devices.ReportStatusAsync(ids[0], rollout.Id, "success", null, Ct);
        await Devices.NextAsync(ids[1], Provides(), Ct);
        await Devices.ReportStatusAsync(ids[1], rollout.Id, "downloading", null, Ct);

        await Rollouts.AbortAsync(rollout.Id, "operator", Ct);

        var stats = await Rollouts.StatisticsAsync(rollout.Id, Ct);
        Assert.Equal(1, stats["success"]);
        Assert.Equal(2, stats["aborted"]);
        Assert.Equal(0, stats["downloading"]);
        await Assert.ThrowsAsync<ConflictException>(() => Devices.ReportStatusAsync(ids[1], rollout.Id, "installing", null, Ct));
        await Assert.ThrowsAsync<UnprocessableException>(() => Rollouts.AbortAsync(rollout.Id, "operator", Ct));
        Assert.Equal(RolloutStates.Aborted, (await Rollouts.GetAsync(rollout.Id, Ct)).State);
    }

    [Fact]
    public async Task ReportStatus_Throws_ForADeploymentTheDeviceIsNotIn_OrAnUnknownStatus()
    {
        var ids = await DevicesAsync(2);
        await ArtifactAsync("app-7", "demo-device");
        var rollout = await Rollouts.CreateAsync(new RolloutRequest { Name = "r", ArtifactName = "app-7", DeviceIds = [ids[0]] }, "test", Ct);
        await Assert.ThrowsAsync<NotFoundException>(() => Devices.ReportStatusAsync(ids[1], rollout.Id, "downloading", null, Ct));
        await Assert.ThrowsAsync<ValidationException>(() => Devices.ReportStatusAsync(ids[0], rollout.Id, "exploded", null, Ct));
        Assert.Equal(1, (await Rollouts.StatisticsAsync(rollout.Id, Ct))["pending"]);
    }

    [Fact]
    public async Task MaxDevices_FinishesTheRollout_WhenThatManyDevicesFinished()
    {
        var ids = (await DevicesAsync(4)).Order(StringComparer.Ordinal).ToList();
        await ArtifactAsync("app-8", "demo-device");
        var rollout = await Rollouts.CreateAsync(new RolloutRequest { Name = "r", ArtifactName = "app-8", DeviceIds = ids, MaxDevices = 2 }, "test", Ct);
        for (var i = 0; i < 2; i++)
        {
            Assert.NotNull(await Devices.NextAsync(ids[i], Provides(), Ct));
            await Devices.ReportStatusAsync(ids[i], rollout.Id, "success", null, Ct);
        }
        Assert.Null(await Devices.NextAsync(ids[2], Provides(), Ct));
        var finished = await Rollouts.GetAsync(rollout.Id, Ct);
        Assert.Equal(RolloutStates.Succeeded, finished.State);
        Assert.Contains("max_devices", finished.StateReason);
    }

    [Fact]
    public async Task Reconcile_SchedulesUnstartedPhasesAndWatchersFromTheDatabase()
    {
        var ids = await DevicesAsync(10);
        await ArtifactAsync("app-9", "demo-device");
        var rollout = await Rollouts.CreateAsync(new RolloutRequest
        {
            Name = "r", ArtifactName = "app-9", DeviceIds = ids, Phases = [new(50, Now.AddHours(1)), new(null, Now.AddHours(2))],
        }, "test", Ct);
        Assert.Equal(RolloutStates.Scheduled, rollout.State);
        var before = Scheduler.Scheduled.Count;

        Assert.Equal(1, await Rollouts.ReconcileAsync(Ct));

        var again = Scheduler.Scheduled.Skip(before).ToList();
        Assert.Contains(again, s => s.Item.SubjectId == $"{rollout.Id}/0" && s.RunAtUtc == Now.AddHours(1));
        Assert.Contains(again, s => s.Item.SubjectId == $"{rollout.Id}/1" && s.RunAtUtc == Now.AddHours(2));
        Assert.Contains(again, s => s.Item.Kind == RolloutService.WatchWork && s.Item.SubjectId == rollout.Id);
    }
}
