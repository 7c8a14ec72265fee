using Dashboard.Data.Work;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace Dashboard.Data.Webhooks;

/// <summary>
/// Delivers one queue (one webhook, one subject) oldest entry first: entry N+1 is not sent before
/// N succeeded. A failed attempt is retried with exponential backoff on the app clock; a queue whose
/// head is not due yet is scheduled for then. Reentrant: it re-reads the queue every time.
/// </summary>
public sealed class WebhookRunner(IDbContextFactory<DashboardDbContext> dbFactory, WebhookSender sender, WebhookSecrets secrets, IWorkScheduler scheduler, TimeProvider clock,
    ILogger<WebhookRunner> logger) : IWorkRunner
{
    public const string WorkKind = "webhook-delivery";
    public static readonly TimeSpan FirstRetry = TimeSpan.FromSeconds(10);
    public static readonly TimeSpan LongestRetry = TimeSpan.FromHours(1);

    public string Kind => WorkKind;

    public static WorkItem Work(string queueKey) => new(WorkKind, queueKey, $"Webhook delivery {queueKey}");

    /// <summary>How long to wait after the <paramref name="failedAttempts"/>-th failure: 10 s, 20 s, 40 s ... at most an hour.</summary>
    public static TimeSpan Backoff(int failedAttempts)
    {
        var exponent = Math.Clamp(failedAttempts - 1, 0, 20);
        var delay = FirstRetry * Math.Pow(2, exponent);
        return delay < LongestRetry ? delay : LongestRetry;
    }

    public async Task RunAsync(string subjectId, CancellationToken ct)
    {
        while (await DeliverHeadAsync(subjectId, ct)) { }
    }

    /// <summary>Attempts the queue's oldest pending delivery; true when it went out and the next may follow.</summary>
    private async Task<bool> DeliverHeadAsync(string queueKey, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var head = await db.WebhookDeliveries
            .Include(d => d.TimelineEntry)
            .Where(d => d.QueueKey == queueKey && d.State == WebhookDeliveryStates.Pending)
            .OrderBy(d => d.TimelineEntryId).ThenBy(d => d.CreatedAt)
            .FirstOrDefaultAsync(ct);
        if (head is null) return false;

        var now = clock.GetUtcNow().UtcDateTime;
        if (head.NextAttemptAt > now)
        {
            scheduler.Schedule(Work(queueKey), head.NextAttemptAt);
            return false;
        }
        var webhook = await db.Webhooks.AsNoTracking().FirstOrDefaultAsync(w => w.Id == head.WebhookId, ct);
        if (webhook is null)
        {
            // Deleted while this was queued (its log is gone with it).
            await db.WebhookDeliveries.Where(d => d.WebhookId == head.WebhookId).ExecuteDeleteAsync(ct);
            return false;
        }

        var body = head.Payload ?? WebhookSender.Body(head.TimelineEntry!);
        WebhookAttempt attempt;
        if (secrets.TryDecrypt(webhook.Secret, out var secret))
        {
            attempt = await sender.SendAsync(webhook.Url, secret, head.Id, head.EventType, body, ct);
        }
        else
        {
            // Retried like any failure, so the queue goes out on its own once an administrator rotates the secret.
            logger.LogWarning("Webhook {WebhookId}: the signing secret cannot be decrypted with this key ring; its deliveries wait for a new secret", webhook.Id);
            attempt = new WebhookAttempt(false, null, WebhookSecrets.CannotDecrypt);
        }
        now = clock.GetUtcNow().UtcDateTime;
        head.Attempts++;
        head.LastAttemptAt = now;
        head.LastStatusCode = attempt.StatusCode;
        if (attempt.Succeeded)
        {
            head.State = WebhookDeliveryStates.Delivered;
            head.DeliveredAt = now;
            head.LastError = null;
        }
        else
        {
            head.LastError = attempt.Error;
            head.NextAttemptAt = now + Backoff(head.Attempts);
        }
        await db.SaveChangesAsync(ct);
        if (!attempt.Succeeded) scheduler.Schedule(Work(queueKey), head.NextAttemptAt);
        return attempt.Succeeded;
    }

    /// <summary>Whether <see cref="PendingQueuesAsync"/> would find a queue, without its query (see <see cref="ReconcileCheck"/>).</summary>
    public Task<bool> HasPendingAsync(CancellationToken ct) =>
        ReconcileCheck.AnyAsync(dbFactory, $"""SELECT 1 FROM "WebhookDeliveries" WHERE "State" = '{WebhookDeliveryStates.Pending}'""", ct);

    /// <summary>Every queue with a pending delivery, for the reconcile step after a restart.</summary>
    public async Task<IReadOnlyList<string>> PendingQueuesAsync(CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.WebhookDeliveries.Where(d => d.State == WebhookDeliveryStates.Pending)
            .Select(d => d.QueueKey).Distinct().ToListAsync(ct);
    }
}
