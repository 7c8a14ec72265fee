using Dashboard.Data.Auth;
using Dashboard.Data.Rollouts;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace Dashboard.Data.Audit;

/// <summary>
/// Writes the audit log. In a service command it is one line before the action's save:
/// <code>audit.Add(db, AuditActions.DeploymentPause, AuditTargets.Deployment, id, detail);</code>
/// The entry is added to the caller's context, so it commits or rolls back with the action. The actor
/// comes from <see cref="IActorContext"/>, and a person without the role the action needs is refused
/// here (<see cref="ForbiddenException"/>), whichever page or endpoint called.
/// For refusals, a command also names what it attempts first (<see cref="Attempt"/>); when a refusal is then
/// thrown (caught by a page or not), the web layer's <see cref="FinishAsync"/> writes the refused entry on
/// its own, after the action's transaction is gone. See docs/decisions/0013-audit-log.md.
/// </summary>
public sealed partial class AuditLog(IActorContext actors, IDbContextFactory<DashboardDbContext> dbFactory, TimeProvider clock, ILogger<AuditLog> logger)
{
    public const int MaxDetail = 2000;

    /// <summary>The actor of the current operation.</summary>
    public Actor Actor => actors.Current;

    /// <summary>
    /// Declares what the current operation attempts, and refuses a person whose role is not enough.
    /// Call it at the top of a command, before validation, so a refusal names the action.
    /// </summary>
    public void Attempt(string action, string targetKind, string? targetId)
    {
        var operation = actors.Operation;
        if (operation is not null)
        {
            operation.Attempted = (action, targetKind, targetId);
            operation.Refusal = null;
        }
        Authorize(actors.Current, action);
    }

    /// <summary>Adds a succeeded entry for the current actor (or <paramref name="actor"/>) to <paramref name="db"/>, in the caller's transaction.</summary>
    public AuditEntry Add(DashboardDbContext db, string action, string targetKind, string? targetId, string? detail = null, Actor? actor = null)
    {
        actor ??= actors.Current;
        Authorize(actor, action);
        // A refusal noted before this point was recovered from (a retried write); one after it rolls this entry back.
        if (actors.Operation is { } operation) operation.Refusal = null;
        var entry = Entry(actor, action, targetKind, targetId, AuditOutcomes.Succeeded, detail);
        db.AuditEntries.Add(entry);
        return entry;
    }

    /// <summary>Writes an entry on its own (a refused sign-in, a refusal after the action rolled back).</summary>
    public async Task RecordAsync(string action, string targetKind, string? targetId, string outcome, string? detail, Actor? actor = null, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        db.AuditEntries.Add(Entry(actor ?? actors.Current, action, targetKind, targetId, outcome, detail));
        await db.SaveChangesAsync(ct);
    }

    /// <summary>
    /// Ends the current operation for the audit log: when it attempted an action that did not go through
    /// (<paramref name="escaped"/>, or a refusal thrown and caught on the way), writes the refused or failed entry.
    /// The web layer calls it after each request and each circuit event.
    /// </summary>
    public Task<bool> FinishAsync(Exception? escaped = null)
    {
        var reason = escaped ?? actors.Operation?.Refusal;
        return reason is null ? Task.FromResult(false) : RefusedAsync(reason);
    }

    /// <summary>
    /// The current operation's attempted action ended in <paramref name="reason"/>: writes it as refused
    /// (the domain's refusals) or failed (anything unexpected). Does nothing when nothing was attempted,
    /// and records an attempt once however many layers report it. Never throws: the caller is
    /// already answering the original failure.
    /// </summary>
    public async Task<bool> RefusedAsync(Exception reason, CancellationToken ct = default)
    {
        var operation = actors.Operation;
        if (operation?.Attempted is not { } attempted) return false;
        operation.Attempted = null;
        operation.Refusal = null;
        try
        {
            await RecordAsync(attempted.Action, attempted.TargetKind, attempted.TargetId,
                IsRefusal(reason) ? AuditOutcomes.Refused : AuditOutcomes.Failed, reason.Message, operation.Actor, ct);
            return true;
        }
        catch (Exception e) when (e is DbUpdateException or InvalidOperationException or OperationCanceledException)
        {
            LogNotRecorded(e, attempted.Action, attempted.TargetId);
            return false;
        }
    }

    /// <summary>The domain's refusals: the caller asked for something the rules or the state do not allow.</summary>
    public static bool IsRefusal(Exception e) =>
        e is ValidationException or ConflictException or NotFoundException or ForbiddenException or UnprocessableException or DbUpdateConcurrencyException
            or Freezes.FrozenException or TooManyAttemptsException;

    private static void Authorize(Actor actor, string action)
    {
        if (!actor.IsPerson || AuditActions.RequiredRole(action) is not { } required || Roles.Satisfies(actor.Role, required)) return;
        throw new ForbiddenException($"{actor.Name} is {(actor.Role is null ? "without a role" : "a " + actor.Role)}; {action} needs the {required} role.");
    }

    private AuditEntry Entry(Actor actor, string action, string targetKind, string? targetId, string outcome, string? detail) => new()
    {
        At = clock.GetUtcNow().UtcDateTime,
        Actor = Truncate(actor.Name, 200)!,
        ActorKind = actor.Kind,
        TokenId = actor.TokenId,
        SessionId = actor.SessionId,
        RemoteAddress = actor.RemoteAddress,
        Action = action,
        TargetKind = targetKind,
        TargetId = Truncate(targetId, 200),
        Outcome = outcome,
        Detail = Truncate(detail, MaxDetail),
    };

    private static string? Truncate(string? value, int max) => value is null || value.Length <= max ? value : value[..(max - 1)] + "…";

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not record the refusal of {Action} on {TargetId} in the audit log")]
    private partial void LogNotRecorded(Exception exception, string action, string? targetId);
}
