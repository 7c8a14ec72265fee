using Dashboard.Data.Timeline;
using Dashboard.Data.Work;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Dashboard.Data.Webhooks;

/// <summary>
/// Writes the outbox: while a context saves new timeline entries (<see cref="TimelinePublisher"/>
/// calls in), one <see cref="WebhookDelivery"/> per matching webhook is added to the same context,
/// so it commits or rolls back with the change. After commit the queues are handed to the job server.
/// The webhook list is cached (and reloaded after a change here, or after <see cref="CacheFor"/> for
/// other instances), so saving costs one list check when no webhook exists.
/// </summary>
public sealed class WebhookOutbox(TimeProvider clock, IServiceProvider services, ILogger<WebhookOutbox> logger)
{
    public static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(30);

    private sealed record Cached(IReadOnlyList<(Guid Id, WebhookFilter Filter)> Webhooks, DateTime LoadedAt);

    private volatile Cached? _cache;
    // Resolved on first use: the job server's scheduler is built after the database it is started from.
    private IWorkScheduler? _scheduler;

    public void Invalidate() => _cache = null;

    internal void Stage(DashboardDbContext db, IReadOnlyList<TimelineEntry> added)
    {
        if (added.Count == 0) return;
        var webhooks = Fresh()?.Webhooks;
        if (webhooks is null)
        {
            webhooks = Load(db.Webhooks.AsNoTracking().ToList());
        }
        AddDeliveries(db, added, webhooks);
    }

    internal async Task StageAsync(DashboardDbContext db, IReadOnlyList<TimelineEntry> added, CancellationToken ct)
    {
        if (added.Count == 0) return;
        var webhooks = Fresh()?.Webhooks ?? Load(await db.Webhooks.AsNoTracking().ToListAsync(ct));
        AddDeliveries(db, added, webhooks);
    }

    /// <summary>After commit: each queue that got a delivery is run (at most once per queue per commit).</summary>
    internal void Committed(IReadOnlyCollection<string> queues)
    {
        if (queues.Count == 0) return;
        try
        {
            var scheduler = _scheduler ??= services.GetRequiredService<IWorkScheduler>();
            foreach (var queue in queues) scheduler.Enqueue(WebhookRunner.Work(queue));
        }
        catch (Exception ex)
        {
            // The change is committed and so are its outbox rows: the reconcile step sends them at the next start.
            logger.LogError(ex, "Could not hand {Count} webhook queue(s) to the job server", queues.Count);
        }
    }

    private Cached? Fresh() => _cache is { } cache && clock.GetUtcNow().UtcDateTime - cache.LoadedAt < CacheFor ? cache : null;

    private IReadOnlyList<(Guid, WebhookFilter)> Load(List<Webhook> rows)
    {
        var cache = new Cached([.. rows.Select(w => (w.Id, w.Filter))], clock.GetUtcNow().UtcDateTime);
        _cache = cache;
        return cache.Webhooks;
    }

    private void AddDeliveries(DashboardDbContext db, IReadOnlyList<TimelineEntry> added, IReadOnlyList<(Guid Id, WebhookFilter Filter)> webhooks)
    {
        if (webhooks.Count == 0) return;
        var now = clock.GetUtcNow().UtcDateTime;
        foreach (var entry in added)
        {
            foreach (var (id, filter) in webhooks)
            {
                if (!filter.Matches(entry)) continue;
                var delivery = new WebhookDelivery
                {
                    Id = Guid.CreateVersion7(),
                    WebhookId = id,
                    TimelineEntry = entry,
                    QueueKey = WebhookDelivery.Queue(id, entry),
                    EventType = WebhookEvents.TimelineEntry,
                    CreatedAt = now,
                    NextAttemptAt = now,
                };
                db.WebhookDeliveries.Add(delivery);
                db.PendingWebhookQueues.Add(delivery.QueueKey);
            }
        }
    }
}
