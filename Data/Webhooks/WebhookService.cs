using Dashboard.Data.Audit;
using System.Security.Cryptography;
using System.Text.Json;
using Dashboard.Data.Timeline;
using Dashboard.Data.Work;
using Microsoft.EntityFrameworkCore;

namespace Dashboard.Data.Webhooks;

/// <summary>What an administrator asks for: the API's body and the page's form.</summary>
public sealed record WebhookRequest(
    string? Name, string? Url, string? Secret = null,
    IReadOnlyList<string>? Sources = null, IReadOnlyList<string>? Statuses = null, IReadOnlyList<string>? Components = null);

/// <summary>A webhook and its new secret (after create or rotate), shown this once.</summary>
public sealed record WebhookWithNewSecret(Webhook Webhook, string Secret);

/// <summary>A webhook with the state of its deliveries, for the list.</summary>
public sealed record WebhookSummary(Webhook Webhook, int Pending, int Delivered, DateTime? LastDeliveredAt);

/// <summary>The rules for a webhook, shared by the API and the page.</summary>
public static class WebhookValidator
{
    public const int MaxComponents = 50;

    public static Webhook Validate(WebhookRequest request, out string secret)
    {
        var name = request.Name?.Trim();
        if (string.IsNullOrEmpty(name)) throw new ValidationException("name", "A name is required.");
        if (name.Length > 100) throw new ValidationException("name", "The name is at most 100 characters.");

        var url = request.Url?.Trim();
        if (string.IsNullOrEmpty(url)) throw new ValidationException("url", "A URL is required.");
        if (url.Length > 2000) throw new ValidationException("url", "The URL is at most 2000 characters.");
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
            throw new ValidationException("url", "The URL must be an absolute http:// or https:// address.");
        if (string.IsNullOrEmpty(uri.Host)) throw new ValidationException("url", "The URL must name a host.");
        if (uri.UserInfo.Length > 0) throw new ValidationException("url", "The URL must not carry a user name or password.");
        if (uri.Fragment.Length > 0) throw new ValidationException("url", "The URL must not have a #fragment.");

        secret = Secret(request.Secret);

        var sources = Distinct(request.Sources);
        if (sources.FirstOrDefault(s => !TimelineSources.All.Contains(s)) is { } source)
            throw new ValidationException("sources", $"Unknown source '{source}'; one of {string.Join(", ", TimelineSources.All)}.");
        var statuses = Distinct(request.Statuses);
        if (statuses.FirstOrDefault(s => !TimelineStatuses.All.Contains(s)) is { } status)
            throw new ValidationException("statuses", $"Unknown status '{status}'; one of {string.Join(", ", TimelineStatuses.All)}.");
        var components = Distinct(request.Components);
        if (components.Count > MaxComponents) throw new ValidationException("components", $"At most {MaxComponents} components.");
        if (components.Any(c => c.Length > 200)) throw new ValidationException("components", "A component name is at most 200 characters.");

        return new Webhook
        {
            Name = name, Url = uri.AbsoluteUri, Secret = secret,
            Sources = sources, Statuses = statuses, Components = components,
        };
    }

    /// <summary>The secret given (16 to 200 characters), or a generated one when none is.</summary>
    public static string Secret(string? given)
    {
        var secret = given?.Trim() ?? "";
        if (secret.Length == 0) return Generate();
        if (secret.Length is < 16 or > 200) throw new ValidationException("secret", "The secret is 16 to 200 characters (or leave it empty to generate one).");
        return secret;
    }

    private static List<string> Distinct(IReadOnlyList<string>? values) =>
        values is null ? [] : [.. values.Select(v => v?.Trim() ?? "").Where(v => v.Length > 0).Distinct(StringComparer.Ordinal)];

    private static string Generate() => "whsec_" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}

/// <summary>Register, list and remove webhooks, read their delivery log, send a test event.</summary>
public sealed class WebhookService(IDbContextFactory<DashboardDbContext> dbFactory, WebhookOutbox outbox, IWorkScheduler scheduler, TimeProvider clock, AuditLog audit,
    WebhookAddresses addresses, WebhookSecrets secrets)
{
    public async Task<WebhookWithNewSecret> CreateAsync(WebhookRequest request, string? actor, CancellationToken ct = default)
    {
        audit.Attempt(AuditActions.WebhookCreate, AuditTargets.Webhook, request.Name);
        var webhook = WebhookValidator.Validate(request, out var secret);
        await addresses.CheckAsync(new Uri(webhook.Url), ct);
        webhook.Id = Guid.CreateVersion7();
        webhook.CreatedAt = clock.GetUtcNow().UtcDateTime;
        webhook.CreatedBy = actor;
        webhook.Secret = secrets.Encrypt(secret);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        if (await db.Webhooks.AnyAsync(w => w.Name == webhook.Name, ct))
            throw new ValidationException("name", $"A webhook named '{webhook.Name}' already exists.");
        db.Webhooks.Add(webhook);
        audit.Add(db, AuditActions.WebhookCreate, AuditTargets.Webhook, webhook.Id.ToString(), $"{webhook.Name} → {webhook.Url}");
        await db.SaveChangesAsync(ct);
        outbox.Invalidate();
        return new WebhookWithNewSecret(webhook, secret);
    }

    public async Task<IReadOnlyList<WebhookSummary>> ListAsync(CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var webhooks = await db.Webhooks.AsNoTracking().OrderBy(w => w.Name).ToListAsync(ct);
        var counts = await db.WebhookDeliveries
            .GroupBy(d => new { d.WebhookId, d.State })
            .Select(g => new { g.Key.WebhookId, g.Key.State, Count = g.Count(), Last = g.Max(d => d.DeliveredAt) })
            .ToListAsync(ct);
        return [.. webhooks.Select(w => new WebhookSummary(w,
            counts.Where(c => c.WebhookId == w.Id && c.State == WebhookDeliveryStates.Pending).Sum(c => c.Count),
            counts.Where(c => c.WebhookId == w.Id && c.State == WebhookDeliveryStates.Delivered).Sum(c => c.Count),
            counts.Where(c => c.WebhookId == w.Id).Max(c => c.Last)))];
    }

    public async Task<Webhook> GetAsync(Guid id, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.Webhooks.AsNoTracking().FirstOrDefaultAsync(w => w.Id == id, ct) ?? throw new NotFoundException("Webhook", id.ToString());
    }

    /// <summary>Removes the webhook and its delivery log; what was not delivered yet is not sent.</summary>
    public async Task DeleteAsync(Guid id, CancellationToken ct = default)
    {
        audit.Attempt(AuditActions.WebhookDelete, AuditTargets.Webhook, id.ToString());
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var name = await db.Webhooks.Where(w => w.Id == id).Select(w => w.Name).FirstOrDefaultAsync(ct);
        if (await db.Webhooks.Where(w => w.Id == id).ExecuteDeleteAsync(ct) == 0) throw new NotFoundException("Webhook", id.ToString());
        await db.WebhookDeliveries.Where(d => d.WebhookId == id).ExecuteDeleteAsync(ct);
        audit.Add(db, AuditActions.WebhookDelete, AuditTargets.Webhook, id.ToString(), $"{name} deleted with its delivery log.");
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        outbox.Invalidate();
    }

    /// <summary>
    /// Replaces the signing secret (the one given, or a generated one) and retries the webhook's pending
    /// deliveries now, signed with it: the way out when the old one leaked or can no longer be decrypted.
    /// </summary>
    public async Task<WebhookWithNewSecret> RotateSecretAsync(Guid id, string? secret, CancellationToken ct = default)
    {
        audit.Attempt(AuditActions.WebhookRotateSecret, AuditTargets.Webhook, id.ToString());
        var plain = WebhookValidator.Secret(secret);
        var stored = secrets.Encrypt(plain);
        var now = clock.GetUtcNow().UtcDateTime;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var webhook = await db.Webhooks.FirstOrDefaultAsync(w => w.Id == id, ct) ?? throw new NotFoundException("Webhook", id.ToString());
        webhook.Secret = stored;
        var pending = db.WebhookDeliveries.Where(d => d.WebhookId == id && d.State == WebhookDeliveryStates.Pending);
        var queues = await pending.Select(d => d.QueueKey).Distinct().ToListAsync(ct);
        await pending.Where(d => d.NextAttemptAt > now).ExecuteUpdateAsync(s => s.SetProperty(d => d.NextAttemptAt, now), ct);
        audit.Add(db, AuditActions.WebhookRotateSecret, AuditTargets.Webhook, id.ToString(),
            $"New signing secret for {webhook.Name}; {queues.Count} pending queue(s) retried.");
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        foreach (var queue in queues) scheduler.Enqueue(WebhookRunner.Work(queue));
        return new WebhookWithNewSecret(webhook, plain);
    }

    /// <summary>The newest deliveries of one webhook, newest first, with their entries.</summary>
    public async Task<IReadOnlyList<WebhookDelivery>> DeliveriesAsync(Guid webhookId, int limit = 50, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.WebhookDeliveries.AsNoTracking().Include(d => d.TimelineEntry)
            .Where(d => d.WebhookId == webhookId)
            .OrderByDescending(d => d.CreatedAt).ThenByDescending(d => d.Id)
            .Take(limit).ToListAsync(ct);
    }

    /// <summary>Queues a test event for this webhook only, delivered (and retried) like any other.</summary>
    public async Task<WebhookDelivery> SendTestAsync(Guid webhookId, string? actor, CancellationToken ct = default)
    {
        audit.Attempt(AuditActions.WebhookTest, AuditTargets.Webhook, webhookId.ToString());
        var webhook = await GetAsync(webhookId, ct);
        var now = clock.GetUtcNow().UtcDateTime;
        var id = Guid.CreateVersion7();
        var delivery = new WebhookDelivery
        {
            Id = id,
            WebhookId = webhook.Id,
            QueueKey = $"{webhook.Id:N}/test/{id:N}",
            EventType = WebhookEvents.Test,
            Payload = JsonSerializer.Serialize(new { @event = WebhookEvents.Test, webhook = webhook.Name, actor, occurredAt = now }, JsonSerializerOptions.Web),
            CreatedAt = now,
            NextAttemptAt = now,
        };
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        db.WebhookDeliveries.Add(delivery);
        audit.Add(db, AuditActions.WebhookTest, AuditTargets.Webhook, webhookId.ToString(), $"Test event queued for {webhook.Name}.");
        await db.SaveChangesAsync(ct);
        scheduler.Enqueue(WebhookRunner.Work(delivery.QueueKey));
        return delivery;
    }
}
