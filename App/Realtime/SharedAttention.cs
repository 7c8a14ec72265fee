using Dashboard.Data;
using Dashboard.Data.Attention;
using Dashboard.Data.Timeline;
using Dashboard.Data.Work;

namespace Dashboard.App.Realtime;

/// <summary>
/// The attention inbox, shared by every open page (the navigation badge is on all of them): one
/// <see cref="LiveFeed"/> listens to the timeline and to rollout and deployment progress, coalesces to at
/// most one re-query per <see cref="MinInterval"/>, and a ticker re-queries every
/// <see cref="AttentionSettings.RefreshSeconds"/> for items that appear with time alone (deadlines,
/// stalls, long changes). Circuits subscribe and get the new snapshot only when it differs; each then
/// renders through its own feed, so a slow screen never holds the others back. Singleton.
/// </summary>
public sealed class SharedAttention : IDisposable
{
    public static readonly TimeSpan MinInterval = TimeSpan.FromSeconds(1);

    private static readonly HashSet<string> Kinds = [SubjectKinds.Batch, SubjectKinds.Rollout, SubjectKinds.Deployment, SubjectKinds.Change];

    private readonly AttentionService _service;
    private readonly ILogger<SharedAttention> _logger;
    private readonly LiveFeed _feed;
    private readonly PageTicker _ticker;
    private readonly Lock _gate = new();
    private Action<AttentionSnapshot>[] _subscribers = [];
    private Task<AttentionSnapshot> _current;

    public SharedAttention(AttentionService service, TimelineNotifier timeline, ProgressNotifier progress, TimeProvider clock, ILogger<SharedAttention> logger)
    {
        _service = service;
        _logger = logger;
        _feed = new LiveFeed(OnChangedAsync, 1, clock, minInterval: MinInterval).Listen(timeline, e => Kinds.Contains(e.SubjectType));
        _feed.Own(progress.Subscribe(SubjectKinds.Rollout, null, _ => _feed.Signal(SubjectKinds.Rollout)));
        _feed.Own(progress.Subscribe(SubjectKinds.Deployment, null, _ => _feed.Signal(SubjectKinds.Deployment)));
        // Made for whichever circuit or request asks first, then serving every page: what it starts must
        // not run as that first caller's person, under its activity, for the life of the process.
        _ticker = Detached.Create(() => new PageTicker(service.Settings.Refresh, clock, () => { Refresh(); return Task.CompletedTask; }));
        _current = Detached.Run(() => LoadAsync());
        Detached.Create(_feed.Start);
    }

    /// <summary>The latest inbox (the first read waits for the first query).</summary>
    public Task<AttentionSnapshot> GetAsync() { lock (_gate) return _current; }

    /// <summary>Re-read soon: something changed that the timeline does not carry (an acknowledgement).</summary>
    public void Refresh() => _feed.Signal("refresh");

    /// <summary>Called with every new snapshot that differs from the last, on the reading thread: hand off only.</summary>
    public IDisposable Subscribe(Action<AttentionSnapshot> onChanged)
    {
        lock (_gate) _subscribers = [.. _subscribers, onChanged];
        return new Subscription(() => { lock (_gate) _subscribers = [.. _subscribers.Where(s => s != onChanged)]; });
    }

    private async Task<bool> OnChangedAsync(LiveBatch batch)
    {
        var previous = await GetAsync();
        var load = LoadAsync(previous);
        lock (_gate) _current = load;
        var next = await load;
        if (ReferenceEquals(next, previous)) return false;
        foreach (var subscriber in Volatile.Read(ref _subscribers))
        {
            try { subscriber(next); }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                _logger.LogWarning(ex, "An attention subscriber failed");
            }
        }
        return false;
    }

    /// <summary>A new snapshot, or <paramref name="previous"/> itself when nothing on it changed (or the read failed: keep what is shown).</summary>
    private async Task<AttentionSnapshot> LoadAsync(AttentionSnapshot? previous = null)
    {
        try
        {
            var next = await _service.ListAsync();
            return previous is not null && previous.Items.SequenceEqual(next.Items) ? previous : next;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            _logger.LogWarning(ex, "Reading the attention inbox failed; showing the last one");
            return previous ?? AttentionSnapshot.Empty;
        }
    }

    public void Dispose()
    {
        _ticker.Dispose();
        _feed.Dispose();
    }

    private sealed class Subscription(Action dispose) : IDisposable
    {
        private int _disposed;
        public void Dispose() { if (Interlocked.Exchange(ref _disposed, 1) == 0) dispose(); }
    }
}
