using Dashboard.App.Auth;
using Dashboard.Data;
using Dashboard.Data.Auth;
using Dashboard.Data.Webhooks;

namespace Dashboard.App.Api;

/// <summary>
/// Outgoing webhooks, for administrators' tokens: <c>GET/POST /api/webhooks</c>,
/// <c>DELETE /api/webhooks/{id}</c>, the delivery log, a test event and a new secret. Secrets are returned once,
/// on create and on rotate.
/// </summary>
public static class WebhooksApi
{
    public sealed record WebhookDto(Guid Id, string Name, string Url, IReadOnlyList<string> Sources, IReadOnlyList<string> Statuses,
        IReadOnlyList<string> Components, DateTime CreatedAt, string? CreatedBy, int Pending, int Delivered, DateTime? LastDeliveredAt);

    public sealed record CreatedDto(Guid Id, string Name, string Url, IReadOnlyList<string> Sources, IReadOnlyList<string> Statuses,
        IReadOnlyList<string> Components, DateTime CreatedAt, string? CreatedBy, string Secret);

    /// <summary>The body of a rotation: the new secret, or none to have one generated.</summary>
    public sealed record RotateSecretRequest(string? Secret);

    public sealed record RotatedDto(Guid Id, string Name, string Secret);

    public sealed record DeliveryDto(Guid Id, string EventType, long? TimelineEntryId, string? Title, string State, int Attempts,
        DateTime CreatedAt, DateTime NextAttemptAt, DateTime? LastAttemptAt, DateTime? DeliveredAt, int? LastStatusCode, string? LastError);

    public static IEndpointRouteBuilder MapWebhooksApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/webhooks")
            .WithTags("Webhooks")
            .WithMetadata(JsonErrorFormat.Instance)
            .RequireAuthorization(AuthPolicies.Scope(ApiScopes.Admin));

        group.MapGet("/", async (WebhookService webhooks, CancellationToken ct) =>
            Results.Ok((await webhooks.ListAsync(ct)).Select(s => new WebhookDto(s.Webhook.Id, s.Webhook.Name, s.Webhook.Url,
                s.Webhook.Sources, s.Webhook.Statuses, s.Webhook.Components, s.Webhook.CreatedAt, s.Webhook.CreatedBy,
                s.Pending, s.Delivered, s.LastDeliveredAt))))
            .WithName("ListWebhooks");

        group.MapPost("/", async (WebhookRequest? request, WebhookService webhooks, HttpContext http, CancellationToken ct) =>
        {
            if (request is null) throw new ValidationException("body", "A JSON body is required.");
            var (w, secret) = await webhooks.CreateAsync(request, http.User.ActorName(), ct);
            return Results.Created($"/api/webhooks/{w.Id}",
                new CreatedDto(w.Id, w.Name, w.Url, w.Sources, w.Statuses, w.Components, w.CreatedAt, w.CreatedBy, secret));
        }).WithName("CreateWebhook");

        group.MapDelete("/{id:guid}", async (Guid id, WebhookService webhooks, CancellationToken ct) =>
        {
            await webhooks.DeleteAsync(id, ct);
            return Results.NoContent();
        }).WithName("DeleteWebhook");

        group.MapGet("/{id:guid}/deliveries", async (Guid id, int? limit, WebhookService webhooks, CancellationToken ct) =>
        {
            if (limit is < 1 or > 500) throw new ValidationException("limit", "limit must be between 1 and 500.");
            await webhooks.GetAsync(id, ct);
            var deliveries = await webhooks.DeliveriesAsync(id, limit ?? 50, ct);
            return Results.Ok(deliveries.Select(d => new DeliveryDto(d.Id, d.EventType, d.TimelineEntryId, d.TimelineEntry?.Title, d.State,
                d.Attempts, d.CreatedAt, d.NextAttemptAt, d.LastAttemptAt, d.DeliveredAt, d.LastStatusCode, d.LastError)));
        }).WithName("ListWebhookDeliveries");

        group.MapPost("/{id:guid}/test", async (Guid id, WebhookService webhooks, HttpContext http, CancellationToken ct) =>
        {
            var delivery = await webhooks.SendTestAsync(id, http.User.ActorName(), ct);
            return Results.Accepted($"/api/webhooks/{id}/deliveries", new { id = delivery.Id });
        }).WithName("TestWebhook");

        // The body is optional: an empty POST generates the new secret.
        group.MapPost("/{id:guid}/secret", async (Guid id, RotateSecretRequest? request, WebhookService webhooks, CancellationToken ct) =>
        {
            var (w, secret) = await webhooks.RotateSecretAsync(id, request?.Secret, ct);
            return Results.Ok(new RotatedDto(w.Id, w.Name, secret));
        }).WithName("RotateWebhookSecret");
        return app;
    }
}
