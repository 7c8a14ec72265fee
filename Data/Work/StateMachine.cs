using Dashboard.Data.Changes;

namespace Dashboard.Data.Work;

/// <summary>An aggregate whose state moves only through a <see cref="StateMachine"/> (batches, rollouts, deployments).</summary>
public interface IStateful
{
    string Id { get; }
    string State { get; set; }
    DateTime UpdatedAt { get; set; }
    /// <summary>Optimistic concurrency token: every move bumps it.</summary>
    long Version { get; set; }
}

/// <summary>
/// The legal moves of one aggregate, as a table, and what each state means elsewhere: its timeline
/// status, and for the change event whether the deployment has not started yet (waiting), is under
/// way (running) or has ended (with a change outcome). Declared once per capability:
/// <code>
/// new StateMachine("batch")
///     .Waiting("queued", TimelineStatuses.Pending, "in_progress", "failed")
///     .Running("in_progress", TimelineStatuses.InProgress, "completed", "failed")
///     .Ended("completed", TimelineStatuses.Succeeded, ChangeStatuses.Success)
///     .Ended("failed", TimelineStatuses.Failed, ChangeStatuses.Failure);
/// </code>
/// </summary>
public sealed class StateMachine(string name)
{
    private readonly Dictionary<string, StateInfo> _states = [];

    public string Name { get; } = name;

    public IReadOnlyCollection<string> States => _states.Keys;

    /// <summary>A state before the deployment has started (queued, scheduled, pending).</summary>
    public StateMachine Waiting(string state, string timelineStatus, params string[] next) => Add(state, new(timelineStatus, Phase.Waiting, null, next));

    /// <summary>A state while the deployment is under way (in progress, paused).</summary>
    public StateMachine Running(string state, string timelineStatus, params string[] next) => Add(state, new(timelineStatus, Phase.Running, null, next));

    /// <summary>
    /// A final state; <paramref name="changeOutcome"/> is the change event's end status,
    /// <see cref="ChangeStatuses.Success"/> or <see cref="ChangeStatuses.Failure"/> (what BigPanda's end
    /// knows: a cancelled deployment ends its change as a failure, with the reason as its message).
    /// </summary>
    public StateMachine Ended(string state, string timelineStatus, string changeOutcome, params string[] next) =>
        changeOutcome is ChangeStatuses.Success or ChangeStatuses.Failure
            ? Add(state, new(timelineStatus, Phase.Ended, changeOutcome, next))
            : throw new ArgumentOutOfRangeException(nameof(changeOutcome), changeOutcome, "A change ends in success or failure.");

    public bool CanMove(string from, string to) => _states.TryGetValue(from, out var info) && info.Next.Contains(to) && _states.ContainsKey(to);

    public bool IsWaiting(string state) => Info(state).Phase == Phase.Waiting;

    public bool IsFinished(string state) => Info(state).Phase == Phase.Ended;

    public string TimelineStatusOf(string state) => Info(state).TimelineStatus;

    /// <summary>The change event's end status for a final state, null for any other.</summary>
    public string? ChangeOutcomeOf(string state) => Info(state).ChangeOutcome;

    /// <summary>Applies a legal move to <paramref name="aggregate"/>, or throws <see cref="ConflictException"/>.</summary>
    public void Apply(IStateful aggregate, string to, DateTime now)
    {
        if (!CanMove(aggregate.State, to)) throw new ConflictException($"{Capitalized} {aggregate.Id} is {aggregate.State}; it cannot become {to}.");
        aggregate.State = to;
        aggregate.UpdatedAt = now;
        aggregate.Version++;
    }

    private string Capitalized => Name.Length == 0 ? Name : char.ToUpperInvariant(Name[0]) + Name[1..];

    private StateMachine Add(string state, StateInfo info)
    {
        _states.Add(state, info);
        return this;
    }

    private StateInfo Info(string state) =>
        _states.TryGetValue(state, out var info) ? info : throw new ArgumentOutOfRangeException(nameof(state), state, $"{Name} has no state '{state}'.");

    private enum Phase { Waiting, Running, Ended }

    private sealed record StateInfo(string TimelineStatus, Phase Phase, string? ChangeOutcome, string[] Next);
}
