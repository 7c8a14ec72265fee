using Dashboard.Data.Auth;
using Dashboard.Data.Cluster;
using Dashboard.Data.Fleet;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace Dashboard.Data;

/// <summary>
/// Runs once before the app serves anything: applies migrations, switches SQLite to WAL,
/// creates the bootstrap administrator and token, and imports the fleet file or the demo fleet.
/// Every step is idempotent, so a restart on the same data directory changes nothing.
/// </summary>
public sealed class DatabaseInitializer(
    IDbContextFactory<DashboardDbContext> dbFactory,
    UserService users,
    TokenService tokens,
    FleetImporter fleet,
    ClusterDatabase cluster,
    ILogger<DatabaseInitializer> logger)
{
    public async Task InitializeAsync(DashboardSettings options, string demoFleetPath, CancellationToken ct = default)
    {
        await using (var db = await dbFactory.CreateDbContextAsync(ct))
        {
            if (!options.UsesPostgres)
            {
                // WAL lets readers (live pages) run beside the writer; the mode is stored in the file.
                await db.Database.OpenConnectionAsync(ct);
                await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode = WAL;", ct);
            }
            // EF's migrator takes its own database lock, and creates the database, so it runs first. It
            // runs only when a migration is pending: besides applying them, it compares the model with
            // the latest snapshot, which builds both models and loads the model differ, code that
            // then stays in memory for the life of the process (docs/BENCHMARKS.md, "Idle memory").
            if ((await db.Database.GetPendingMigrationsAsync(ct)).Any()) await db.Database.MigrateAsync(ct);
        }

        // Nodes starting together on one PostgreSQL take turns with the rest, so only one creates the
        // bootstrap administrator, token and fleet, and the others find them there.
        await using var turn = await cluster.LockAsync("initialize", ct);

        await users.EnsureBootstrapAdminAsync(options.AdminPassword, ct);
        await EnsureBootstrapTokenAsync(options.BootstrapToken, ct);

        if (!string.IsNullOrWhiteSpace(options.FleetFile))
        {
            var result = await fleet.ImportFileAsync(options.FleetFile, ct);
            logger.LogInformation("Imported fleet file {File}: {Result}", options.FleetFile, result);
        }
        else if (options.Demo && await IsEmptyAsync(ct))
        {
            var result = await fleet.ImportFileAsync(demoFleetPath, ct);
            logger.LogInformation("Loaded the demo fleet: {Result}", result);
        }
    }

    private async Task EnsureBootstrapTokenAsync(string? secret, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(secret)) return;
        if (await tokens.ValidateAsync(secret, ct) is not null) return;
        await tokens.CreateAsync("bootstrap", [ApiScopes.Admin], "system", secret, ct);
        logger.LogInformation("Created the bootstrap API token from Dashboard:BootstrapToken.");
    }

    private async Task<bool> IsEmptyAsync(CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return !await db.Projects.AnyAsync(ct) && !await db.Facilities.AnyAsync(ct);
    }
}
