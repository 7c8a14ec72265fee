using Dashboard.Data.Timeline;

namespace Dashboard.Data.Webhooks;

/// <summary>
/// A receiver of timeline entries. Empty filter lists match everything; a non-empty list matches
/// an entry whose value is in it (sources, statuses, components are each ANDed).
/// </summary>
public sealed class Webhook
{
    public Guid Id { get; set; }
    public required string Name { get; set; }
    public required string Url { get; set; }
    /// <summary>
    /// The HMAC key as stored: encrypted by <see cref="WebhookSecrets"/> (a plain-text value is from before
    /// that, and is encrypted at the next start). Shown to a person only once, when made.
    /// </summary>
    public required string Secret { get; set; }
    public List<string> Sources { get; set; } = [];
    public List<string> Statuses { get; set; } = [];
    public List<string> Components { get; set; } = [];
    public DateTime CreatedAt { get; set; }
    public string? CreatedBy { get; set; }

    public WebhookFilter Filter => new(Sources, Statuses, Components);
}

/// <summary>Which timeline entries a webhook receives.</summary>
public sealed record WebhookFilter(IReadOnlyList<string> Sources, IReadOnlyList<string> Statuses, IReadOnlyList<string> Components)
{
    public bool Matches(TimelineEntry entry) =>
        (Sources.Count == 0 || Sources.Contains(entry.Source, StringComparer.Ordinal))
        && (Statuses.Count == 0 || Statuses.Contains(entry.Status, StringComparer.Ordinal))
        && (Components.Count == 0 || (entry.Component is { } component && Components.Contains(component, StringComparer.OrdinalIgnoreCase)));
}

public static class WebhookDeliveryStates
{
    public const string Pending = "pending";
    public const string Delivered = "delivered";
}

/// <summary>
/// One entry for one webhook: the outbox row, written in the same transaction as the timeline
/// entry, and then the delivery log (attempts, last error, last response code).
/// </summary>
public sealed class WebhookDelivery
{
    /// <summary>Sent as the delivery id header; time-ordered, so a receiver can de-duplicate.</summary>
    public Guid Id { get; set; }
    /// <summary>
    /// No foreign key on purpose: another instance may save against a webhook list cached before a
    /// delete, and that must never fail the change being saved. Orphans are dropped by the runner.
    /// </summary>
    public Guid WebhookId { get; set; }
    /// <summary>The entry delivered; null for a test event, which carries its own <see cref="Payload"/>.</summary>
    public long? TimelineEntryId { get; set; }
    public TimelineEntry? TimelineEntry { get; set; }
    /// <summary>Deliveries with the same key go out one at a time, oldest entry first: one webhook, one subject.</summary>
    public required string QueueKey { get; set; }
    public required string EventType { get; set; }
    public string? Payload { get; set; }
    public string State { get; set; } = WebhookDeliveryStates.Pending;
    public int Attempts { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime NextAttemptAt { get; set; }
    public DateTime? LastAttemptAt { get; set; }
    public DateTime? DeliveredAt { get; set; }
    public int? LastStatusCode { get; set; }
    /// <summary>Plain text, truncated: the transport error or the start of the receiver's answer. Never rendered as markup.</summary>
    public string? LastError { get; set; }

    public static string Queue(Guid webhookId, TimelineEntry entry) => $"{webhookId:N}/{entry.Source}/{entry.SubjectType}/{entry.SubjectId}";
}

public static class WebhookEvents
{
    public const string TimelineEntry = "timeline.entry";
    public const string Test = "test";
}
