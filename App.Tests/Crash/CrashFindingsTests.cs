using Dashboard.App.Tests.Infrastructure;
using Dashboard.App.Tests.Rollouts;
using Dashboard.Data.Rollouts;
using Dashboard.Data.Timeline;
using Microsoft.EntityFrameworkCore;

namespace Dashboard.App.Tests.Crash;

/// <summary>
/// What the crash test found, each pinned on both providers at the service level:
/// <list type="bullet">
/// <item>when the app was down across several phases' start times, the reconciler schedules every one
/// of them at once and their jobs (one subject per phase) run in parallel; each starts every phase
/// that is due, and only one of them may record it;</item>
/// <item>the last devices of a rollout reporting success together each try to finish the rollout; the
/// loser's version check failed after its report was stored, and the device heard 409, which the
/// Mender daemon takes as "deployment aborted".</item>
/// </list>
/// </summary>
public sealed class CrashFindingsTests(PostgresFixture postgres) : IClassFixture<PostgresFixture>
{
    private static readonly CancellationToken Ct = TestContext.Current.CancellationToken;

    private async Task<DataServices> ServicesAsync(string provider)
    {
        var settings = new Dictionary<string, string?>();
        if (provider == "postgres")
        {
            if (postgres.Unavailable is { } why) Assert.Skip(why);
            settings["Dashboard:DatabaseProvider"] = "postgres";
            settings["Dashboard:ConnectionString"] = postgres.NewDatabase();
        }
        return await DataServices.MigratedAsync(settings: settings);
    }

    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgres")]
    public async Task PhaseJobsRunningTogether_StartEachPhaseOnce_WhenAllBecameDueWhileTheAppWasDown(string provider)
    {
        await using var services = await ServicesAsync(provider);
        await RolloutServiceTests.SeedDevicesAsync(services, 10);
        await RolloutServiceTests.SeedArtifactAsync(services, "race-1", "demo-device");
        var rollouts = services.Get<RolloutService>();
        var now = services.Clock.GetUtcNow().UtcDateTime;
        var rollout = await rollouts.CreateAsync(new RolloutRequest
        {
            Name = "race", ArtifactName = "race-1", AllDevices = true,
            Phases = [new(20, now.AddHours(1)), new(30, now.AddHours(2)), new(null, now.AddHours(3))],
        }, "test", Ct);
        services.Clock.Advance(TimeSpan.FromHours(1));
        await rollouts.StartPhaseAsync(rollout.Id, 0, Ct);
        services.Clock.Advance(TimeSpan.FromHours(3));

        for (var round = 0; round < 3; round++)
        {
            // Phases 2 and 3 came due while the app was down: their jobs at once. A loser may fail
            // (its job is retried and then finds nothing to do), but must not record a second start.
            var jobs = new[] { 1, 2, 1, 2 }.Select(i => Task.Run(() => rollouts.StartPhaseAsync(rollout.Id, i, Ct), Ct)).ToList();
            try { await Task.WhenAll(jobs); }
            catch (Exception ex) when (ex is DbUpdateException or InvalidOperationException) { }
        }

        await using var db = services.CreateDb();
        var titles = await db.Timeline.Where(e => e.SubjectId == rollout.Id && e.Source == TimelineSources.Rollouts && e.Title.Contains("started")).Select(e => e.Title).ToListAsync(Ct);
        Assert.True(2 == titles.Count, string.Join("\n", titles));
        Assert.Contains("phase 1 of 3", titles[0]);
        Assert.Contains("phases 2-3 of 3 started", titles[1]);
        Assert.All(await db.RolloutPhases.Where(p => p.RolloutId == rollout.Id).ToListAsync(Ct), p => Assert.NotNull(p.StartedAt));
        Assert.Equal(RolloutStates.InProgress, (await db.Rollouts.SingleAsync(r => r.Id == rollout.Id, Ct)).State);
    }

    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgres")]
    public async Task FinalReportsArrivingTogether_AreAllAcknowledged_AndTheRolloutFinishesOnce(string provider)
    {
        await using var services = await ServicesAsync(provider);
        var ids = await RolloutServiceTests.SeedDevicesAsync(services, 40);
        await RolloutServiceTests.SeedArtifactAsync(services, "last-1", "demo-device");
        var rollouts = services.Get<RolloutService>();
        var devices = services.Get<DeviceDeploymentService>();
        var rollout = await rollouts.CreateAsync(new RolloutRequest { Name = "last", ArtifactName = "last-1", AllDevices = true }, "test", Ct);
        var provides = new Dictionary<string, string> { ["artifact_name"] = "release-0", ["device_type"] = "demo-device" };
        foreach (var id in ids)
        {
            Assert.NotNull(await devices.NextAsync(id, provides, Ct));
            await devices.ReportStatusAsync(id, rollout.Id, "installing", null, Ct);
        }

        // Every report is stored, so every device must hear success (2xx), however the finishes race.
        await Task.WhenAll(ids.Select(id => Task.Run(() => devices.ReportStatusAsync(id, rollout.Id, "success", null, Ct), Ct)));
        await rollouts.WatchAsync(rollout.Id, Ct);

        await using var db = services.CreateDb();
        Assert.Equal(RolloutStates.Succeeded, (await db.Rollouts.SingleAsync(r => r.Id == rollout.Id, Ct)).State);
        Assert.Equal(40, (await rollouts.StatisticsAsync(rollout.Id, Ct))["success"]);
        Assert.Equal(1, await db.Timeline.CountAsync(e => e.SubjectId == rollout.Id && e.Title.Contains("succeeded"), Ct));
    }
}
