using Dashboard.App.Tests.Infrastructure;
using Dashboard.Data;
using Dashboard.Data.Delivery;

namespace Dashboard.App.Tests.Data.Delivery;

public sealed class DeliveryMetricsServiceTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Report_GivesTheFourNumbers_ForAKnownWeek()
    {
        await using var data = await DataServices.MigratedAsync();
        await DeliveryTestData.SeedAsync(data);

        var report = await data.Get<DeliveryMetricsService>().ReportAsync(7, ct: Ct);

        Assert.Equal(new DateTime(2026, 11, 16, 0, 0, 0, DateTimeKind.Utc), report.From);
        // 7 deployments (canceled and open changes are not), 3 failed.
        Assert.Equal(new DeliveryFigures(7, 3, 1.0, 0.4286, 900, 7200, 1, 1), report.Overall);
        Assert.Equal(7, report.Daily.Count);
        Assert.Equal(
            [(0, 0), (0, 0), (0, 0), (1, 0), (1, 0), (1, 2), (1, 1)],
            report.Daily.Select(d => (d.Succeeded, d.Failed)));
        Assert.Equal(new DateOnly(2026, 11, 22), report.Daily[^1].Date);

        var api = report.Components.Single(c => c.Component == "api").Figures;
        Assert.Equal(new DeliveryFigures(4, 2, 0.57, 0.5, 900, 7200, 1, 0), api);
        var web = report.Components.Single(c => c.Component == "web").Figures;
        Assert.Equal(new DeliveryFigures(3, 1, 0.43, 0.3333, 960, null, 0, 1), web);
    }

    [Fact]
    public async Task Report_ForOneComponent_CountsOnlyItsChanges_AndTheLongerPeriodReachesFurtherBack()
    {
        await using var data = await DataServices.MigratedAsync();
        await DeliveryTestData.SeedAsync(data);
        var metrics = data.Get<DeliveryMetricsService>();

        var web = await metrics.ReportAsync(7, "web", Ct);
        Assert.Equal(3, web.Overall.Deployments);
        Assert.Equal(["web"], web.Components.Select(c => c.Component));

        var month = await metrics.ReportAsync(30, ct: Ct);
        Assert.Equal(8, month.Overall.Deployments);
        Assert.Equal(0.27, month.Overall.DeploymentsPerDay);
        Assert.Equal(1, month.Daily.Single(d => d.Date == new DateOnly(2026, 11, 12)).Succeeded);
    }

    [Fact]
    public async Task Report_HasNoRatesOrMedians_WhenNothingFinished()
    {
        await using var data = await DataServices.MigratedAsync();

        var report = await data.Get<DeliveryMetricsService>().ReportAsync(90, ct: Ct);

        Assert.Equal(new DeliveryFigures(0, 0, 0, null, null, null, 0, 0), report.Overall);
        Assert.Equal(90, report.Daily.Count);
        Assert.Empty(report.Components);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(14)]
    [InlineData(365)]
    public async Task Report_RejectsPeriodsOtherThan7_30_90(int days)
    {
        await using var data = await DataServices.MigratedAsync();
        var ex = await Assert.ThrowsAsync<ValidationException>(() => data.Get<DeliveryMetricsService>().ReportAsync(days, ct: Ct));
        Assert.Equal("days", ex.Field);
    }
}
