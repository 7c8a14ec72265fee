// A failing browser test's pages are closed when it ends, not left to hold the shared app's shutdown.
[assembly: Dashboard.App.Tests.Infrastructure.ClosePagesLeftOpen]

namespace Dashboard.App.Tests.Infrastructure;

/// <summary>One app for the whole "app" collection: fresh data directory, demo fleet, bootstrap token.</summary>
public sealed class AppFixture : IAsyncLifetime
{
    private readonly TempDirectory _data = new();

    public DashboardApp App { get; private set; } = default!;

    public ValueTask InitializeAsync()
    {
        App = new DashboardApp(_data.Path).Start();
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        await App.DisposeAsync();
        _data.Dispose();
    }
}

/// <summary>
/// Every test that starts app hosts lives in this collection: Hangfire keeps some static
/// configuration, so hosts run one collection at a time, never in parallel with each other.
/// </summary>
[CollectionDefinition(Name)]
public sealed class AppCollection : ICollectionFixture<AppFixture>, ICollectionFixture<BrowserFixture>
{
    public const string Name = "app";
}
