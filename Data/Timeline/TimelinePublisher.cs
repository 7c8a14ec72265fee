using System.Data.Common;
using Dashboard.Data.Webhooks;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace Dashboard.Data.Timeline;

/// <summary>
/// Publishes timeline entries to the <see cref="TimelineNotifier"/> only once they are committed:
/// after SaveChanges when there is no explicit transaction, otherwise after the transaction commits.
/// No service has to remember to notify, and nothing rolled back is ever shown. The same entries
/// get their webhook outbox rows here (<see cref="WebhookOutbox"/>), in the same save, so no
/// capability has to know about webhooks either.
/// </summary>
public sealed class TimelinePublisher(TimelineNotifier notifier, WebhookOutbox outbox) : SaveChangesInterceptor, IDbTransactionInterceptor
{
    public override InterceptionResult<int> SavingChanges(DbContextEventData eventData, InterceptionResult<int> result)
    {
        if (eventData.Context is DashboardDbContext db) outbox.Stage(db, Saving(db));
        return result;
    }

    public override async ValueTask<InterceptionResult<int>> SavingChangesAsync(DbContextEventData eventData, InterceptionResult<int> result, CancellationToken cancellationToken = default)
    {
        if (eventData.Context is DashboardDbContext db) await outbox.StageAsync(db, Saving(db), cancellationToken);
        return result;
    }

    public override int SavedChanges(SaveChangesCompletedEventData eventData, int result)
    {
        PublishIfCommitted(eventData.Context);
        return result;
    }

    public override ValueTask<int> SavedChangesAsync(SaveChangesCompletedEventData eventData, int result, CancellationToken cancellationToken = default)
    {
        PublishIfCommitted(eventData.Context);
        return ValueTask.FromResult(result);
    }

    public override void SaveChangesFailed(DbContextErrorEventData eventData) => Discard(eventData.Context);

    public override Task SaveChangesFailedAsync(DbContextErrorEventData eventData, CancellationToken cancellationToken = default)
    {
        Discard(eventData.Context);
        return Task.CompletedTask;
    }

    /// <summary>
    /// For a writer that commits without SaveChanges (<see cref="Changes.PreparedRowWriter"/>): what
    /// <see cref="SavingChangesAsync"/> does for <paramref name="added"/>. Then <see cref="Committed"/>
    /// after its commit, or <see cref="RolledBack"/>.
    /// </summary>
    internal async Task StageAsync(DashboardDbContext db, List<TimelineEntry> added, CancellationToken ct)
    {
        db.PendingTimeline.AddRange(added);
        await outbox.StageAsync(db, added, ct);
    }

    internal void Committed(DashboardDbContext db) => Flush(db);

    internal static void RolledBack(DashboardDbContext db) => Clear(db);

    private static List<TimelineEntry> Saving(DashboardDbContext db)
    {
        db.Saving = true;
        return Collect(db);
    }

    private static List<TimelineEntry> Collect(DashboardDbContext db)
    {
        var added = new List<TimelineEntry>();
        foreach (var entry in db.ChangeTracker.Entries<TimelineEntry>())
        {
            if (entry.State == EntityState.Added) added.Add(entry.Entity);
        }
        db.PendingTimeline.AddRange(added);
        return added;
    }

    private void PublishIfCommitted(DbContext? context)
    {
        if (context is not DashboardDbContext db) return;
        db.Saving = false;
        if (db.Database.CurrentTransaction is not null) return;
        Flush(db);
    }

    private void Flush(DashboardDbContext db)
    {
        if (db.PendingWebhookQueues.Count > 0)
        {
            var queues = db.PendingWebhookQueues.ToArray();
            db.PendingWebhookQueues.Clear();
            outbox.Committed(queues);
        }
        if (db.PendingTimeline.Count == 0) return;
        var committed = db.PendingTimeline.ToArray();
        db.PendingTimeline.Clear();
        notifier.Publish(committed);
    }

    private static void Discard(DbContext? context)
    {
        if (context is not DashboardDbContext db) return;
        db.Saving = false;
        if (db.Database.CurrentTransaction is null) Clear(db);
    }

    private static void Clear(DashboardDbContext db)
    {
        db.PendingTimeline.Clear();
        db.PendingWebhookQueues.Clear();
    }

    public void TransactionCommitted(DbTransaction transaction, TransactionEndEventData eventData)
    {
        // SaveChanges' own transaction (several statements) commits before the generated ids are set
        // on the entries, which other nodes read them back by; SavedChanges publishes those.
        if (eventData.Context is DashboardDbContext { Saving: false } db) Flush(db);
    }

    public Task TransactionCommittedAsync(DbTransaction transaction, TransactionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        TransactionCommitted(transaction, eventData);
        return Task.CompletedTask;
    }

    public void TransactionRolledBack(DbTransaction transaction, TransactionEndEventData eventData)
    {
        if (eventData.Context is DashboardDbContext db) Clear(db);
    }

    public Task TransactionRolledBackAsync(DbTransaction transaction, TransactionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        TransactionRolledBack(transaction, eventData);
        return Task.CompletedTask;
    }
}
