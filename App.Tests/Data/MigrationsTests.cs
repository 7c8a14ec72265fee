using Dashboard.App.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

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
}
