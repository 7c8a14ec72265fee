using Dashboard.App.Tests.Infrastructure;
using Dashboard.Data;
using Dashboard.Data.Fleet;
using Dashboard.Data.Freezes;
using Dashboard.Data.Rollouts;
using Dashboard.Data.Timeline;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Time.Testing;

namespace Dashboard.App.Tests.Freezes;

/// <summary>
/// The real app, its Hangfire server and a fake clock: a phase start that falls inside a freeze
/// waits (a job scheduled for the freeze's end), survives a restart (re-derived from the database),
/// and runs when the clock reaches the end.
/// </summary>
[Collection(AppCollection.Name)]
public sealed class FreezeJobTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task PhaseStart_InsideAFreeze_WaitsThroughARestart_AndRunsAtTheFreezesEnd()
    {
        using var data = new TempDirectory();
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 11, 24, 9, 0, 0, TimeSpan.Zero));
        var start = clock.GetUtcNow().UtcDateTime;
        string rolloutId;

        await using (var first = new DashboardApp(data.Path, clock: clock).Start())
        {
            var devices = await SeedAsync(first, "app-9");
            await first.Service<FreezeService>().CreateAsync(new FreezeRequest
            {
                Name = "Change board", Kind = FreezeKinds.Once, StartsAt = start.AddMinutes(30), EndsAt = start.AddHours(3), Components = ["app-9"],
            }, "admin", Ct);
            var rollout = await first.Service<RolloutService>().CreateAsync(new RolloutRequest
            {
                Name = "two-phase", ArtifactName = "app-9", DeviceIds = devices, Phases = [new(50, null), new(null, start.AddHours(1))],
            }, "op", Ct);
            rolloutId = rollout.Id;

            var waiting = WaitForEntryAsync(first, rolloutId, "Rollout two-phase: phase 2 of 2 waiting for freeze Change board until 2026-11-24 12:00 UTC");
            clock.Advance(TimeSpan.FromHours(1));
            await waiting;
            Assert.Null(await PhaseTwoStartedAsync(first, rolloutId));
        }

        // Hangfire's schedule died with the first app; the rollouts' reconcile step derives it again.
        await using var second = new DashboardApp(data.Path, clock: clock).Start();
        Assert.Equal(start.AddHours(3), (await second.Service<FreezeService>().WaitAsync(SubjectKinds.Rollout, rolloutId, Ct))!.Until);
        var started = WaitForEntryAsync(second, rolloutId, "Rollout two-phase: phase 2 of 2 started (5 devices)");
        clock.Advance(TimeSpan.FromHours(2));
        await started;

        Assert.Equal(start.AddHours(3), await PhaseTwoStartedAsync(second, rolloutId));
        Assert.Null(await second.Service<FreezeService>().WaitAsync(SubjectKinds.Rollout, rolloutId, Ct));
    }

    private static async Task<DateTime?> PhaseTwoStartedAsync(DashboardApp app, string rolloutId) =>
        (await app.Service<RolloutService>().GetAsync(rolloutId, Ct)).Phases.Single(p => p.Index == 1).StartedAt;

    /// <summary>Completes when the rollout's timeline has an entry with this title: listens first, then looks in the database.</summary>
    private static async Task WaitForEntryAsync(DashboardApp app, string rolloutId, string title)
    {
        var seen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var subscription = app.Service<TimelineNotifier>().Subscribe(entries =>
        {
            if (entries.Any(e => e.SubjectId == rolloutId && e.Title == title)) seen.TrySetResult();
        });
        await using (var db = await app.Service<IDbContextFactory<DashboardDbContext>>().CreateDbContextAsync(Ct))
        {
            if (await db.Timeline.AnyAsync(e => e.SubjectId == rolloutId && e.Title == title, Ct)) return;
        }
        // The limit only turns a hang into a clear failure; the clock that matters is the fake one.
        try
        {
            await seen.Task.WaitAsync(TimeSpan.FromSeconds(30), Ct);
        }
        catch (TimeoutException)
        {
            await using var db = await app.Service<IDbContextFactory<DashboardDbContext>>().CreateDbContextAsync(Ct);
            var titles = await db.Timeline.Where(e => e.SubjectId == rolloutId).OrderBy(e => e.Id).Select(e => e.Title).ToListAsync(Ct);
            Assert.Fail($"No \"{title}\" on the rollout's timeline; it has: {string.Join(" | ", titles)}");
        }
    }

    private static async Task<List<string>> SeedAsync(DashboardApp app, string artifact)
    {
        var now = app.Clock.GetUtcNow().UtcDateTime;
        await using var db = await app.Service<IDbContextFactory<DashboardDbContext>>().CreateDbContextAsync(Ct);
        if (!await db.Projects.AnyAsync(p => p.Id == MenderDeviceService.ProjectId, Ct))
            db.Projects.Add(new Project { Id = MenderDeviceService.ProjectId, Name = "Mender devices", Slug = "mender", CreatedAt = now });
        var ids = Enumerable.Range(0, 10).Select(i => $"job-dev-{i}").ToList();
        foreach (var id in ids)
        {
            db.Devices.Add(new Device
            {
                Id = id, ProjectId = MenderDeviceService.ProjectId, Hostname = id, AuthStatus = MenderAuthStatuses.Accepted,
                DeviceType = "job-type", IdentityData = $"{{\"mac\":\"{id}\"}}", CreatedAt = now, UpdatedAt = now,
            });
        }
        db.Artifacts.Add(new Artifact { Id = Guid.NewGuid().ToString(), Name = artifact, DeviceTypes = ["job-type"], Metadata = "{}", FileName = "x.mender", ModifiedAt = now });
        await db.SaveChangesAsync(Ct);
        return ids;
    }
}
