using Bunit;
using TestContext = Xunit.TestContext;
using Dashboard.App.Components.Pages.Fleet;
using Dashboard.App.Tests.Batches;
using Dashboard.App.Tests.Infrastructure;
using Dashboard.Data.Batches;
using Dashboard.Data.Fleet;
using Dashboard.Data.Rollouts;
using Dashboard.Data.Timeline;
using Microsoft.Extensions.DependencyInjection;

namespace Dashboard.App.Tests.Components;

public sealed class FleetComponentsTests : MudBunitContext
{
    [Fact]
    public async Task FleetPage_ShowsTotalUsedAndAvailable_AndOverCommitment_WhenTheTotalFellBelowWhatIsUsed()
    {
        await using var data = await BatchServiceTests.SeededAsync();
        var ct = TestContext.Current.CancellationToken;
        var batch = Assert.Single(await data.Get<BatchService>().SubmitAsync(BatchServiceTests.ProjectId, [BatchServiceTests.Request(10, "f{{index}}", "ewr1")], "alice", ct));
        await data.Get<BatchRunner>().RunAsync(batch.Id, ct);
        var shrunk = BatchServiceTests.SeedFleet();
        shrunk.Facilities.Single(f => f.Code == "ewr1").Capacity["c1.small.x86"] = 6;
        await data.Get<FleetImporter>().ImportAsync(shrunk, "test", ct);
        Services.AddSingleton(data.Get<FleetService>());
        Services.AddSingleton(data.Get<FleetCapacityService>());
        // The Fleet page also lists Mender devices (one inventory).
        Services.AddSingleton(data.Get<MenderDeviceService>());
        Services.AddSingleton(data.Get<MenderInventoryService>());
        Services.AddSingleton(data.Get<TimelineNotifier>());
        Services.AddSingleton(data.Get<TimeProvider>());
        AddAuthorization().SetAuthorized("admin");

        var cut = RenderWithProviders<FleetPage>();

        cut.WaitForAssertion(() =>
        {
            var ewr1 = cut.Find("[data-testid='capacity-ewr1-c1.small.x86']");
            Assert.Equal(("6", "10", "0"), (ewr1.GetAttribute("data-total"), ewr1.GetAttribute("data-used"), ewr1.GetAttribute("data-available")));
            Assert.Equal("over-committed by 4", ewr1.QuerySelector("[data-testid=over-committed]")!.TextContent.Trim());
            var dfw1 = cut.Find("[data-testid='capacity-dfw1-c1.small.x86']");
            Assert.Equal(("50", "0", "50"), (dfw1.GetAttribute("data-total"), dfw1.GetAttribute("data-used"), dfw1.GetAttribute("data-available")));
            Assert.Null(dfw1.QuerySelector("[data-testid=over-committed]"));
        });
    }
}
