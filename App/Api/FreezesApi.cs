using System.Security.Claims;
using Dashboard.App.Auth;
using Dashboard.Data;
using Dashboard.Data.Auth;
using Dashboard.Data.Freezes;
using Dashboard.Data.Timeline;

namespace Dashboard.App.Api;

/// <summary>
/// Freeze windows: <c>GET /api/freezes</c> and <c>GET /api/freezes/outlook</c> (a token with <c>read</c>),
/// <c>POST /api/freezes</c>, <c>DELETE /api/freezes/{id}</c> and <c>GET /api/freezes/overrides</c> (<c>admin</c>).
/// </summary>
public static class FreezesApi
{
    public sealed record FreezeDto(Guid Id, string Name, string? Description, string Kind, DateTime? StartsAt, DateTime? EndsAt,
        string? TimeZone, string? StartDay, string? StartTime, string? EndDay, string? EndTime,
        IReadOnlyList<string> Projects, IReadOnlyList<string> Components, string Window, string Scope,
        DateTime CreatedAt, string? CreatedBy, bool Active, DateTime? ActiveUntil, DateTime? NextStart, DateTime? NextEnd);

    public sealed record OccurrenceDto(Guid Id, string Name, DateTime Start, DateTime End);

    public sealed record OutlookDto(bool Frozen, DateTime? Until, IReadOnlyList<OccurrenceDto> Active, IReadOnlyList<OccurrenceDto> Upcoming);

    public sealed record OverrideDto(long Id, Guid FreezeId, string FreezeName, string SubjectKind, string SubjectId, string Actor, string Reason, DateTime At);

    public static IEndpointRouteBuilder MapFreezesApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/freezes")
            .WithTags("Freezes")
            .WithMetadata(JsonErrorFormat.Instance);
        var read = AuthPolicies.Scope(ApiScopes.Read);
        var admin = AuthPolicies.Scope(ApiScopes.Admin);

        group.MapGet("/", async (FreezeService freezes, CancellationToken ct) =>
            Results.Ok((await freezes.ListAsync(ct)).Select(Dto))).RequireAuthorization(read).WithName("ListFreezes");

        group.MapGet("/{id:guid}", async (Guid id, FreezeService freezes, TimeProvider clock, CancellationToken ct) =>
        {
            var freeze = await freezes.GetAsync(id, ct);
            var now = clock.GetUtcNow().UtcDateTime;
            return Results.Ok(Dto(new FreezeSummary(freeze, FreezeCalendar.ActiveAt(freeze, now), FreezeCalendar.Next(freeze, now, now + FreezeService.Horizon))));
        }).RequireAuthorization(read).WithName("GetFreeze");

        group.MapGet("/outlook", async (string? kind, string? project, string? component, FreezeService freezes, CancellationToken ct) =>
        {
            var subject = kind?.Trim().ToLowerInvariant();
            if (subject is not (SubjectKinds.Batch or SubjectKinds.Rollout or SubjectKinds.Deployment))
                throw new ValidationException("kind", "kind is one of batch, rollout, deployment.");
            if (string.IsNullOrWhiteSpace(component)) throw new ValidationException("component", "component is required (provisioning for batches, the artifact name, the job id).");
            var outlook = await freezes.OutlookAsync(new FreezeTarget(subject, string.IsNullOrWhiteSpace(project) ? null : project.Trim(), component.Trim()), ct);
            return Results.Ok(new OutlookDto(outlook.Frozen, outlook.Until, [.. outlook.Active.Select(Occurrence)], [.. outlook.Upcoming.Select(Occurrence)]));
        }).RequireAuthorization(read).WithName("FreezeOutlook");

        group.MapPost("/", async (FreezeRequest? request, FreezeService freezes, HttpContext http, TimeProvider clock, CancellationToken ct) =>
        {
            if (request is null) throw new ValidationException("body", "A JSON body is required.");
            var freeze = await freezes.CreateAsync(request, http.User.ActorName(), ct);
            var now = clock.GetUtcNow().UtcDateTime;
            return Results.Created($"/api/freezes/{freeze.Id}", Dto(new FreezeSummary(freeze, FreezeCalendar.ActiveAt(freeze, now), FreezeCalendar.Next(freeze, now, now + FreezeService.Horizon))));
        }).RequireAuthorization(admin).WithName("CreateFreeze");

        group.MapDelete("/{id:guid}", async (Guid id, FreezeService freezes, HttpContext http, CancellationToken ct) =>
        {
            await freezes.DeleteAsync(id, http.User.ActorName(), ct);
            return Results.NoContent();
        }).RequireAuthorization(admin).WithName("DeleteFreeze");

        group.MapGet("/overrides", async (int? limit, FreezeService freezes, CancellationToken ct) =>
        {
            if (limit is < 1 or > 500) throw new ValidationException("limit", "limit must be between 1 and 500.");
            return Results.Ok((await freezes.OverridesAsync(limit ?? 50, ct))
                .Select(o => new OverrideDto(o.Id, o.FreezeId, o.FreezeName, o.SubjectKind, o.SubjectId, o.Actor, o.Reason, o.At)));
        }).RequireAuthorization(admin).WithName("ListFreezeOverrides");
        return app;
    }

    /// <summary>
    /// The override a compatible API's caller asked for with <see cref="FreezeOverrideRequest.Header"/>:
    /// null without the header; honoured by the service only when the token holds <c>admin</c>.
    /// </summary>
    public static FreezeOverrideRequest? FreezeOverride(this HttpContext http)
    {
        var reason = http.Request.Headers[FreezeOverrideRequest.Header].ToString().Trim();
        if (reason.Length == 0) return null;
        return new FreezeOverrideRequest(reason, http.User.ActorName(), IsAdmin(http.User));
    }

    private static bool IsAdmin(ClaimsPrincipal user) =>
        user.IsInRole(Roles.Admin) || user.FindAll(AuthExtensions.ScopeClaim).Any(c => c.Value == ApiScopes.Admin);

    private static OccurrenceDto Occurrence(FreezeOccurrence o) => new(o.Freeze.Id, o.Freeze.Name, o.Window.Start, o.Window.End);

    private static FreezeDto Dto(FreezeSummary s)
    {
        var f = s.Freeze;
        return new FreezeDto(f.Id, f.Name, f.Description, f.Kind, f.StartsAt, f.EndsAt, f.TimeZone,
            f.StartDay?.ToString().ToLowerInvariant(), f.StartTime?.ToString("HH:mm"), f.EndDay?.ToString().ToLowerInvariant(), f.EndTime?.ToString("HH:mm"),
            f.Projects, f.Components, FreezeValidator.Describe(f), FreezeValidator.Scope(f), f.CreatedAt, f.CreatedBy,
            s.Active is not null, s.Active?.End, s.Next?.Start, s.Next?.End);
    }
}
