using System.Net.Http.Json;
using Dashboard.App.Tests.Infrastructure;
using Dashboard.Data;
using Dashboard.Data.Postgres;
using Dashboard.Data.Timeline;
using Microsoft.EntityFrameworkCore;

namespace Dashboard.App.Tests.Data;


/// <summary>The scale-out configuration: the same app on PostgreSQL, with Hangfire.PostgreSql.</summary>
[Collection(AppCollection.Name)]
public sealed class PostgresTests(PostgresFixture postgres) : IClassFixture<PostgresFixture>
{
    [Fact]
    public void PostgresModel_HasNoChangesMissingFromItsMigrations()
    {
        using var db = new PostgresDashboardDbContext(new DbContextOptionsBuilder<PostgresDashboardDbContext>().UseNpgsql("Host=unused").Options);

        Assert.False(db.Database.HasPendingModelChanges(), "Add the PostgreSQL twin of the latest migration (see DashboardDbContext).");
    }

    [Fact]
    public async Task App_RunsOnPostgres_AndKeepsEntriesAcrossRestarts()
    {
        if (postgres.Unavailable is { } why) Assert.Skip(why);
        using var data = new TempDirectory();
        var ct = TestContext.Current.CancellationToken;
        var settings = new Dictionary<string, string?>
        {
            ["Dashboard:DatabaseProvider"] = "postgres",
            ["Dashboard:ConnectionString"] = postgres.NewDatabase(),
        };
        var title = $"on postgres {Guid.NewGuid():N}";

        await using (var first = new DashboardApp(data.Path, settings).Start())
        {
            await first.Service<TimelineService>().RecordAsync(new TimelineEntry
            {
                Source = TimelineSources.System, SubjectType = "test", SubjectId = "pg", Status = TimelineStatuses.Info, Title = title, Hosts = ["a", "b"],
            }, ct);
            using var client = first.ApiClient(token: null);
            var health = await client.GetFromJsonAsync<Dictionary<string, object>>("/healthz", ct);
            Assert.Equal("healthy", health!["status"].ToString());
        }

        await using var second = new DashboardApp(data.Path, settings).Start();
        var entries = await second.Service<TimelineService>().RecentAsync(new TimelineFilter(Host: "b"), 50, ct);
        Assert.Single(entries, e => e.Title == title);
        await using var db = await second.Service<IDbContextFactory<DashboardDbContext>>().CreateDbContextAsync(ct);
        Assert.IsType<PostgresDashboardDbContext>(db);
        Assert.Equal(12, await db.Devices.CountAsync(ct));
    }

    [Fact]
    public async Task WebhookSecrets_TheLongestFitsItsColumn_AndLegacyPlainTextIsEncryptedInPlace_OnPostgres()
    {
        if (postgres.Unavailable is { } why) Assert.Skip(why);
        var ct = TestContext.Current.CancellationToken;
        await using var data = await DataServices.MigratedAsync(settings: new Dictionary<string, string?>
        {
            ["Dashboard:DatabaseProvider"] = "postgres",
            ["Dashboard:ConnectionString"] = postgres.NewDatabase(),
        });
        var secrets = data.Get<Dashboard.Data.Webhooks.WebhookSecrets>();
        // 200 characters of three UTF-8 bytes each: the longest secret the validator takes, and varchar(n) is enforced here.
        var longest = new string('€', 200);
        var created = await data.Get<Dashboard.Data.Webhooks.WebhookService>().CreateAsync(
            new Dashboard.Data.Webhooks.WebhookRequest("longest", "https://127.0.0.1/hook", longest), "admin", ct);
        var legacy = new Dashboard.Data.Webhooks.Webhook { Id = Guid.NewGuid(), Name = "legacy", Url = "https://127.0.0.1/legacy", Secret = "legacy-plain-text-secret-0123", CreatedAt = DateTime.UtcNow };
        await using (var db = data.CreateDb())
        {
            db.Webhooks.Add(legacy);
            await db.SaveChangesAsync(ct);
        }

        Assert.Equal(1, await secrets.EncryptPlainTextAsync(ct));
        Assert.Equal(0, await secrets.EncryptPlainTextAsync(ct));

        await using var check = data.CreateDb();
        var stored = await check.Webhooks.AsNoTracking().ToDictionaryAsync(w => w.Id, w => w.Secret, ct);
        Assert.True(secrets.TryDecrypt(stored[created.Webhook.Id], out var back));
        Assert.Equal(longest, back);
        Assert.StartsWith(Dashboard.Data.Webhooks.WebhookSecrets.Prefix, stored[legacy.Id], StringComparison.Ordinal);
        Assert.True(secrets.TryDecrypt(stored[legacy.Id], out var legacyBack));
        Assert.Equal(legacy.Secret, legacyBack);
    }
}
