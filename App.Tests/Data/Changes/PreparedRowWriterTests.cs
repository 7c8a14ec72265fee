using System.Collections;
using System.Globalization;
using Dashboard.App.Tests.Infrastructure;
using Dashboard.Data;
using Dashboard.Data.Changes;
using Dashboard.Data.Timeline;
using Dashboard.Data.Webhooks;
using Microsoft.EntityFrameworkCore;

namespace Dashboard.App.Tests.Data.Changes;

/// <summary>
/// The change writer's commit without SaveChanges: what it stores must be what SaveChanges stores,
/// column by column, on both databases; what it does not write it leaves to SaveChanges untouched.
/// </summary>
public sealed class PreparedRowWriterTests(PostgresFixture postgres) : IClassFixture<PostgresFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory, MemberData(nameof(DataServices.Providers), MemberType = typeof(DataServices))]
    public async Task InsertsUpdatesAndOutboxRows_AreStoredExactlyAsSaveChangesStoresThem(string provider)
    {
        await using var data = await DataServices.MigratedAsync(provider, postgres);
        await data.Get<WebhookService>().CreateAsync(new WebhookRequest("ops", "http://127.0.0.1:9/hook", "secret-0123456789abcdef"), "admin", Ct);
        var published = new List<TimelineEntry>();
        using var _ = data.Get<TimelineNotifier>().Subscribe(published.AddRange);
        var writer = new PreparedRowWriter(data.Get<TimelinePublisher>());

        // The same change, once through each path; "prepared" and "ef" differ only in Version and ids.
        await using (var db = data.CreateDb())
        {
            AddStarted(db, "prepared");
            db.ChangeTracker.DetectChanges();
            Assert.True(await writer.TrySaveAsync(db, Ct));
            Assert.Empty(db.ChangeTracker.Entries());
        }
        var insertedEntry = Assert.Single(published);
        Assert.True(insertedEntry.Id > 0);
        await using (var db = data.CreateDb())
        {
            AddStarted(db, "ef");
            await db.SaveChangesAsync(Ct);
        }

        // Then the same columns changed on each, with a second entry.
        await using (var db = data.CreateDb())
        {
            End(db, await db.Changes.SingleAsync(c => c.Version == "prepared", Ct));
            db.ChangeTracker.DetectChanges();
            Assert.True(await writer.TrySaveAsync(db, Ct));
        }
        await using (var db = data.CreateDb())
        {
            End(db, await db.Changes.SingleAsync(c => c.Version == "ef", Ct));
            await db.SaveChangesAsync(Ct);
        }

        Assert.Equal(4, published.Count);
        Assert.Equal(published.Count, published.Select(e => e.Id).Distinct().Count());
        await using (var db = data.CreateDb())
        {
            await db.Database.OpenConnectionAsync(Ct);
            var changes = await RowsAsync(db, "Changes");
            Assert.Equal(2, changes.Count);
            Assert.Equal(Without(changes[1], "Id", "Version"), Without(changes[0], "Id", "Version"));

            var entries = await RowsAsync(db, "TimelineEntries");
            Assert.Equal(4, entries.Count);
            // Rows in insertion order: prepared started, ef started, prepared ended, ef ended.
            Assert.Equal(Without(entries[1], "Id", "SubjectId"), Without(entries[0], "Id", "SubjectId"));
            Assert.Equal(Without(entries[3], "Id", "SubjectId"), Without(entries[2], "Id", "SubjectId"));

            var deliveries = await RowsAsync(db, "WebhookDeliveries");
            Assert.Equal(4, deliveries.Count);
            Assert.Equal(entries.Select(e => e["Id"]).Order(), deliveries.Select(d => d["TimelineEntryId"]).Order());
            Assert.Equal(Without(deliveries[1], "Id", "TimelineEntryId", "QueueKey"), Without(deliveries[0], "Id", "TimelineEntryId", "QueueKey"));
        }
    }

    [Fact]
    public async Task AnythingElseTracked_IsLeftToSaveChanges_WithNothingStagedTwice()
    {
        await using var data = await DataServices.MigratedAsync();
        await data.Get<WebhookService>().CreateAsync(new WebhookRequest("ops", "http://127.0.0.1:9/hook", "secret-0123456789abcdef"), "admin", Ct);
        var published = new List<TimelineEntry>();
        using var _ = data.Get<TimelineNotifier>().Subscribe(published.AddRange);
        var writer = new PreparedRowWriter(data.Get<TimelinePublisher>());

        await using (var db = data.CreateDb())
        {
            AddStarted(db, "mixed");
            db.Freezes.Add(new Dashboard.Data.Freezes.Freeze
            {
                Id = Guid.CreateVersion7(), Name = "quiet", Kind = Dashboard.Data.Freezes.FreezeKinds.Once, StartsAt = data.Clock.GetUtcNow().UtcDateTime, EndsAt = data.Clock.GetUtcNow().UtcDateTime.AddHours(1),
            });
            db.ChangeTracker.DetectChanges();

            Assert.False(await writer.TrySaveAsync(db, Ct));
            Assert.Empty(db.PendingTimeline);
            Assert.Empty(db.WebhookDeliveries.Local);
            Assert.Empty(published);

            await db.SaveChangesAsync(Ct);
        }

        Assert.Single(published);
        await using (var db = data.CreateDb())
        {
            Assert.Equal(1, await db.WebhookDeliveries.CountAsync(Ct));
            Assert.Equal(1, await db.Freezes.CountAsync(Ct));
        }
    }

    [Fact]
    public async Task AnUpdateOfARowThatIsGone_FailsTheWholeCommit_AndPublishesNothing()
    {
        await using var data = await DataServices.MigratedAsync();
        var writer = new PreparedRowWriter(data.Get<TimelinePublisher>());
        await using (var db = data.CreateDb())
        {
            AddStarted(db, "gone");
            await db.SaveChangesAsync(Ct);
        }
        var published = new List<TimelineEntry>();
        using var _ = data.Get<TimelineNotifier>().Subscribe(published.AddRange);

        await using (var db = data.CreateDb())
        {
            var change = await db.Changes.SingleAsync(Ct);
            await using (var other = data.CreateDb()) await other.Changes.ExecuteDeleteAsync(Ct);
            End(db, change);
            AddStarted(db, "beside it");
            db.ChangeTracker.DetectChanges();

            await Assert.ThrowsAsync<DbUpdateConcurrencyException>(() => writer.TrySaveAsync(db, Ct));
            Assert.Empty(db.PendingTimeline);
        }

        Assert.Empty(published);
        await using (var db = data.CreateDb())
        {
            Assert.Equal(0, await db.Changes.CountAsync(Ct));
            Assert.Equal(1, await db.Timeline.CountAsync(Ct));
        }
    }


    private static readonly DateTime StartedAt = new(2026, 11, 22, 11, 58, 30, 123, DateTimeKind.Utc);

    // Every column given a value (or a deliberate null) that a careless write would store differently:
    // a JSON list with non-ASCII text, fractional seconds, quotes and a newline, a boolean.
    private static void AddStarted(DashboardDbContext db, string version)
    {
        var change = new Change
        {
            Id = Guid.CreateVersion7(),
            Component = "billing",
            Version = version,
            Hosts = ["prod-api-1", "prod-\u00e9t\u00e9-2"],
            MatchKey = "A1B2",
            Status = ChangeStatuses.InProgress,
            StartedAt = StartedAt,
            Owner = "john@acme.com",
            Source = "jenkins",
            Description = "Roll \"billing\" out\nsecond line",
            TicketUrl = "https://tickets.example/CHG-1",
            TagsJson = """{"team":"payments"}""",
            MetadataJson = """{"build":42}""",
            StartMissing = true,
            UpdatedAt = StartedAt.AddSeconds(1),
        };
        db.Changes.Add(change);
        db.Timeline.Add(Entry(change, "started"));
    }

    private static void End(DashboardDbContext db, Change change)
    {
        change.Status = ChangeStatuses.Failure;
        change.EndedAt = StartedAt.AddMinutes(3);
        change.ErrorMessage = "Failed migration mongodb";
        change.UpdatedAt = StartedAt.AddMinutes(3);
        db.Timeline.Add(Entry(change, "failed"));
    }

    private static TimelineEntry Entry(Change change, string verb) => new()
    {
        Source = TimelineSources.Changes,
        SubjectType = SubjectKinds.Change,
        SubjectId = change.Id.ToString(),
        Status = ChangeStatuses.ToTimeline(change.Status),
        Title = $"{change.Component} {verb}",
        Component = change.Component,
        Version = "1.2.3",
        Hosts = [.. change.Hosts],
        Actor = change.Owner,
        OccurredAt = change.EndedAt ?? change.StartedAt,
        Details = change.ErrorMessage,
    };

    /// <summary>Every stored value as the database hands it back, in insertion order.</summary>
    private static async Task<List<Dictionary<string, string>>> RowsAsync(DashboardDbContext db, string table)
    {
        await using var command = db.Database.GetDbConnection().CreateCommand();
        command.CommandText = table switch
        {
            // Version: "prepared" was written first in each pair.
            "Changes" => "SELECT * FROM \"Changes\" ORDER BY \"Version\" DESC",
            "TimelineEntries" => "SELECT * FROM \"TimelineEntries\" ORDER BY \"Id\"",
            _ => $"SELECT d.* FROM \"{table}\" d ORDER BY d.\"TimelineEntryId\"",
        };
        var rows = new List<Dictionary<string, string>>();
        await using var reader = await command.ExecuteReaderAsync(Ct);
        while (await reader.ReadAsync(Ct))
        {
            var row = new Dictionary<string, string>();
            for (var i = 0; i < reader.FieldCount; i++) row[reader.GetName(i)] = Text(reader.GetValue(i)) + " : " + reader.GetDataTypeName(i);
            rows.Add(row);
        }
        return rows;
    }

    private static string Text(object value) => value switch
    {
        DBNull => "NULL",
        DateTime time => time.ToString("O", CultureInfo.InvariantCulture) + " " + time.Kind,
        string text => text,
        IEnumerable items and not byte[] => "[" + string.Join(", ", items.Cast<object>().Select(Text)) + "]",
        IFormattable formattable => formattable.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    private static Dictionary<string, string> Without(Dictionary<string, string> row, params string[] columns) =>
        row.Where(c => !columns.Contains(c.Key)).ToDictionary();
}
