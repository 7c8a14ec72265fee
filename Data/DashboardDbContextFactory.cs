using System.Runtime.CompilerServices;
using Dashboard.Data.Postgres;
using Dashboard.Data.Timeline;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.Extensions.Logging;

namespace Dashboard.Data;

/// <summary>
/// Hands out pooled <see cref="DashboardDbContext"/>s for the configured provider: the SQLite
/// context (embedded default) or the PostgreSQL subclass, which has its own migrations.
/// </summary>
internal sealed class DashboardDbContextFactory : IDbContextFactory<DashboardDbContext>
{
    private readonly Func<DashboardDbContext> _create;

    public DashboardDbContextFactory(DashboardSettings settings, TimelinePublisher publisher, SqlitePragmas pragmas, ILoggerFactory loggers)
    {
        _create = settings.UsesPostgres
            ? PostgresFactory(settings.ConnectionString, publisher, loggers)
            : SqliteFactory(settings.SqlitePath, publisher, pragmas, loggers);
    }

    public DashboardDbContext CreateDbContext() => _create();

    // Migrate would otherwise diff the model against the latest snapshot on every start (two models built
    // and the model differ loaded, code that stays in memory for the life of the process). MigrationsTests
    // and PostgresTests make the same check where it belongs: before a change is merged.
    private static void NoModelDiffAtRuntime(WarningsConfigurationBuilder warnings) =>
        warnings.Ignore(RelationalEventId.PendingModelChangesWarning);

    private static Func<DashboardDbContext> SqliteFactory(string path, TimelinePublisher publisher, SqlitePragmas pragmas, ILoggerFactory loggers)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var options = new DbContextOptionsBuilder<DashboardDbContext>()
            .UseSqlite(new SqliteConnectionStringBuilder { DataSource = path, DefaultTimeout = 30 }.ToString())
            .AddInterceptors(pragmas, publisher)
            .UseLoggerFactory(loggers)
            .ConfigureWarnings(NoModelDiffAtRuntime)
            .Options;
        return new PooledDbContextFactory<DashboardDbContext>(options).CreateDbContext;
    }

    // Kept out of line so the Npgsql assemblies are only loaded (and cost memory) when PostgreSQL is selected.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static Func<DashboardDbContext> PostgresFactory(string? connectionString, TimelinePublisher publisher, ILoggerFactory loggers)
    {
        if (string.IsNullOrWhiteSpace(connectionString))
            throw new InvalidOperationException("Dashboard:DatabaseProvider is postgres but Dashboard:ConnectionString is empty.");
        var options = new DbContextOptionsBuilder<PostgresDashboardDbContext>()
            .UseNpgsql(connectionString)
            .AddInterceptors(publisher)
            .UseLoggerFactory(loggers)
            .ConfigureWarnings(NoModelDiffAtRuntime)
            .Options;
        return new PooledDbContextFactory<PostgresDashboardDbContext>(options).CreateDbContext;
    }
}
