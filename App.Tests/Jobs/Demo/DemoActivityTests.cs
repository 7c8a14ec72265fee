using Dashboard.App.Tests.Infrastructure;
using Dashboard.App.Tests.Rollouts;
using Dashboard.App.Tests.Rollouts.Artifacts;
using Dashboard.Data;
using Dashboard.Data.Batches;
using Dashboard.Data.Canaries;
using Dashboard.Data.Changes;
using Dashboard.Data.Fleet;
using Dashboard.Data.Rollouts;
using Dashboard.Data.Rollouts.Artifacts;
using Dashboard.Data.Work;
using Dashboard.Jobs.Demo;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Dashboard.App.Tests.Jobs.Demo;

/// <summary>
/// The demo activity generator on a real SQLite file with the demo fleet and a fake clock: half an hour
/// of beats, the work it causes run as the job server would, and what a newcomer would see checked.
/// </summary>
public sealed class DemoActivityTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task DemoArtifact_IsReadByOurReader_AndByTheRealMenderArtifactTool()
    {
        var bytes = DemoArtifact.Write("demo-release-2.7", ["raspberrypi4"], "release.txt", "demo release 2.7\n");

        var artifact = await MenderArtifactReader.ReadAsync(new MemoryStream(bytes), Ct);
        Assert.Equal("demo-release-2.7", artifact.Name);
        Assert.Equal(["raspberrypi4"], artifact.DeviceTypesCompatible);

        using var directory = new TempDirectory();
        var path = Path.Combine(directory.Path, "demo.mender");
        await File.WriteAllBytesAsync(path, bytes, Ct);
        var (exitCode, read) = await MenderCommands.RunAsync(MenderArtifactTool.Executable, ["read", path]);
        Assert.True(exitCode == 0, read);
        Assert.Contains("demo-release-2.7", read);
        Assert.Contains("raspberrypi4", read);
    }

    [Fact(Timeout = 180_000)]
    public async Task HalfAnHourOfBeats_ShowsChangesBatchesRolloutsAndACanaryWaitingForAPerson()
    {
        var work = new DrivingScheduler();
        await using var services = await DemoFleetAsync(work);
        var demo = services.Get<DemoActivity>().WithPace(new DemoActivity.Pace { PromoteAfter = TimeSpan.FromHours(1) }, seed: 7);

        var sawWaitingCanary = false;
        for (var beat = 0; beat < 600; beat++)
        {
            await demo.BeatAsync(Ct);
            await work.RunDueAsync(services, Ct);
            await StepCanariesAsync(services);
            sawWaitingCanary |= await WaitingForPromotionAsync(services);
            services.Clock.Advance(TimeSpan.FromSeconds(3));
        }

        await using var db = services.CreateDb();
        var changes = await db.Changes.AsNoTracking().Where(c => c.Source == DemoActivity.Actor).ToListAsync(Ct);
        Assert.True(changes.Count >= 20, $"{changes.Count} demo change events in half an hour");
        Assert.Contains(changes, c => c.Status == ChangeStatuses.Success);
        Assert.Contains(changes, c => c.Status == ChangeStatuses.Failure);
        Assert.All(changes, c => Assert.Equal(DemoActivity.Actor, c.Owner));

        var batches = await db.Batches.AsNoTracking().Where(b => b.Actor == DemoActivity.Actor).ToListAsync(Ct);
        Assert.NotEmpty(batches);
        Assert.Contains(batches, b => b.State == BatchStates.Completed);

        var rollouts = await db.Rollouts.AsNoTracking().Where(r => r.Actor == DemoActivity.Actor).ToListAsync(Ct);
        Assert.True(rollouts.Count >= 2, $"{rollouts.Count} demo rollouts");
        Assert.Contains(rollouts, r => r.State is RolloutStates.Succeeded or RolloutStates.Failed);
        Assert.Equal(DemoActivity.MenderDevices, await db.Devices.CountAsync(d => d.ProjectId == MenderDeviceService.ProjectId && d.AuthStatus == MenderAuthStatuses.Accepted, Ct));

        Assert.True(sawWaitingCanary, "a canary deployment waited for promotion");
        var deployments = await db.CanaryDeployments.AsNoTracking().Where(d => d.JobId == DemoActivity.CanaryJob).ToListAsync(Ct);
        Assert.True(deployments.Count >= 2, $"{deployments.Count} demo deployments");
        Assert.All(deployments, d => Assert.Equal(DemoActivity.Actor, d.Actor));
    }

    [Fact(Timeout = 180_000)]
    public async Task AFailingCanaryVersion_FollowsAChangeOnTheSameHosts_AndFails()
    {
        var work = new DrivingScheduler();
        await using var services = await DemoFleetAsync(work);
        // Every canary is promoted at once by the demo and every second version fails: the story in minutes.
        var demo = services.Get<DemoActivity>().WithPace(new DemoActivity.Pace { PromoteAfter = TimeSpan.Zero, FailingVersionEvery = 2, CanaryGap = TimeSpan.FromSeconds(30) }, seed: 3);

        CanaryDeployment? failed = null;
        for (var beat = 0; beat < 300 && failed is null; beat++)
        {
            await demo.BeatAsync(Ct);
            await work.RunDueAsync(services, Ct);
            await StepCanariesAsync(services);
            await using var db = services.CreateDb();
            failed = await db.CanaryDeployments.AsNoTracking().FirstOrDefaultAsync(d => d.JobId == DemoActivity.CanaryJob && d.Status == DeploymentStatuses.Failed, Ct);
            services.Clock.Advance(TimeSpan.FromSeconds(3));
        }

        Assert.NotNull(failed);
        await using var check = services.CreateDb();
        var culprit = await check.Changes.AsNoTracking().Where(c => c.Component == "edge-proxy-config" && c.Source == DemoActivity.Actor).ToListAsync(Ct);
        var before = Assert.Single(culprit, c => c.StartedAt <= failed.CreateTime);
        Assert.NotEmpty(before.Hosts.Intersect(failed.Hosts, StringComparer.OrdinalIgnoreCase));
    }

    [Theory]
    [InlineData(true, null, null, true)]
    [InlineData(true, null, "false", false)]
    [InlineData(true, "fleet.json", null, false)]
    [InlineData(false, null, null, false)]
    public void Activity_RunsOnlyOnTheDemoFleet_UnlessTurnedOff(bool demo, string? fleetFile, string? activity, bool expected)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { [DemoActivityHost.ActivityKey] = activity }).Build();
        Assert.Equal(expected, DemoActivityHost.Enabled(new DashboardSettings { Demo = demo, FleetFile = fleetFile }, configuration));
    }

    /// <summary>The data layer on the demo fleet, with <paramref name="work"/> as its job server.</summary>
    private static async Task<DataServices> DemoFleetAsync(DrivingScheduler work)
    {
        // The runners run inline on the fake clock; a provisioning delay on that clock would never end.
        var services = await DataServices.MigratedAsync(s =>
        {
            s.AddSingleton<IWorkScheduler>(work);
            s.AddSingleton<DemoActivity>();
        }, new Dictionary<string, string?> { ["Dashboard:Provisioner:DelayMs"] = "0" });
        await services.Get<FleetImporter>().ImportFileAsync(DemoFleetPath, Ct);
        return services;
    }

    private static string DemoFleetPath => Path.Combine(AppContext.BaseDirectory, "demo-fleet.json");

    private static async Task StepCanariesAsync(DataServices services)
    {
        var deployments = services.Get<DeploymentService>();
        foreach (var d in await deployments.ActiveAsync(Ct))
        {
            if (d.NextCheckAt is null || d.NextCheckAt <= services.Clock.GetUtcNow().UtcDateTime) await deployments.StepAsync(d.Id, Ct);
        }
    }

    private static async Task<bool> WaitingForPromotionAsync(DataServices services)
    {
        await using var db = services.CreateDb();
        return await db.CanaryDeployments.AnyAsync(d => d.JobId == DemoActivity.CanaryJob && d.Active && d.StatusDescription == DeploymentDescriptions.RunningNeedsPromotion, Ct);
    }

    /// <summary>The job server in miniature: runs each item once its time has come, through the runner of its kind.</summary>
    private sealed class DrivingScheduler : IWorkScheduler
    {
        private readonly Lock _gate = new();
        private readonly List<(WorkItem Item, DateTime At)> _items = [];

        public void Enqueue(WorkItem item) { lock (_gate) _items.Add((item, DateTime.MinValue)); }

        public void Schedule(WorkItem item, DateTime runAtUtc)
        {
            lock (_gate)
            {
                _items.RemoveAll(i => i.Item.Kind == item.Kind && i.Item.SubjectId == item.SubjectId);
                _items.Add((item, runAtUtc));
            }
        }

        public async Task RunDueAsync(DataServices services, CancellationToken ct)
        {
            var now = services.Clock.GetUtcNow().UtcDateTime;
            List<WorkItem> due;
            lock (_gate)
            {
                due = [.. _items.Where(i => i.At <= now).Select(i => i.Item)];
                _items.RemoveAll(i => i.At <= now);
            }
            var runners = services.Provider.GetServices<IWorkRunner>().ToDictionary(r => r.Kind);
            foreach (var item in due)
                if (runners.TryGetValue(item.Kind, out var runner)) await runner.RunAsync(item.SubjectId, ct);
        }
    }
}
