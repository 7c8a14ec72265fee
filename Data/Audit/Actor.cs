using Dashboard.Data.Auth;

namespace Dashboard.Data.Audit;

/// <summary>Who is acting right now, as the audit log records it.</summary>
/// <param name="Role">A person's role (<see cref="Roles"/>); null for tokens, devices and the system.</param>
public sealed record Actor(string Name, string Kind, string? Role = null, int? TokenId = null, string? SessionId = null, string? RemoteAddress = null)
{
    /// <summary>Jobs, start-up and anything else no person or token asked for.</summary>
    public static readonly Actor System = new("system", ActorKinds.System);

    public bool IsPerson => Kind == ActorKinds.Person;
}

/// <summary>
/// The actor of the current operation (an HTTP request, or one event of a Blazor circuit). Services are
/// singletons, so this is ambient: the web layer opens an operation with <see cref="AmbientActorContext.Begin"/>,
/// and every service called from it (on any thread of that async flow) sees the same actor.
/// Outside any operation (Hangfire jobs, start-up) the actor is <see cref="Actor.System"/>.
/// </summary>
public interface IActorContext
{
    Actor Current { get; }

    /// <summary>The operation in progress, if any: what it attempts, for refusals (see <see cref="AuditLog.Attempt"/>).</summary>
    AuditOperation? Operation { get; }
}

/// <summary>One operation's actor and what it attempted, so a refusal can be recorded after the action's transaction rolled back.</summary>
public sealed class AuditOperation(Actor actor)
{
    public Actor Actor { get; } = actor;

    internal (string Action, string TargetKind, string? TargetId)? Attempted { get; set; }

    /// <summary>The last refusal thrown in this operation since its attempt or its last audit entry (see <see cref="AmbientActorContext"/>).</summary>
    internal Exception? Refusal { get; set; }
}

/// <summary>
/// The <see cref="IActorContext"/> kept in an <see cref="AsyncLocal{T}"/>. It also notes each refusal
/// (<see cref="AuditLog.IsRefusal"/>) thrown inside an operation that attempted an action, when it is thrown:
/// pages and endpoints catch refusals to show them (a snackbar, a field error, an API's error body), and the
/// audit log must not depend on every one of those catch blocks remembering to report it.
/// <see cref="AuditLog.FinishAsync"/> writes it when the operation ends.
/// </summary>
public sealed class AmbientActorContext : IActorContext
{
    private static readonly AsyncLocal<AuditOperation?> CurrentOperation = new();

    static AmbientActorContext() => AppDomain.CurrentDomain.FirstChanceException += (_, e) =>
    {
        // Runs for every exception in the process: one AsyncLocal read when no action is attempted.
        if (CurrentOperation.Value is { Attempted: not null } operation && AuditLog.IsRefusal(e.Exception)) operation.Refusal = e.Exception;
    };

    public Actor Current => CurrentOperation.Value?.Actor ?? Actor.System;

    public AuditOperation? Operation => CurrentOperation.Value;

    /// <summary>Runs the rest of this async flow as <paramref name="actor"/>; dispose to go back to what was before.</summary>
    public static IDisposable Begin(Actor actor)
    {
        var previous = CurrentOperation.Value;
        CurrentOperation.Value = new AuditOperation(actor);
        return new Restore(previous);
    }

    private sealed class Restore(AuditOperation? previous) : IDisposable
    {
        public void Dispose() => CurrentOperation.Value = previous;
    }
}
