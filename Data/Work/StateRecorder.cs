using Dashboard.Data.Changes;
using Dashboard.Data.Timeline;

namespace Dashboard.Data.Work;

/// <summary>
/// How an aggregate appears on the timeline and, when it is a deployment, on the Changes view.
/// <see cref="Change"/> null means its moves record timeline entries only.
/// </summary>
public sealed record RecordedSubject(
    string Kind,
    string Id,
    string Source,
    string? Component = null,
    IReadOnlyList<string>? Hosts = null,
    string? Actor = null,
    ChangeSubject? Change = null);

/// <summary>
/// The change event a deployment records: BigPanda's component, version and hosts (at least one:
/// a change is about hosts), plus a description and its owner.
/// </summary>
public sealed record ChangeSubject(string Component, string Version, IReadOnlyList<string> Hosts, string? Description, string? Owner);

/// <summary>
/// The one bridge from a state move to what others see of it: applies the move through the
/// aggregate's <see cref="StateMachine"/> (illegal moves throw <see cref="ConflictException"/>,
/// legal ones bump the version), adds the timeline entry, and records the change event: started when
/// the aggregate leaves its waiting states, ended when it reaches a final one (both at once when it
/// ends straight from waiting). Everything is added to the caller's context, so it commits or rolls
/// back with the caller's own transaction, and nothing is published before commit.
/// </summary>
public sealed class StateRecorder(ChangeService changes, TimeProvider clock)
{
    /// <summary>Hosts beyond this many are left off a timeline entry (the change event keeps them all).</summary>
    public const int TimelineHosts = 50;

    /// <summary>Records the first timeline entry of a new aggregate (the caller adds the aggregate itself).</summary>
    public void Created(DashboardDbContext db, IStateful aggregate, StateMachine machine, RecordedSubject subject, string title, string? details = null) =>
        Note(db, subject, machine.TimelineStatusOf(aggregate.State), title, details);

    public async Task MoveAsync(DashboardDbContext db, IStateful aggregate, StateMachine machine, RecordedSubject subject, string to, string title,
        string? details = null, CancellationToken ct = default)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var from = aggregate.State;
        machine.Apply(aggregate, to, now);
        Note(db, subject, machine.TimelineStatusOf(to), title, details, at: now);
        if (subject.Change is not { } change) return;

        if (machine.IsWaiting(from) && !machine.IsWaiting(to))
        {
            await changes.RecordStartAsync(db, new DeploymentStart(change.Component, change.Version, change.Hosts, now,
                change.Description, change.Owner, subject.Source), ct);
        }
        if (machine.ChangeOutcomeOf(to) is { } outcome)
        {
            var error = outcome == ChangeStatuses.Success ? null : Truncate(details ?? title, ChangeRules.MaxTextLength);
            await changes.RecordEndAsync(db, new DeploymentEnd(change.Component, change.Version, change.Hosts, outcome, error, now, subject.Source), ct);
        }
    }

    /// <summary>A timeline entry without a state move (deleted, progress worth a line, an operator's note).</summary>
    public void Note(DashboardDbContext db, RecordedSubject subject, string status, string title, string? details = null, string? actor = null, DateTime? at = null) =>
        db.Timeline.Add(new TimelineEntry
        {
            Source = subject.Source,
            SubjectType = subject.Kind,
            SubjectId = subject.Id,
            Status = status,
            Title = title,
            Component = subject.Component,
            Hosts = [.. (subject.Hosts ?? []).Take(TimelineHosts)],
            Actor = actor ?? subject.Actor,
            OccurredAt = at ?? clock.GetUtcNow().UtcDateTime,
            Details = details,
        });

    private static string Truncate(string text, int max) => text.Length <= max ? text : text[..(max - 1)] + "…";
}
