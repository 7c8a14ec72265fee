using Dashboard.App.Tests.Canaries;
using Dashboard.App.Tests.Infrastructure;
using Dashboard.App.Tests.Rollouts;
using Dashboard.Data;
using Dashboard.Data.Batches;
using Dashboard.Data.Canaries;
using Dashboard.Data.Freezes;
using Dashboard.Data.Rollouts;
using Dashboard.Data.Timeline;
using Dashboard.Data.Work;
using Microsoft.EntityFrameworkCore;

namespace Dashboard.App.Tests.Freezes;

/// <summary>Freezes on a real SQLite file with the demo fleet and a fake clock: rules, scopes, refusals, overrides, waits.</summary>
public sealed class FreezeServiceTests : IAsyncLifetime
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private const string DefaultProject = "b8d5a8a0-0b3e-4d8e-9a43-6c1f1f1b0001";
    private static readonly FreezeOverrideRequest Admin = new("hotfix for the outage", "admin", IsAdmin: true);

    private DataServices _services = default!;
    private FreezeService Freezes => _services.Get<FreezeService>();
    private RecordingWorkScheduler Scheduler => (RecordingWorkScheduler)_services.Get<IWorkScheduler>();
    private DateTime Now => _services.Clock.GetUtcNow().UtcDateTime;

    public async ValueTask InitializeAsync() => _services = await CanaryTestData.SeededAsync();

    public ValueTask DisposeAsync() => _services.DisposeAsync();

    private Task<Freeze> FreezeAsync(string name, TimeSpan from, TimeSpan to, string[]? projects = null, string[]? components = null) =>
        Freezes.CreateAsync(new FreezeRequest
        {
            Name = name, Kind = FreezeKinds.Once, StartsAt = Now + from, EndsAt = Now + to, Projects = projects, Components = components,
        }, "admin", Ct);

    private static BatchRequest Batch(string host) => new() { Hostname = host + "{{index}}", Quantity = 2, Plan = "c1.small.x86", OperatingSystem = "ubuntu_16_04", Facilities = ["any"] };

    [Theory]
    [InlineData(null, "once", "name", "A name is required.")]
    [InlineData("x", "sometimes", "kind", "The kind is one of once, weekly.")]
    [InlineData("x", "weekly", "timeZone", "Unknown time zone 'Mars/Olympus'; use an IANA id such as Europe/Berlin or UTC.")]
    public async Task Create_RefusesBadInput_WithTheFieldAndMessage_AndStoresNothing(string? name, string kind, string field, string message)
    {
        var ex = await Assert.ThrowsAsync<ValidationException>(() => Freezes.CreateAsync(new FreezeRequest
        {
            Name = name, Kind = kind, TimeZone = "Mars/Olympus", StartDay = "friday", StartTime = "16:00", EndDay = "monday", EndTime = "08:00",
        }, "admin", Ct));
        Assert.Equal((field, message), (ex.Field, ex.Message));
        Assert.Empty(await Freezes.ListAsync(Ct));
    }

    [Fact]
    public async Task Create_RefusesAWindowThatEndsFirst_AnUnknownDay_AndAnUnknownProject()
    {
        var ends = await Assert.ThrowsAsync<ValidationException>(() => FreezeAsync("back", TimeSpan.FromHours(2), TimeSpan.FromHours(1)));
        Assert.Equal(("endsAt", "The end must be after the start."), (ends.Field, ends.Message));
        var day = await Assert.ThrowsAsync<ValidationException>(() => Freezes.CreateAsync(new FreezeRequest
        {
            Name = "d", Kind = "weekly", TimeZone = "UTC", StartDay = "fryday", StartTime = "16:00", EndDay = "monday", EndTime = "8:00",
        }, "admin", Ct));
        Assert.Equal("startDay", day.Field);
        Assert.StartsWith("'fryday' is not a day", day.Message);
        var project = await Assert.ThrowsAsync<ValidationException>(() => FreezeAsync("p", TimeSpan.Zero, TimeSpan.FromHours(1), projects: ["nowhere"]));
        Assert.Equal("projects", project.Field);
        Assert.StartsWith("No project or namespace named 'nowhere'", project.Message);
        Assert.Empty(await Freezes.ListAsync(Ct));
    }

    [Fact]
    public async Task Create_StoresAWeeklyWindow_AndListsItAsActiveOrNext()
    {
        // The fake clock starts on Sunday 2026-11-22 12:00Z: inside Friday 16:00 - Monday 08:00 Berlin.
        var freeze = await Freezes.CreateAsync(new FreezeRequest
        {
            Name = "Weekend", Kind = "Weekly", TimeZone = "Europe/Berlin", StartDay = "Friday", StartTime = "16:00", EndDay = "monday", EndTime = "08:00",
        }, "admin", Ct);
        Assert.Equal((DayOfWeek.Friday, new TimeOnly(16, 0), DayOfWeek.Monday, new TimeOnly(8, 0)), (freeze.StartDay, freeze.StartTime, freeze.EndDay, freeze.EndTime));
        var summary = Assert.Single(await Freezes.ListAsync(Ct));
        Assert.Equal(new DateTime(2026, 11, 23, 7, 0, 0, DateTimeKind.Utc), summary.Active!.Value.End);
        var duplicate = await Assert.ThrowsAsync<ValidationException>(() => FreezeAsync("Weekend", TimeSpan.Zero, TimeSpan.FromHours(1)));
        Assert.Equal("A freeze named 'Weekend' already exists.", duplicate.Message);
    }

    [Fact]
    public async Task SubmitBatch_IsRefusedWithTheFreezesNameAndEnd_AndStoresNothing()
    {
        await FreezeAsync("Release week", -TimeSpan.FromHours(1), TimeSpan.FromHours(5), projects: ["default"]);

        var ex = await Assert.ThrowsAsync<FrozenException>(() => _services.Get<BatchService>().SubmitAsync(DefaultProject, [Batch("frozen")], "op", Ct));

        Assert.Equal(("Release week", Now.AddHours(5)), (ex.FreezeName, ex.Until));
        Assert.Contains("\"Release week\" until 2026-11-22 17:00 UTC", ex.Message);
        Assert.Contains("An administrator can override", ex.Message);
        await using var db = _services.CreateDb();
        Assert.Equal(0, await db.Batches.CountAsync(Ct));
    }

    [Fact]
    public async Task Scope_FreezesOnlyListedProjectsAndComponents_AndEverythingWhenEmpty()
    {
        await FreezeAsync("edge only", TimeSpan.Zero, TimeSpan.FromHours(1), projects: ["edge"]);
        await FreezeAsync("billing only", TimeSpan.Zero, TimeSpan.FromHours(1), components: ["billing"]);

        Assert.False((await Freezes.OutlookAsync(BatchService.FreezeTarget("default"), Ct)).Frozen);
        Assert.True((await Freezes.OutlookAsync(BatchService.FreezeTarget("edge"), Ct)).Frozen);
        Assert.True((await Freezes.OutlookAsync(CanaryEngine.FreezeTarget("default", "billing"), Ct)).Frozen);
        Assert.False((await Freezes.OutlookAsync(CanaryEngine.FreezeTarget("default", "web"), Ct)).Frozen);
        Assert.False((await Freezes.OutlookAsync(RolloutService.FreezeTarget("app-1"), Ct)).Frozen);

        await FreezeAsync("everything", TimeSpan.FromMinutes(30), TimeSpan.FromHours(2));
        var outlook = await Freezes.OutlookAsync(RolloutService.FreezeTarget("app-1"), Ct);
        Assert.False(outlook.Frozen);
        Assert.Equal("everything", Assert.Single(outlook.Upcoming).Freeze.Name);
    }

    [Fact]
    public async Task Outlook_ChainsBackToBackWindows_IntoOneEnd()
    {
        await FreezeAsync("first", TimeSpan.Zero, TimeSpan.FromHours(1));
        await FreezeAsync("second", TimeSpan.FromHours(1), TimeSpan.FromHours(4));

        var outlook = await Freezes.OutlookAsync(BatchService.FreezeTarget("default"), Ct);

        Assert.Equal("first", Assert.Single(outlook.Active).Freeze.Name);
        Assert.Equal(Now.AddHours(4), outlook.Until);
    }

    [Fact]
    public async Task Override_ByAnAdministrator_CreatesTheBatch_AndRecordsWhoWhenAndWhy()
    {
        var freeze = await FreezeAsync("Release week", -TimeSpan.FromHours(1), TimeSpan.FromHours(5));
        var batches = _services.Get<BatchService>();

        var notAdmin = await Assert.ThrowsAsync<FrozenException>(() => batches.SubmitAsync(DefaultProject, [Batch("a")], "op", Ct, Admin with { IsAdmin = false }));
        Assert.Contains("Only an administrator can override a freeze.", notAdmin.Message);
        var noReason = await Assert.ThrowsAsync<ValidationException>(() => batches.SubmitAsync(DefaultProject, [Batch("a")], "admin", Ct, Admin with { Reason = "  " }));
        Assert.Equal("freezeOverride", noReason.Field);

        var batch = Assert.Single(await batches.SubmitAsync(DefaultProject, [Batch("a")], "admin", Ct, Admin));

        var recorded = Assert.Single(await Freezes.OverridesAsync(ct: Ct));
        Assert.Equal((freeze.Id, "Release week", SubjectKinds.Batch, batch.Id, "admin", "hotfix for the outage", Now),
            (recorded.FreezeId, recorded.FreezeName, recorded.SubjectKind, recorded.SubjectId, recorded.Actor, recorded.Reason, recorded.At));
        await using var db = _services.CreateDb();
        var entry = await db.Timeline.SingleAsync(e => e.SubjectId == batch.Id && e.Title.StartsWith("Freeze"), Ct);
        Assert.Equal(("Freeze Release week (until 2026-11-22 17:00 UTC) overridden by admin", "hotfix for the outage", "admin"), (entry.Title, entry.Details, entry.Actor));
    }

    [Fact]
    public async Task PhaseStart_InsideAFreeze_WaitsForItsEnd_ThenStarts()
    {
        var devices = await RolloutServiceTests.SeedDevicesAsync(_services, 10);
        await RolloutServiceTests.SeedArtifactAsync(_services, "app-7", "demo-device");
        var rollouts = _services.Get<RolloutService>();
        var rollout = await rollouts.CreateAsync(new RolloutRequest
        {
            Name = "phased", ArtifactName = "app-7", DeviceIds = devices, Phases = [new(20, null), new(null, Now.AddHours(1))],
        }, "op", Ct);
        await FreezeAsync("Evening", TimeSpan.FromMinutes(30), TimeSpan.FromHours(3), components: ["app-7"]);

        _services.Clock.Advance(TimeSpan.FromHours(1));
        await rollouts.StartPhaseAsync(rollout.Id, 1, Ct);

        var held = await rollouts.GetAsync(rollout.Id, Ct);
        Assert.Null(held.Phases.Single(p => p.Index == 1).StartedAt);
        var until = Now.AddHours(2);
        Assert.Contains(Scheduler.Scheduled, s => s.Item.SubjectId == $"{rollout.Id}/1" && s.RunAtUtc == until);
        var wait = await Freezes.WaitAsync(SubjectKinds.Rollout, rollout.Id, Ct);
        Assert.Equal(("Evening", until), (wait!.FreezeName, wait.Until));
        await using (var db = _services.CreateDb())
        {
            var entry = await db.Timeline.SingleAsync(e => e.SubjectId == rollout.Id && e.Title.Contains("waiting for freeze"), Ct);
            Assert.Equal($"Rollout phased: phase 2 of 2 waiting for freeze Evening until 2026-11-22 15:00 UTC", entry.Title);
        }

        // Delivered again before the end (a restart's reconcile): still waiting, no second timeline line.
        await rollouts.StartPhaseAsync(rollout.Id, 1, Ct);
        _services.Clock.Advance(TimeSpan.FromHours(2));
        await rollouts.StartPhaseAsync(rollout.Id, 1, Ct);

        Assert.Equal(Now, (await rollouts.GetAsync(rollout.Id, Ct)).Phases.Single(p => p.Index == 1).StartedAt);
        Assert.Null(await Freezes.WaitAsync(SubjectKinds.Rollout, rollout.Id, Ct));
        await using (var db = _services.CreateDb())
            Assert.Equal(1, await db.Timeline.CountAsync(e => e.SubjectId == rollout.Id && e.Title.Contains("waiting for freeze"), Ct));
    }

    [Fact]
    public async Task HeldPhase_ShowsPeopleTheEnd_InTheFreezesOwnTimeZone()
    {
        var devices = await RolloutServiceTests.SeedDevicesAsync(_services, 10);
        await RolloutServiceTests.SeedArtifactAsync(_services, "app-8", "demo-device");
        var rollout = await _services.Get<RolloutService>().CreateAsync(new RolloutRequest
        {
            Name = "berlin", ArtifactName = "app-8", DeviceIds = devices, Phases = [new(20, null), new(null, Now.AddHours(1))],
        }, "op", Ct);
        var berlin = TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin");
        var wallNow = TimeZoneInfo.ConvertTimeFromUtc(Now, berlin);
        // Wall-clock times in the zone, as the form and the API take them (no offset).
        await Freezes.CreateAsync(new FreezeRequest
        {
            Name = "Berlin evening", Kind = FreezeKinds.Once, TimeZone = "Europe/Berlin", Components = ["app-8"],
            StartsAt = new DateTimeOffset(DateTime.SpecifyKind(wallNow.AddMinutes(30), DateTimeKind.Unspecified), TimeSpan.Zero),
            EndsAt = new DateTimeOffset(DateTime.SpecifyKind(wallNow.AddHours(3), DateTimeKind.Unspecified), TimeSpan.Zero),
        }, "admin", Ct);

        _services.Clock.Advance(TimeSpan.FromHours(1));
        await _services.Get<RolloutService>().StartPhaseAsync(rollout.Id, 1, Ct);

        var (wait, zone) = (await Freezes.WaitForPeopleAsync(SubjectKinds.Rollout, rollout.Id, Ct))!.Value;
        Assert.Equal("Europe/Berlin", zone);
        var until = Now.AddHours(2);
        Assert.Equal(until, wait.Until);
        var local = TimeZoneInfo.ConvertTimeFromUtc(until, berlin);
        Assert.Equal($"{local:yyyy-MM-dd HH:mm} Europe/Berlin ({until:HH:mm} UTC)", FreezeService.Format(wait.Until, zone));
        Assert.Null(await Freezes.WaitForPeopleAsync(SubjectKinds.Rollout, "no-such-rollout", Ct));
    }

    [Fact]
    public async Task OverriddenRollout_IsNotHeldLater_ByTheSameFreeze()
    {
        var devices = await RolloutServiceTests.SeedDevicesAsync(_services, 10);
        await RolloutServiceTests.SeedArtifactAsync(_services, "app-8", "demo-device");
        await FreezeAsync("Freeze all", TimeSpan.Zero, TimeSpan.FromHours(6));
        var rollouts = _services.Get<RolloutService>();
        var request = new RolloutRequest { Name = "urgent", ArtifactName = "app-8", DeviceIds = devices, Phases = [new(50, null), new(null, Now.AddHours(1))] };

        await Assert.ThrowsAsync<FrozenException>(() => rollouts.CreateAsync(request, "op", Ct));
        var rollout = await rollouts.CreateAsync(request, "admin", Ct, Admin);
        Assert.NotNull(rollout.Phases[0].StartedAt);
        _services.Clock.Advance(TimeSpan.FromHours(1));
        await rollouts.StartPhaseAsync(rollout.Id, 1, Ct);

        Assert.NotNull((await rollouts.GetAsync(rollout.Id, Ct)).Phases.Single(p => p.Index == 1).StartedAt);
    }

    [Fact]
    public async Task RollingStep_InsideAFreeze_WaitsForItsEnd_WithoutLosingTheProgressDeadline()
    {
        var jobs = _services.Get<JobService>();
        var deployments = _services.Get<DeploymentService>();
        var first = await jobs.RegisterAsync(CanaryTestData.Job("web-frozen", canary: 0), "op", ct: Ct);
        await CanaryEngineTests.SettleAsync(_services, first.DeploymentId!);
        var second = await jobs.RegisterAsync(CanaryTestData.Job("web-frozen", image: "nginx:1.27", canary: 0), "op", ct: Ct);
        var freeze = await FreezeAsync("Lunch", TimeSpan.Zero, TimeSpan.FromHours(1), components: ["web-frozen"]);
        var until = Now.AddHours(1);

        // The first new allocation (placed at register) comes up; the next one waits for the freeze.
        FreezeWait? wait = null;
        for (var i = 0; i < 20 && wait is null; i++)
        {
            var d = (await deployments.GetAsync(second.DeploymentId!, Ct))!;
            if (d.NextCheckAt > Now) _services.Clock.Advance(d.NextCheckAt.Value - Now);
            await deployments.StepAsync(d.Id, Ct);
            wait = await Freezes.WaitAsync(SubjectKinds.Deployment, d.Id, Ct);
        }
        Assert.Equal(("Lunch", until), (wait!.FreezeName, wait.Until));
        var waiting = (await deployments.GetAsync(second.DeploymentId!, Ct))!;
        Assert.Equal((DeploymentStatuses.Running, until), (waiting.Status, waiting.NextCheckAt));
        Assert.Single(await deployments.AllocationsAsync(waiting.Id, Ct));

        // The freeze (an hour) is longer than the progress deadline (two minutes): the deployment still succeeds after it.
        var done = await CanaryEngineTests.SettleAsync(_services, waiting.Id);
        Assert.Equal(DeploymentStatuses.Successful, done.Status);
        Assert.True(Now >= until);
        Assert.Null(await Freezes.WaitAsync(SubjectKinds.Deployment, done.Id, Ct));
        Assert.Equal(freeze.Id, wait.FreezeId);
    }

    [Fact]
    public async Task JobRegister_IsRefusedDuringAFreeze_ButARevertIsNot()
    {
        var jobs = _services.Get<JobService>();
        var first = await jobs.RegisterAsync(CanaryTestData.Job("api-frozen", canary: 0), "op", ct: Ct);
        await CanaryEngineTests.SettleAsync(_services, first.DeploymentId!);
        var second = await jobs.RegisterAsync(CanaryTestData.Job("api-frozen", image: "nginx:1.27", canary: 0), "op", ct: Ct);
        await CanaryEngineTests.SettleAsync(_services, second.DeploymentId!);
        await FreezeAsync("Namespace freeze", TimeSpan.Zero, TimeSpan.FromHours(1), projects: ["default"]);

        var ex = await Assert.ThrowsAsync<FrozenException>(() => jobs.RegisterAsync(CanaryTestData.Job("api-frozen", image: "nginx:1.28", canary: 0), "op", ct: Ct));
        Assert.Equal("Namespace freeze", ex.FreezeName);
        Assert.Equal(1, (await jobs.GetAsync("default", "api-frozen", Ct))!.Job.Version);

        var reverted = await jobs.RevertAsync("default", "api-frozen", 0, null, "op", Ct);
        Assert.Equal(2, reverted.Version);
    }
}
