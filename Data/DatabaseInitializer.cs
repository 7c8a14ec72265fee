using Dashboard.Data.Auth;
using Dashboard.Data.Cluster;
using Dashboard.Data.Fleet;
using Dashboard.Data.Webhooks;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace Dashboard.Data;

/// <summary>
/// Runs once before the app serves anything: applies migrations, switches SQLite to WAL,
/// creates the bootstrap administrator and token, encrypts webhook secrets stored before they were,
/// and imports the fleet file or the demo fleet.
/// Every step is idempotent, so a restart on the same data directory changes nothing.
/// </summary>
public sealed class DatabaseInitializer(
    IDbContextFactory<DashboardDbContext> dbFactory,
    UserService users,
    TokenService tokens,
    FleetImporter fleet,
    ClusterDatabase cluster,
    WebhookSecrets webhookSecrets,
    DataProtectionKeysInDataDirectory keyRing,
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
            // runs only when a migration is pending: it loads every type of this assembly to find the
            // migrations, and that code then stays in memory for the life of the process
            // (docs/BENCHMARKS.md, "Idle memory").
            if (await HasPendingMigrationsAsync(db, options, ct)) await db.Database.MigrateAsync(ct);
        }

        // Nodes starting together on one PostgreSQL take turns with the rest, so only one creates the
        // bootstrap administrator, token and fleet, and the others find them there.
        await using var turn = await cluster.LockAsync("initialize", ct);

        await users.EnsureBootstrapAdminAsync(options.AdminPassword, ct);
        await EnsureBootstrapTokenAsync(options.BootstrapToken, ct);
        ProtectKeys();
        await EncryptWebhookSecretsAsync(ct);

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

    /// <summary>True when the database lacks a migration this build has (always for a new database).</summary>
    public async Task<bool> HasPendingMigrationsAsync(DashboardSettings options, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await HasPendingMigrationsAsync(db, options, ct);
    }

    // Compares the history table with the ids generated at build time (KnownMigrations), where EF's
    // GetPendingMigrations would scan the assembly for them.
    private static async Task<bool> HasPendingMigrationsAsync(DashboardDbContext db, DashboardSettings options, CancellationToken ct)
    {
        var applied = (await db.Database.GetAppliedMigrationsAsync(ct)).ToHashSet(StringComparer.Ordinal);
        var known = options.UsesPostgres ? KnownMigrations.Postgres : KnownMigrations.Sqlite;
        return known.Any(id => !applied.Contains(id));
    }

    // Before any delivery runs (the job server starts after this), and under the turn, so one node does it.
    // A key ring that cannot encrypt (an unwritable keys directory) must not keep the app down: the
    // transaction rolls back, plain text keeps signing, and the next start tries again.
    private async Task EncryptWebhookSecretsAsync(CancellationToken ct)
    {
        try
        {
            await webhookSecrets.EncryptPlainTextAsync(ct);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            logger.LogError(ex, "Could not encrypt the plain-text webhook signing secrets; they stay as they were until the next start");
        }
    }

    // Before the webhook secrets, so that the key they are encrypted with is itself encrypted from then on. A
    // certificate that cannot be read stops the start (thrown by the key ring, with the setting's name): keys
    // encrypted to it could not be read either. A file that cannot be rewritten is left for the next start.
    private void ProtectKeys()
    {
        try
        {
            if (keyRing.ProtectKeys() is var count and > 0)
                logger.LogInformation("Encrypted {Count} data-protection key file(s) to the certificate in Dashboard:KeyCertificate", count);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or System.Xml.XmlException)
        {
            logger.LogError(ex, "Could not encrypt the data-protection keys to Dashboard:KeyCertificate; they stay as they were until the next start");
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
