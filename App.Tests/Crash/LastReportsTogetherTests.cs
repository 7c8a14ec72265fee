using Dashboard.App.Tests.Infrastructure;
using Dashboard.App.Tests.Rollouts;
using Dashboard.Data.Rollouts;
using Microsoft.EntityFrameworkCore;

namespace Dashboard.App.Tests.Crash;

/// <summary>
/// Found by the crash test on PostgreSQL: the last devices of a rollout reporting success together
/// each try to finish the rollout; the loser's version check failed after its report was stored,
/// and the device heard 409, which the Mender daemon takes as "deployment aborted".
/// </summary>
public sealed class LastReportsTogetherTests(PostgresFixture postgres) : IClassFixture<PostgresFixture>
{
    private static readonly CancellationToken Ct = TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgres")]
    public async Task FinalReportsArrivingTogether_AreAllAcknowledged_AndTheRolloutFinishesOnce(string provider)
    {
        var settings = new Dictionary<string, string?>();
        if (provider == "postgres")
        {
            if (postgres.Unavailable is { } why) Assert.Skip(why);
            settings["Dashboard:DatabaseProvider"] = "postgres";
            settings["Dashboard:ConnectionString"] = postgres.NewDatabase();
        }
        await using var services = await DataServices.MigratedAsync(settings: settings);
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
