using Bunit;
using Dashboard.App.Components.Pages.Operations;
using Dashboard.App.Observability;
using Dashboard.App.Tests.Infrastructure;
using Dashboard.Data;
using Hangfire;
using Hangfire.InMemory;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace Dashboard.App.Tests.Observability;

public sealed class SystemPageTests : MudBunitContext
{
    [Fact]
    public async Task Renders_ProviderJobQueuesCircuitsAndDataDirectorySize()
    {
        await using var data = await DataServices.MigratedAsync();
        await File.WriteAllBytesAsync(Path.Combine(data.DataDirectory, "blob.bin"), new byte[3 * 1024 * 1024], Xunit.TestContext.Current.CancellationToken);
        using var metrics = new DashboardMetrics(
            new StateCounts(data.Get<IDbContextFactory<DashboardDbContext>>(), data.Clock, NullLogger<StateCounts>.Instance));
        metrics.CircuitOpened();
        metrics.CircuitOpened();
        using var blocking = metrics.BlockingQueryOpened();
        using var storage = new InMemoryStorage();
        new BackgroundJobClient(storage).Schedule(() => Console.WriteLine("later"), TimeSpan.FromHours(1));
        Services.AddSingleton(new SystemStatusService(new DashboardSettings { DataDirectory = data.DataDirectory }, storage, metrics));
        AddAuthorization().SetAuthorized("admin").SetRoles(Dashboard.Data.Auth.Roles.Admin);

        var cut = RenderWithProviders<SystemPage>();

        cut.WaitForAssertion(() => Assert.Equal("SQLite", cut.Find("[data-testid=system-database]").TextContent));
        Assert.Equal("2", cut.Find("[data-testid=system-circuits]").TextContent);
        Assert.Equal("1", cut.Find("[data-testid=system-blocking]").TextContent);
        Assert.Contains("MiB", cut.Find("[data-testid=system-data]").TextContent, StringComparison.Ordinal);
        Assert.Contains("Scheduled1", cut.Find("[data-testid=system-jobs]").TextContent.Replace(" ", "").Replace("\n", ""), StringComparison.Ordinal);
        Assert.False(string.IsNullOrWhiteSpace(cut.Find("[data-testid=system-version]").TextContent));
    }
}
