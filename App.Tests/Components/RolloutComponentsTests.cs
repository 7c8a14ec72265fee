using Bunit;
using Dashboard.App.Components.Pages.Rollouts;
using Dashboard.App.Tests.Infrastructure;
using Dashboard.Data.Freezes;
using Dashboard.App.Tests.Rollouts;
using Dashboard.Data.Rollouts;
using Dashboard.Data.Timeline;
using Dashboard.Data.Work;
using Microsoft.Extensions.DependencyInjection;
using TestContext = Xunit.TestContext;

namespace Dashboard.App.Tests.Components;

public sealed class RolloutComponentsTests : MudBunitContext
{
    private static readonly CancellationToken Ct = TestContext.Current.CancellationToken;

    private async Task<DataServices> ServicesAsync()
    {
        var data = await DataServices.MigratedAsync();
        Services.AddSingleton(data.Get<RolloutService>());
        Services.AddSingleton(data.Get<ArtifactService>());
        Services.AddSingleton(data.Get<MenderInventoryService>());
        Services.AddSingleton(data.Get<MenderDeviceService>());
        Services.AddSingleton(data.Get<TimelineNotifier>());
        Services.AddSingleton(data.Get<ProgressNotifier>());
        Services.AddSingleton(data.Get<FreezeService>());
        // The live feed paces itself by the page's clock; the services' fake clock starts at the real time.
        Services.AddSingleton(TimeProvider.System);
        data.Clock.SetUtcNow(TimeProvider.System.GetUtcNow());
        return data;
    }

    [Fact]
    public async Task Wizard_ShowsTheApisRoundingError_ThenThePerPhaseCounts()
    {
        await using var data = await ServicesAsync();
        await RolloutServiceTests.SeedDevicesAsync(data, 3);
        await RolloutServiceTests.SeedArtifactAsync(data, "wizard-app", "demo-device");

        var cut = RenderWithProviders<RolloutWizardPage>();
        cut.WaitForElement("[data-testid=rollout-wizard]");
        cut.Find("input[data-testid=field-name], [data-testid=field-name] input").Input("canary");
        cut.Find("[data-testid=wizard-next]").Click();
        cut.WaitForElement("[data-testid=target-count]");
        Assert.Contains("3 devices match, 3 of them with a compatible artifact", cut.Find("[data-testid=target-count]").TextContent);
        cut.Find("[data-testid=wizard-next]").Click();

        // The default first phase is 10 %: of 3 devices that is 0.3, so 0, and the service says so.
        cut.WaitForAssertion(() => Assert.Equal("phase 1: 10 % of 3 devices rounds down to 0 devices; choose a larger batch_size",
            cut.Find("[data-testid=phase-error]").TextContent.Trim()));

        cut.FindAll("input[data-testid=field-percent], [data-testid=field-percent] input")[0].Input("34");
        cut.WaitForAssertion(() =>
        {
            var previews = cut.FindAll("[data-testid=phase-preview]").Select(p => p.TextContent.Trim()).ToList();
            Assert.Equal(["34 % of 3 = 1.02 → 1 device", "the rest → 2 devices"], previews);
            Assert.Empty(cut.FindAll("[data-testid=phase-error]"));
        });
        cut.Find("[data-testid=wizard-next]").Click();
        cut.Find("[data-testid=wizard-next]").Click();
        cut.WaitForAssertion(() => Assert.Contains("\"batch_size\": 34", cut.Find("[data-testid=api-request]").TextContent));
        Assert.Contains("\"all_devices\": true", cut.Find("[data-testid=api-request]").TextContent);
    }

    [Fact]
    public async Task DetailPage_ShowsPhasesAndCounters_AndUpdatesThemLive()
    {
        await using var data = await ServicesAsync();
        var ids = (await RolloutServiceTests.SeedDevicesAsync(data, 4)).Order(StringComparer.Ordinal).ToList();
        await RolloutServiceTests.SeedArtifactAsync(data, "detail-app", "demo-device");
        var now = data.Clock.GetUtcNow().UtcDateTime;
        var rollout = await data.Get<RolloutService>().CreateAsync(new RolloutRequest
        {
            Name = "live", ArtifactName = "detail-app", AllDevices = true,
            Phases = [new(50, null), new(null, now.AddMinutes(90))],
        }, "alice", Ct);

        var cut = RenderWithProviders<RolloutDetailPage>(p => p.Add(x => x.Id, rollout.Id));
        cut.WaitForAssertion(() => Assert.Equal("4", cut.Find("[data-testid=counter-pending] [data-testid=counter-value]").TextContent));
        var phases = cut.FindAll("[data-testid=phase]");
        Assert.Equal("true", phases[0].GetAttribute("data-started"));
        Assert.Contains("in 1h ", phases[1].TextContent);

        var devices = data.Get<DeviceDeploymentService>();
        var provides = new Dictionary<string, string> { ["artifact_name"] = "old", ["device_type"] = "demo-device" };
        Assert.NotNull(await devices.NextAsync(ids[0], provides, Ct));
        await devices.ReportStatusAsync(ids[0], rollout.Id, "success", null, Ct);

        cut.WaitForAssertion(() =>
        {
            Assert.Equal("1", cut.Find("[data-testid=counter-success] [data-testid=counter-value]").TextContent);
            Assert.Equal("3", cut.Find("[data-testid=counter-pending] [data-testid=counter-value]").TextContent);
        });

        await data.Get<RolloutService>().AbortAsync(rollout.Id, "alice", Ct);
        cut.WaitForAssertion(() => Assert.Equal("aborted", cut.Find("[data-testid=rollout-state]").GetAttribute("data-state")));
        Assert.Equal("3", cut.Find("[data-testid=counter-aborted] [data-testid=counter-value]").TextContent);
    }
}
