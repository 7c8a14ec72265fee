using Dashboard.App.Tests.Infrastructure;
using Dashboard.Data;
using Dashboard.Data.Canaries;
using Dashboard.Data.Changes;
using Dashboard.Data.Timeline;
using Microsoft.EntityFrameworkCore;

namespace Dashboard.App.Tests.Canaries;

/// <summary>The scheduler and the watcher on a real SQLite file with a fake clock: every minute passes in a line, never in a sleep.</summary>
public sealed class CanaryEngineTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Runs watcher steps, moving the fake clock to each next check, until the deployment stops moving (finished or waiting for a person).</summary>
    internal static async Task<CanaryDeployment> SettleAsync(DataServices services, string deploymentId, int maxSteps = 200)
    {
        var deployments = services.Get<DeploymentService>();
        for (var i = 0; i < maxSteps; i++)
        {
            await deployments.StepAsync(deploymentId, Ct);
            var d = (await deployments.GetAsync(deploymentId, Ct))!;
            if (!d.Active || d.NextCheckAt is null) return d;
            var now = services.Clock.GetUtcNow().UtcDateTime;
            if (d.NextCheckAt > now) services.Clock.Advance(d.NextCheckAt.Value - now);
        }
        throw new InvalidOperationException("The deployment did not settle.");
    }

    private static async Task<CanaryDeployment> FirstVersionRunningAsync(DataServices services, JobSpec spec)
    {
        var jobs = services.Get<JobService>();
        var first = await jobs.RegisterAsync(spec, "test", ct: Ct);
        Assert.Equal(0, first.Version);
        var d = await SettleAsync(services, first.DeploymentId!);
        Assert.Equal(DeploymentStatuses.Successful, d.Status);
        return d;
    }

    [Fact]
    public async Task Register_PlacesEveryAllocationAtOnce_AndTheFirstDeploymentSucceeds()
    {
        await using var services = await CanaryTestData.SeededAsync();
        var d = await FirstVersionRunningAsync(services, CanaryTestData.Job("web-first"));

        Assert.Equal(DeploymentDescriptions.Successful, d.StatusDescription);
        Assert.Equal(0, d.TaskGroups["web"].DesiredCanaries);
        Assert.Equal(3, d.TaskGroups["web"].HealthyAllocs);
        var allocs = await services.Get<DeploymentService>().AllocationsAsync(d.Id, Ct);
        Assert.Equal(["web-first.web[0]", "web-first.web[1]", "web-first.web[2]"], allocs.Select(a => a.Name).Order());
        Assert.All(allocs, a => Assert.True(a.Healthy));
        var versions = await services.Get<JobService>().VersionsAsync("default", "web-first", Ct);
        Assert.True(Assert.Single(versions).Stable);
    }

    [Fact]
    public async Task Canary_WaitsForPromotion_ThenRollsTheRest_AndSucceeds()
    {
        await using var services = await CanaryTestData.SeededAsync();
        await FirstVersionRunningAsync(services, CanaryTestData.Job("web-canary"));
        var jobs = services.Get<JobService>();
        var deployments = services.Get<DeploymentService>();

        var second = await jobs.RegisterAsync(CanaryTestData.Job("web-canary", image: "nginx:1.26"), "test", ct: Ct);
        Assert.Equal(1, second.Version);
        var d = await SettleAsync(services, second.DeploymentId!);
        Assert.Equal(DeploymentStatuses.Running, d.Status);
        Assert.Equal(DeploymentDescriptions.RunningNeedsPromotion, d.StatusDescription);
        Assert.NotNull(d.WaitingSince);
        var canary = Assert.Single(await deployments.AllocationsAsync(d.Id, Ct));
        Assert.True(canary.Canary);
        Assert.True(canary.Healthy);
        Assert.Equal(3, (await jobs.AllocationsAsync("default", "web-canary", all: false, Ct)).Count(a => a.JobVersion == 0));

        var promoted = await deployments.PromoteAsync(d.Id, all: true, groups: null, "test", Ct);
        Assert.Equal(promoted.Index, promoted.DeploymentModifyIndex);
        d = await SettleAsync(services, d.Id);

        Assert.Equal(DeploymentStatuses.Successful, d.Status);
        Assert.True(d.TaskGroups["web"].Promoted);
        var live = await jobs.AllocationsAsync("default", "web-canary", all: false, Ct);
        Assert.Equal(3, live.Count);
        Assert.All(live, a => Assert.Equal(1, a.JobVersion));
        Assert.True((await jobs.VersionsAsync("default", "web-canary", Ct)).Single(v => v.Version == 1).Stable);
    }

    [Fact]
    public async Task FailingCanary_WithAutoRevert_FailsAndRegistersTheStableVersionAgain()
    {
        await using var services = await CanaryTestData.SeededAsync();
        await FirstVersionRunningAsync(services, CanaryTestData.Job("web-revert", autoRevert: true));
        var jobs = services.Get<JobService>();

        var broken = await jobs.RegisterAsync(CanaryTestData.Job("web-revert", image: "nginx:broken", autoRevert: true, simulate: "unhealthy"), "test", ct: Ct);
        var d = await SettleAsync(services, broken.DeploymentId!);

        Assert.Equal(DeploymentStatuses.Failed, d.Status);
        Assert.Equal("Failed due to unhealthy allocations - rolling back to job version 0", d.StatusDescription);
        var job = (await jobs.GetAsync("default", "web-revert", Ct))!;
        Assert.Equal(2, job.Job.Version);
        Assert.Equal("nginx:1.25", job.Spec.TaskGroups[0].Image);
        var rollback = (await jobs.LatestDeploymentAsync("default", "web-revert", Ct))!;
        Assert.Equal(2, rollback.JobVersion);
        rollback = await SettleAsync(services, rollback.Id);
        Assert.Equal(DeploymentStatuses.Successful, rollback.Status);
        Assert.All(await jobs.AllocationsAsync("default", "web-revert", all: false, Ct), a => Assert.Equal(2, a.JobVersion));
    }

    [Fact]
    public async Task AutoPromote_PromotesOnceEveryCanaryIsHealthy()
    {
        await using var services = await CanaryTestData.SeededAsync();
        await FirstVersionRunningAsync(services, CanaryTestData.Job("web-auto", autoPromote: true));
        var second = await services.Get<JobService>().RegisterAsync(CanaryTestData.Job("web-auto", image: "nginx:2", autoPromote: true), "test", ct: Ct);
        var d = (await services.Get<DeploymentService>().GetAsync(second.DeploymentId!, Ct))!;
        Assert.Equal(DeploymentDescriptions.RunningAutoPromotion, d.StatusDescription);

        d = await SettleAsync(services, d.Id);

        Assert.Equal(DeploymentStatuses.Successful, d.Status);
        Assert.True(d.TaskGroups["web"].Promoted);
    }

    [Fact]
    public async Task ProgressDeadline_FailsADeploymentWhoseAllocationsNeverReport()
    {
        await using var services = await DataServices.MigratedAsync(s => Microsoft.Extensions.DependencyInjection.ServiceCollectionServiceExtensions.AddSingleton(s, new CanaryDriverSettings { Driver = "external" }));
        await services.Get<Dashboard.Data.Fleet.FleetImporter>().ImportFileAsync(CanaryTestData.DemoFleetPath, Ct);
        var first = await services.Get<JobService>().RegisterAsync(CanaryTestData.Job("web-deadline", canary: 0) with { }, "test", ct: Ct);

        var d = await SettleAsync(services, first.DeploymentId!);

        // Healthy deadline (1 m) marks the silent allocations unhealthy before the progress deadline (2 m).
        Assert.Equal(DeploymentStatuses.Failed, d.Status);
        Assert.Equal(DeploymentDescriptions.FailedAllocations, d.StatusDescription);
    }

    [Fact]
    public async Task ProgressDeadline_FailsWhenNothingTurnsHealthyInTime_AndSaysThereIsNoStableVersion()
    {
        await using var services = await CanaryTestData.SeededAsync();
        var spec = CanaryTestData.Job("web-slow", canary: 0, autoRevert: true, healthCheck: HealthChecks.Manual);
        var first = await services.Get<JobService>().RegisterAsync(spec, "test", ct: Ct);

        var d = await SettleAsync(services, first.DeploymentId!);

        Assert.Equal(DeploymentStatuses.Failed, d.Status);
        Assert.Equal("Failed due to progress deadline - no stable job version to auto revert to", d.StatusDescription);
    }

    [Fact]
    public async Task NewerVersion_CancelsTheRunningDeployment()
    {
        await using var services = await CanaryTestData.SeededAsync();
        await FirstVersionRunningAsync(services, CanaryTestData.Job("web-newer"));
        var jobs = services.Get<JobService>();
        var second = await jobs.RegisterAsync(CanaryTestData.Job("web-newer", image: "nginx:2"), "test", ct: Ct);
        var third = await jobs.RegisterAsync(CanaryTestData.Job("web-newer", image: "nginx:3"), "test", ct: Ct);

        var cancelled = (await services.Get<DeploymentService>().GetAsync(second.DeploymentId!, Ct))!;
        Assert.Equal(DeploymentStatuses.Cancelled, cancelled.Status);
        Assert.Equal(DeploymentDescriptions.NewerJob, cancelled.StatusDescription);
        Assert.Equal(2, third.Version);
        // The cancelled version's canary is gone; the new version has its own.
        var live = await jobs.AllocationsAsync("default", "web-newer", all: false, Ct);
        Assert.DoesNotContain(live, a => a.JobVersion == 1);
    }

    [Fact]
    public async Task Register_WithTheSameSpec_CreatesNoVersion()
    {
        await using var services = await CanaryTestData.SeededAsync();
        var jobs = services.Get<JobService>();
        var first = await jobs.RegisterAsync(CanaryTestData.Job("web-same"), "test", ct: Ct);
        var again = await jobs.RegisterAsync(CanaryTestData.Job("web-same"), "test", ct: Ct);

        Assert.Null(again.DeploymentId);
        Assert.Equal(first.JobModifyIndex, again.JobModifyIndex);
        Assert.Single(await jobs.VersionsAsync("default", "web-same", Ct));
    }

    [Fact]
    public async Task StatusChanges_AreOnTheTimeline_AndStartAndEndAChange()
    {
        await using var services = await CanaryTestData.SeededAsync();
        var d = await FirstVersionRunningAsync(services, CanaryTestData.Job("web-timeline"));

        await using var db = services.CreateDb();
        var entries = await db.Timeline.Where(e => e.SubjectId == d.Id).OrderBy(e => e.Id).ToListAsync(Ct);
        Assert.All(entries, e => Assert.Equal(TimelineSources.Deployments, e.Source));
        Assert.Equal([TimelineStatuses.InProgress, TimelineStatuses.Succeeded], entries.Select(e => e.Status));
        var change = await db.Changes.SingleAsync(c => c.Component == "web-timeline", Ct);
        Assert.Equal("0", change.Version);
        Assert.Equal(ChangeStatuses.Success, change.Status);
        Assert.Equal(d.Hosts.Order(), change.Hosts.Order());
    }

    [Fact]
    public async Task Indexes_RiseWithEveryWrite_AndObjectsKeepTheirCreateIndex()
    {
        await using var services = await CanaryTestData.SeededAsync();
        var jobs = services.Get<JobService>();
        var first = await jobs.RegisterAsync(CanaryTestData.Job("web-index"), "test", ct: Ct);
        var d0 = (await services.Get<DeploymentService>().GetAsync(first.DeploymentId!, Ct))!;
        var d = await SettleAsync(services, first.DeploymentId!);

        Assert.Equal(first.Index, d.CreateIndex);
        Assert.Equal(first.Index, d.JobCreateIndex);
        Assert.Equal(first.JobModifyIndex, d.JobModifyIndex);
        Assert.True(d.ModifyIndex > d0.ModifyIndex);
        Assert.True(await services.Get<CanaryWriter>().CurrentIndexAsync(Ct) >= d.ModifyIndex);
    }

    [Fact]
    public async Task JobInAMissingNamespace_IsRejected_AndNothingIsStored()
    {
        await using var services = await CanaryTestData.SeededAsync();
        var before = await services.Get<CanaryWriter>().CurrentIndexAsync(Ct);

        var ex = await Assert.ThrowsAsync<ValidationException>(() =>
            services.Get<JobService>().RegisterAsync(CanaryTestData.Job("web-nowhere") with { Namespace = "nowhere" }, "test", ct: Ct));

        Assert.Contains("namespace", ex.Message);
        Assert.Equal(before, await services.Get<CanaryWriter>().CurrentIndexAsync(Ct));
    }
}
