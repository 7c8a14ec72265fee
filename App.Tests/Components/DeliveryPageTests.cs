using Bunit;
using Dashboard.App.Components.Pages.Delivery;
using Dashboard.App.Tests.Data.Delivery;
using Dashboard.App.Tests.Infrastructure;
using Dashboard.Data.Delivery;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;

namespace Dashboard.App.Tests.Components;

public sealed class DeliveryPageTests : MudBunitContext
{
    [Fact]
    public async Task Page_ShowsTheNumbersBesideTheCharts_ForTheChosenPeriod()
    {
        await using var data = await DataServices.MigratedAsync();
        await DeliveryTestData.SeedAsync(data);
        Services.AddSingleton(data.Get<DeliveryMetricsService>());

        var cut = Open("/delivery?days=7");

        cut.WaitForAssertion(() => Assert.Equal("1", cut.Find("[data-testid=figure-deploys-per-day]").TextContent.Trim()));
        Assert.Equal("42.9 %", cut.Find("[data-testid=figure-failure-rate]").TextContent.Trim());
        Assert.Equal("15m 00s", cut.Find("[data-testid=figure-lead-time]").TextContent.Trim());
        Assert.Equal("2h 00m", cut.Find("[data-testid=figure-time-to-restore]").TextContent.Trim());
        var rows = cut.FindAll("[data-testid=delivery-components] tbody tr");
        Assert.Equal(2, rows.Count);
        Assert.Contains("failing now", rows.Single(r => r.TextContent.Contains("web", StringComparison.Ordinal)).TextContent, StringComparison.Ordinal);
        Assert.NotEmpty(cut.FindAll("svg"));
    }

    [Fact]
    public async Task Page_ForOneComponent_ShowsOnlyItsNumbers()
    {
        await using var data = await DataServices.MigratedAsync();
        await DeliveryTestData.SeedAsync(data);
        Services.AddSingleton(data.Get<DeliveryMetricsService>());

        var cut = Open("/delivery?days=7&component=api");

        cut.WaitForAssertion(() => Assert.Equal("50 %", cut.Find("[data-testid=figure-failure-rate]").TextContent.Trim()));
        Assert.Single(cut.FindAll("[data-testid=delivery-components] tbody tr"));
    }

    [Fact]
    public async Task Page_SaysWhatIsWrong_ForAnUnknownPeriod()
    {
        await using var data = await DataServices.MigratedAsync();
        Services.AddSingleton(data.Get<DeliveryMetricsService>());

        var cut = Open("/delivery?days=12");

        cut.WaitForAssertion(() => Assert.Contains("7, 30, 90", cut.Find("[data-testid=delivery-error]").TextContent, StringComparison.Ordinal));
    }

    private IRenderedComponent<DeliveryPage> Open(string uri)
    {
        Services.GetRequiredService<NavigationManager>().NavigateTo(uri);
        return RenderWithProviders<DeliveryPage>();
    }
}
