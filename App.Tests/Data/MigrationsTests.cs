using Dashboard.App.Tests.Infrastructure;
using Dashboard.Data;
using Dashboard.Data.Postgres;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Dashboard.App.Tests.Data;

public sealed class MigrationsTests
{
    [Fact]
    public async Task Migrate_CreatesEveryTable_OnAFreshDatabase()
    {
        await using var services = await DataServices.MigratedAsync();
        await using var db = services.CreateDb();

        Assert.Empty(await db.Database.GetPendingMigrationsAsync(TestContext.Current.CancellationToken));
        Assert.Equal(0, await db.Timeline.CountAsync(TestContext.Current.CancellationToken));
        Assert.Equal(0, await db.Devices.CountAsync(TestContext.Current.CancellationToken));
        Assert.True(File.Exists(Path.Combine(services.DataDirectory, "dashboard.db")));
    }

    [Fact]
    public async Task Model_HasNoChangesMissingFromTheMigrations()
    {
        await using var services = new DataServices();
        await using var db = services.CreateDb();

        Assert.False(db.Database.HasPendingModelChanges(), "The model changed without a migration: run dotnet ef migrations add.");
    }

    [Fact]
    public async Task KnownMigrations_AreEfsOwnList_ForTheSqliteSet()
    {
        await using var services = new DataServices();
        await using var db = services.CreateDb();

        Assert.Equal(db.Database.GetMigrations(), KnownMigrations.Sqlite);
    }

    [Fact]
    public void KnownMigrations_AreEfsOwnList_ForThePostgresSet()
    {
        // Listing migrations needs no server.
        using var db = new PostgresDashboardDbContext(new DbContextOptionsBuilder<PostgresDashboardDbContext>()
            .UseNpgsql("Host=127.0.0.1;Database=unused").Options);

        Assert.Equal(db.Database.GetMigrations(), KnownMigrations.Postgres);
    }

    [Fact]
    public async Task HasPendingMigrations_IsTrueOnANewDatabase_AndFalseOnceMigrated()
    {
        await using var services = new DataServices();
        var initializer = services.Get<DatabaseInitializer>();
        var settings = services.Get<DashboardSettings>();
        var ct = TestContext.Current.CancellationToken;

        Assert.True(await initializer.HasPendingMigrationsAsync(settings, ct));
        await using (var db = services.CreateDb()) await db.Database.MigrateAsync(ct);
        Assert.False(await initializer.HasPendingMigrationsAsync(settings, ct));
    }

    [Fact]
    public async Task ListedConfigurations_BuildTheModel_ThatEveryConfigurationInTheAssemblyBuilds()
    {
        await using var services = new DataServices();
        await using var listed = services.CreateDb();
        var options = new DbContextOptionsBuilder<DashboardDbContext>()
            .UseSqlite("Data Source=:memory:")
            .ConfigureWarnings(w => w.Ignore(Microsoft.EntityFrameworkCore.Diagnostics.RelationalEventId.PendingModelChangesWarning))
            .Options;
        await using var scanned = new EveryConfigurationContext(options);

        var differ = listed.GetService<IMigrationsModelDiffer>();
        var differences = differ.GetDifferences(
            scanned.GetService<IDesignTimeModel>().Model.GetRelationalModel(),
            listed.GetService<IDesignTimeModel>().Model.GetRelationalModel());
        Assert.True(differences.Count == 0,
            "Data/Configurations/ModelConfigurations.cs misses a configuration: " + string.Join(", ", differences.Select(d => d.ToString())));
    }

    // What the context did before configurations were listed: every configuration found by a scan.
    private sealed class EveryConfigurationContext(DbContextOptions<DashboardDbContext> options) : DashboardDbContext(options)
    {
        protected override void OnModelCreating(ModelBuilder modelBuilder) =>
            modelBuilder.ApplyConfigurationsFromAssembly(typeof(DashboardDbContext).Assembly);
    }

    [Fact]
    public async Task CompiledModel_IsInUse_AndIsTheModelTheConfigurationsBuild()
    {
        await using var services = new DataServices();
        await using var db = services.CreateDb();
        var compiled = db.Model;
        var built = db.GetService<IDesignTimeModel>().Model;

        Assert.IsType<Dashboard.Data.CompiledModels.Sqlite.DashboardDbContextModel>(compiled);
        // A read-optimized model cannot be diffed like a snapshot; compare what both can say.
        Assert.Equal(Shape(built), Shape(compiled));
    }

    // Every table, column, key, index and foreign key, and the CLR side of every property. A difference
    // means the compiled model is stale: regenerate it (README, "Development").
    private static List<string> Shape(IModel model)
    {
        var relational = model.GetRelationalModel();
        var tables = relational.Tables.SelectMany(t => new[] { $"table {t.Name}" }
            .Concat(t.Columns.Select(c => $"column {t.Name}.{c.Name} {c.StoreType} null={c.IsNullable}"))
            .Concat(t.UniqueConstraints.Select(k => $"key {k.Name} ({string.Join(",", k.Columns.Select(c => c.Name))}) primary={k.GetIsPrimaryKey()}"))
            .Concat(t.Indexes.Select(i => $"index {i.Name} ({string.Join(",", i.Columns.Select(c => c.Name))}) unique={i.IsUnique}"))
            .Concat(t.ForeignKeyConstraints.Select(f => $"fk {f.Name} ({string.Join(",", f.Columns.Select(c => c.Name))}) -> {f.PrincipalTable.Name} {f.OnDeleteAction}")));
        var properties = model.GetEntityTypes().SelectMany(e => e.GetProperties().Select(p =>
            $"property {e.Name}.{p.Name}: {p.ClrType} {p.GetValueConverter()?.GetType().Name} max={p.GetMaxLength()} null={p.IsNullable} concurrency={p.IsConcurrencyToken} {p.ValueGenerated}"));
        return [.. tables.Concat(properties).Order(StringComparer.Ordinal)];
    }
}
