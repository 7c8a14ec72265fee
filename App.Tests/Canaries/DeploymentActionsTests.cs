using Dashboard.Data;
using Dashboard.Data.Canaries;
using Dashboard.Data.Work;

namespace Dashboard.App.Tests.Canaries;

/// <summary>The actions people and tools take, applied by one service; races and bad input included.</summary>
public sealed class DeploymentActionsTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<(Exception? Error, DeploymentUpdate? Result)[]> RaceAsync(int callers, Func<Task<DeploymentUpdate>> action) =>
        await Task.WhenAll(Enumerable.Range(0, callers).Select(async _ =>
        {
            try { return ((Exception?)null, (DeploymentUpdate?)await Task.Run(action, Ct)); }
            catch (Exception ex) { return (ex, null); }
        }));

    [Fact]
    public async Task HundredConcurrentPauses_ExactlyOneWins_TheOthersGetAConflict()
    {
        await using var services = await CanaryTestData.SeededAsync();
        var registered = await services.Get<JobService>().RegisterAsync(CanaryTestData.Job("race-pause", canary: 0), "test", ct: Ct);
        var deployments = services.Get<DeploymentService>();

        var results = await RaceAsync(100, () => deployments.PauseAsync(registered.DeploymentId!, pause: true, "racer", Ct));

        Assert.Single(results, r => r.Error is null);
        Assert.All(results.Where(r => r.Error is not null), r => Assert.Equal("deployment is already paused", Assert.IsType<ConflictException>(r.Error).Message));
        Assert.Equal(DeploymentStatuses.Paused, (await deployments.GetAsync(registered.DeploymentId!, Ct))!.Status);
    }

    [Fact]
    public async Task HundredConcurrentFails_ExactlyOneWins_AndOnlyOneRevertHappens()
    {
        await using var services = await CanaryTestData.SeededAsync();
        var jobs = services.Get<JobService>();
        await jobs.RegisterAsync(CanaryTestData.Job("race-fail", autoRevert: true), "test", ct: Ct);
        var first = (await jobs.LatestDeploymentAsync("default", "race-fail", Ct))!;
        await CanaryEngineTests.SettleAsync(services, first.Id);
        var second = await jobs.RegisterAsync(CanaryTestData.Job("race-fail", image: "nginx:2", autoRevert: true), "test", ct: Ct);
        var deployments = services.Get<DeploymentService>();

        var results = await RaceAsync(100, () => deployments.FailAsync(second.DeploymentId!, "racer", Ct));

        var winner = Assert.Single(results, r => r.Error is null).Result!;
        Assert.Equal(0, winner.RevertedJobVersion);
        Assert.All(results.Where(r => r.Error is not null), r => Assert.Equal("can't fail terminal deployment", Assert.IsType<ValidationException>(r.Error).Message));
        Assert.Equal(3, (await jobs.VersionsAsync("default", "race-fail", Ct)).Count);
        var failed = (await deployments.GetAsync(second.DeploymentId!, Ct))!;
        Assert.Equal("Deployment marked as failed - rolling back to job version 0", failed.StatusDescription);
    }

    [Fact]
    public async Task HundredConcurrentPromotes_ExactlyOneWins()
    {
        await using var services = await CanaryTestData.SeededAsync();
        var jobs = services.Get<JobService>();
        var first = await jobs.RegisterAsync(CanaryTestData.Job("race-promote"), "test", ct: Ct);
        await CanaryEngineTests.SettleAsync(services, first.DeploymentId!);
        var second = await jobs.RegisterAsync(CanaryTestData.Job("race-promote", image: "nginx:2"), "test", ct: Ct);
        await CanaryEngineTests.SettleAsync(services, second.DeploymentId!);
        var deployments = services.Get<DeploymentService>();

        var results = await RaceAsync(100, () => deployments.PromoteAsync(second.DeploymentId!, all: true, groups: null, "racer", Ct));

        Assert.Single(results, r => r.Error is null);
        Assert.All(results.Where(r => r.Error is not null), r => Assert.Equal("deployment already promoted", Assert.IsType<ConflictException>(r.Error).Message));
    }

    [Fact]
    public async Task ManualHealth_OnlyForManualGroups_AndOnlyForTheDeploymentsAllocations()
    {
        await using var services = await CanaryTestData.SeededAsync();
        var jobs = services.Get<JobService>();
        var deployments = services.Get<DeploymentService>();
        var auto = await jobs.RegisterAsync(CanaryTestData.Job("health-auto", canary: 0), "test", ct: Ct);
        var manual = await jobs.RegisterAsync(CanaryTestData.Job("health-manual", canary: 0, healthCheck: HealthChecks.Manual), "test", ct: Ct);
        var autoAlloc = (await deployments.AllocationsAsync(auto.DeploymentId!, Ct))[0].Id;
        var manualAllocs = await deployments.AllocationsAsync(manual.DeploymentId!, Ct);

        var nonManual = await Assert.ThrowsAsync<ValidationException>(() => deployments.SetAllocationHealthAsync(auto.DeploymentId!, [autoAlloc], [], "t", Ct));
        Assert.Contains("only \"manual\" groups", nonManual.Message);
        var foreign = await Assert.ThrowsAsync<ValidationException>(() => deployments.SetAllocationHealthAsync(manual.DeploymentId!, [autoAlloc], [], "t", Ct));
        Assert.Contains("is not part of deployment", foreign.Message);

        var scheduler = services.Get<IWorkScheduler>() as RecordingWorkScheduler;
        var update = await deployments.SetAllocationHealthAsync(manual.DeploymentId!, [.. manualAllocs.Select(a => a.Id)], [], "t", Ct);
        Assert.Null(update.RevertedJobVersion);
        Assert.Contains(scheduler!.Scheduled, s => s.Item.SubjectId == manual.DeploymentId && s.Item.Description.StartsWith("Roll deployment", StringComparison.Ordinal));
        var d = await CanaryEngineTests.SettleAsync(services, manual.DeploymentId!);
        Assert.Equal(DeploymentStatuses.Successful, d.Status);
    }

    [Fact]
    public async Task UnhealthyManualAllocation_FailsTheDeployment()
    {
        await using var services = await CanaryTestData.SeededAsync();
        var registered = await services.Get<JobService>().RegisterAsync(CanaryTestData.Job("health-bad", canary: 0, healthCheck: HealthChecks.Manual), "test", ct: Ct);
        var deployments = services.Get<DeploymentService>();
        var alloc = (await deployments.AllocationsAsync(registered.DeploymentId!, Ct))[0].Id;

        await deployments.SetAllocationHealthAsync(registered.DeploymentId!, [], [alloc], "t", Ct);

        var d = (await deployments.GetAsync(registered.DeploymentId!, Ct))!;
        Assert.Equal(DeploymentStatuses.Failed, d.Status);
        Assert.Equal(DeploymentDescriptions.FailedAllocations, d.StatusDescription);
    }

    [Fact]
    public async Task PausedDeployment_DoesNotRoll_AndResumeRestartsTheProgressClock()
    {
        await using var services = await CanaryTestData.SeededAsync();
        var jobs = services.Get<JobService>();
        var first = await jobs.RegisterAsync(CanaryTestData.Job("pause-roll", canary: 0), "test", ct: Ct);
        await CanaryEngineTests.SettleAsync(services, first.DeploymentId!);
        var second = await jobs.RegisterAsync(CanaryTestData.Job("pause-roll", image: "nginx:2", canary: 0), "test", ct: Ct);
        var deployments = services.Get<DeploymentService>();
        await deployments.PauseAsync(second.DeploymentId!, pause: true, "t", Ct);

        services.Clock.Advance(TimeSpan.FromMinutes(30));
        await CanaryEngineTests.SettleAsync(services, second.DeploymentId!);
        var paused = (await deployments.GetAsync(second.DeploymentId!, Ct))!;
        Assert.Equal(DeploymentStatuses.Paused, paused.Status);
        Assert.Equal(1, paused.TaskGroups["web"].PlacedAllocs);

        await deployments.PauseAsync(second.DeploymentId!, pause: false, "t", Ct);
        var done = await CanaryEngineTests.SettleAsync(services, second.DeploymentId!);
        Assert.Equal(DeploymentStatuses.Successful, done.Status);
    }
}
