using Dashboard.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Dashboard.App.Tests.Infrastructure;

/// <summary>
/// The data layer on its own, on a real SQLite file in a fresh directory, with a fake clock:
/// for service tests that do not need the web host.
/// </summary>
public sealed class DataServices : IAsyncDisposable
{
    private readonly TempDirectory _directory = new();

    /// <param name="settings">More configuration, e.g. <c>Dashboard:DatabaseProvider</c> and <c>Dashboard:ConnectionString</c> for PostgreSQL.</param>
    public DataServices(Action<IServiceCollection>? configure = null, IDictionary<string, string?>? settings = null)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Dashboard:DataDirectory"] = _directory.Path,
                // Test receivers listen on loopback (see DashboardApp).
                ["Dashboard:Webhooks:AllowPrivateAddresses"] = "true",
            })
            .AddInMemoryCollection(settings ?? new Dictionary<string, string?>())
            .Build();
        var services = new ServiceCollection()
            .AddSingleton<IConfiguration>(configuration)
            .AddLogging()
            .AddSingleton<TimeProvider>(Clock);
        services.AddDashboardData();
        configure?.Invoke(services);
        Provider = services.BuildServiceProvider();
    }

    public FakeTimeProvider Clock { get; } = new(new DateTimeOffset(2026, 11, 22, 12, 0, 0, TimeSpan.Zero));

    public ServiceProvider Provider { get; }

    public string DataDirectory => _directory.Path;

    public T Get<T>() where T : notnull => Provider.GetRequiredService<T>();

    public DashboardDbContext CreateDb() => Get<IDbContextFactory<DashboardDbContext>>().CreateDbContext();

    public static async Task<DataServices> MigratedAsync(Action<IServiceCollection>? configure = null, IDictionary<string, string?>? settings = null)
    {
        var services = new DataServices(configure, settings);
        await using var db = services.CreateDb();
        await db.Database.MigrateAsync();
        return services;
    }

    /// <summary>The two databases, for a theory that must hold on both.</summary>
    public static TheoryData<string> Providers => ["sqlite", "postgres"];

    /// <summary>
    /// Migrated services on <paramref name="provider"/> (one of <see cref="Providers"/>): a new SQLite file, or a
    /// new database on the fixture's PostgreSQL server (the test is skipped where that server does not run).
    /// </summary>
    public static async Task<DataServices> MigratedAsync(string provider, PostgresFixture postgres)
    {
        if (provider == "sqlite") return await MigratedAsync();
        if (postgres.Unavailable is { } why) Assert.Skip(why);
        return await MigratedAsync(settings: new Dictionary<string, string?>
        {
            ["Dashboard:DatabaseProvider"] = "postgres",
            ["Dashboard:ConnectionString"] = postgres.NewDatabase(),
        });
    }

    public async ValueTask DisposeAsync()
    {
        await Provider.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        _directory.Dispose();
    }
}
