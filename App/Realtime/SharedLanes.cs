using Dashboard.Data.Changes;
using Dashboard.Data.Timeline;

namespace Dashboard.App.Realtime;

/// <summary>
/// The changes behind the lane picture, shared by every open page: one query per window length at
/// most once per <see cref="MaxAge"/> while changes keep arriving, and one list in memory that all
/// circuits point at instead of a copy each. Singleton; the lists it hands out are never modified.
/// </summary>
public sealed class SharedLanes : IDisposable
{
    public static readonly TimeSpan MaxAge = TimeSpan.FromSeconds(1);

    private readonly ChangeService _changes;
    private readonly TimeProvider _clock;
    private readonly IDisposable _subscription;
    private readonly Lock _gate = new();
    private readonly Dictionary<TimeSpan, Snapshot> _snapshots = [];
    private long _version;

    public SharedLanes(ChangeService changes, TimelineNotifier notifier, TimeProvider clock)
    {
        _changes = changes;
        _clock = clock;
        _subscription = notifier.Subscribe(entries =>
        {
            if (entries.Any(e => e.SubjectType == SubjectKinds.Change)) Interlocked.Increment(ref _version);
        });
    }

    /// <summary>Changes started in the last <paramref name="window"/> (and any still running), newest first.</summary>
    public Task<IReadOnlyList<Change>> GetAsync(TimeSpan window)
    {
        var version = Interlocked.Read(ref _version);
        lock (_gate)
        {
            if (_snapshots.TryGetValue(window, out var cached) &&
                (cached.Version == version || _clock.GetElapsedTime(cached.LoadedAt) < MaxAge) &&
                !cached.Load.IsFaulted)
            {
                return cached.Load;
            }
            var load = LoadAsync(window);
            _snapshots[window] = new Snapshot(version, _clock.GetTimestamp(), load);
            return load;
        }
    }

    private async Task<IReadOnlyList<Change>> LoadAsync(TimeSpan window) =>
        await _changes.LanesAsync(_clock.GetUtcNow().UtcDateTime - window);

    public void Dispose() => _subscription.Dispose();

    private sealed record Snapshot(long Version, long LoadedAt, Task<IReadOnlyList<Change>> Load);
}
