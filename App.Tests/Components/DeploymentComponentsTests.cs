using Bunit;
using Dashboard.App.Components.Pages.Deployments;
using Dashboard.App.Tests.Canaries;
using Dashboard.App.Tests.Infrastructure;
using Dashboard.Data.Freezes;
using Dashboard.Data.Canaries;
using Dashboard.Data.Work;
using Microsoft.Extensions.DependencyInjection;
using TestContext = Xunit.TestContext;

namespace Dashboard.App.Tests.Components;

public sealed class DeploymentComponentsTests : MudBunitContext
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<DataServices> ServicesAsync()
    {
        var data = await CanaryTestData.SeededAsync();
        Services.AddSingleton(data.Get<DeploymentService>());
        Services.AddSingleton(data.Get<JobService>());
        Services.AddSingleton(data.Get<FreezeService>());
        Services.AddSingleton(data.Get<Dashboard.Data.Suspects.SuspectService>());
        Services.AddSingleton(data.Get<ProgressNotifier>());
        Services.AddSingleton<TimeProvider>(data.Clock);
        AddAuthorization().SetAuthorized("alice");
        return data;
    }

    /// <summary>A job whose second version waits with one canary placed (not yet healthy).</summary>
    private static async Task<string> CanaryWaitingAsync(DataServices data, string job)
    {
        var jobs = data.Get<JobService>();
        var first = await jobs.RegisterAsync(CanaryTestData.Job(job), "test", ct: Ct);
        await CanaryEngineTests.SettleAsync(data, first.DeploymentId!);
        return (await jobs.RegisterAsync(CanaryTestData.Job(job, image: "nginx:2"), "test", ct: Ct)).DeploymentId!;
    }

    [Fact]
    public async Task DetailPage_EnablesPromoteOnlyOnceTheCanaryIsHealthy_SayingWhyUntilThen_AndPromotesLive()
    {
        await using var data = await ServicesAsync();
        var id = await CanaryWaitingAsync(data, "ui-promote");

        var cut = RenderWithProviders<DeploymentDetailPage>(p => p.Add(x => x.Id, id));
        cut.WaitForAssertion(() => Assert.True(cut.Find("[data-testid=promote]").HasAttribute("disabled")));
        Assert.Equal("web: 0 of 1 canaries healthy.", cut.Find("[data-testid=promote-why-not]").TextContent);
        Assert.Contains("Fail", cut.Find("[data-testid=fail]").TextContent);

        await CanaryEngineTests.SettleAsync(data, id);
        data.Clock.Advance(TimeSpan.FromSeconds(1));
        WaitForLive(cut, data.Clock, () => Assert.False(cut.Find("[data-testid=promote]").HasAttribute("disabled")));
        WaitForLive(cut, data.Clock, () => Assert.Contains("needs promotion", cut.Find("[data-testid=deployment-waiting]").TextContent));
        Assert.Equal("healthy", cut.Find("[data-testid=alloc-row][data-canary=true]").GetAttribute("data-health"));

        await cut.ClickAsync("[data-testid=promote]");
        cut.WaitForAssertion(() => Assert.Equal(DeploymentDescriptions.Running, cut.Find("[data-testid=deployment-description]").TextContent));
        await CanaryEngineTests.SettleAsync(data, id);
        data.Clock.Advance(TimeSpan.FromSeconds(1));
        WaitForLive(cut, data.Clock, () => Assert.Equal("successful", cut.Find("[data-testid=deployment-header] [data-testid=deployment-status]").GetAttribute("data-status")));
    }

    [Fact]
    public async Task DetailPage_ShowsManualHealthButtons_ForManualGroupsOnly_AndTheRevertVersionOnFail()
    {
        await using var data = await ServicesAsync();
        var jobs = data.Get<JobService>();
        var first = await jobs.RegisterAsync(CanaryTestData.Job("ui-manual", autoRevert: true), "test", ct: Ct);
        await CanaryEngineTests.SettleAsync(data, first.DeploymentId!);
        var second = await jobs.RegisterAsync(CanaryTestData.Job("ui-manual", image: "nginx:2", autoRevert: true, healthCheck: HealthChecks.Manual), "test", ct: Ct);

        var cut = RenderWithProviders<DeploymentDetailPage>(p => p.Add(x => x.Id, second.DeploymentId!));
        cut.WaitForAssertion(() => Assert.Single(cut.FindAll("[data-testid=mark-healthy]")));
        Assert.Equal("Fail and revert to v0", cut.Find("[data-testid=fail]").TextContent.Trim());

        await cut.ClickAsync("[data-testid=mark-healthy]");
        cut.WaitForAssertion(() => Assert.Equal("healthy", cut.Find("[data-testid=alloc-row]").GetAttribute("data-health")));
        // The first version's group checks health itself: no buttons there.
        var checks = Render<DeploymentDetailPage>(p => p.Add(x => x.Id, first.DeploymentId!));
        checks.WaitForAssertion(() => Assert.NotEmpty(checks.FindAll("[data-testid=alloc-row]")));
        Assert.Empty(checks.FindAll("[data-testid=mark-healthy]"));
    }

    [Fact]
    public async Task DeploymentsPage_ShowsWhatWaitsForAPerson_AndFiltersByStatus()
    {
        await using var data = await ServicesAsync();
        var waiting = await CanaryWaitingAsync(data, "ui-list");
        await CanaryEngineTests.SettleAsync(data, waiting);

        var cut = RenderWithProviders<DeploymentsPage>();
        cut.WaitForAssertion(() => Assert.Contains("needs promotion", cut.Find($"[data-testid=deployment-row][data-id='{waiting}'] [data-testid=deployment-waiting]").TextContent));
        Assert.Equal(2, cut.FindAll("[data-testid=deployment-row]").Count);

        await data.Get<DeploymentService>().PauseAsync(waiting, pause: true, "bob", Ct);
        data.Clock.Advance(TimeSpan.FromSeconds(75));
        cut.WaitForAssertion(() => Assert.Equal("paused for 1m 15s",
            cut.Find($"[data-testid=deployment-row][data-id='{waiting}'] [data-testid=deployment-waiting]").TextContent.Trim()));
    }
}
