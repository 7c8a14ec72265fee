using Dashboard.App.Tests.Infrastructure;
using Dashboard.Data.Timeline;

namespace Dashboard.App.Tests.Data;

public sealed class TimelinePublisherTests
{
    private static TimelineEntry Entry(string title) => new()
    {
        Source = TimelineSources.System, SubjectType = "test", SubjectId = title, Status = TimelineStatuses.Info, Title = title,
        OccurredAt = DateTime.UtcNow,
    };

    [Fact]
    public async Task SaveChanges_PublishesEntryWithItsId_AfterCommit()
    {
        await using var services = await DataServices.MigratedAsync();
        var published = new List<TimelineEntry>();
        using var _ = services.Get<TimelineNotifier>().Subscribe(published.AddRange);

        await using var db = services.CreateDb();
        db.Timeline.Add(Entry("saved"));
        await db.SaveChangesAsync(TestContext.Current.CancellationToken);

        var entry = Assert.Single(published);
        Assert.Equal("saved", entry.Title);
        Assert.True(entry.Id > 0);
    }

    [Fact]
    public async Task SaveChanges_OfSeveralStatements_PublishesEntriesWithTheirIds()
    {
        await using var services = await DataServices.MigratedAsync();
        var ids = new List<long>();
        // The ids as they are when published: other nodes read the entries back by them (Data/Cluster).
        using var _ = services.Get<TimelineNotifier>().Subscribe(entries => ids.AddRange(entries.Select(e => e.Id)));

        await using var db = services.CreateDb();
        db.Timeline.AddRange(Entry("first"), Entry("second"), Entry("third"));
        await db.SaveChangesAsync(TestContext.Current.CancellationToken);

        Assert.Equal(3, ids.Count);
        Assert.All(ids, id => Assert.True(id > 0));
    }

    [Fact]
    public async Task ExplicitTransaction_PublishesOnlyOnCommit_AndNothingOnRollback()
    {
        await using var services = await DataServices.MigratedAsync();
        var published = new List<TimelineEntry>();
        using var _ = services.Get<TimelineNotifier>().Subscribe(published.AddRange);
        var ct = TestContext.Current.CancellationToken;

        await using (var db = services.CreateDb())
        {
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            db.Timeline.Add(Entry("rolled back"));
            await db.SaveChangesAsync(ct);
            Assert.Empty(published);
            await tx.RollbackAsync(ct);
        }
        Assert.Empty(published);

        await using (var db = services.CreateDb())
        {
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            db.Timeline.Add(Entry("committed"));
            await db.SaveChangesAsync(ct);
            Assert.Empty(published);
            await tx.CommitAsync(ct);
        }
        Assert.Equal("committed", Assert.Single(published).Title);
    }

    [Fact]
    public async Task Publish_ReachesOtherSubscribers_WhenOneThrows()
    {
        await using var services = await DataServices.MigratedAsync();
        var notifier = services.Get<TimelineNotifier>();
        var received = 0;
        using var broken = notifier.Subscribe(_ => throw new InvalidOperationException("broken page"));
        using var healthy = notifier.Subscribe(e => received += e.Count);

        await services.Get<TimelineService>().RecordAsync(Entry("x"), TestContext.Current.CancellationToken);

        Assert.Equal(1, received);
    }
}
