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
        var now = _clock.GetUtcNow();
        lock (_gate)
        {
            if (_snapshots.TryGetValue(window, out var cached) && !cached.Load.IsFaulted)
            {
                if (cached.Version == version) return cached.Load;
                // Newer changes exist. A load that started less than MaxAge ago may not contain them,
                // so answer with one more load at the end of its MaxAge, shared by every page asking
                // meanwhile: never a stale answer, still at most one query per MaxAge.
                var wait = cached.LoadedAt + MaxAge - now;
                if (wait > TimeSpan.Zero)
                {
                    var later = LoadAfterAsync(wait, window);
                    _snapshots[window] = new Snapshot(version, now + wait, later);
                    return later;
                }
            }
            var load = LoadAsync(window);
            _snapshots[window] = new Snapshot(version, now, load);
            return load;
        }
    }

    private async Task<IReadOnlyList<Change>> LoadAfterAsync(TimeSpan wait, TimeSpan window)
    {
        await Task.Delay(wait, _clock);
        return await LoadAsync(window);
    }

    private async Task<IReadOnlyList<Change>> LoadAsync(TimeSpan window) =>
        await _changes.LanesAsync(_clock.GetUtcNow().UtcDateTime - window);

    public void Dispose() => _subscription.Dispose();

    private sealed record Snapshot(long Version, DateTimeOffset LoadedAt, Task<IReadOnlyList<Change>> Load);
}
