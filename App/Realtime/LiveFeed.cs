using Dashboard.Data.Timeline;
using Dashboard.Data.Work;

namespace Dashboard.App.Realtime;

/// <summary>
/// What a live page is handed in one delivery: the matching entries that arrived since the last
/// delivery (oldest first, at most the feed's capacity), how many older ones were folded away
/// because more than that arrived, and the keys that were signalled (progress of a subject).
/// </summary>
public sealed record LiveBatch(IReadOnlyList<TimelineEntry> Entries, int Folded, IReadOnlySet<string> Keys)
{
    /// <summary>Entries delivered plus those folded: everything that matched since the last delivery.</summary>
    public int Arrived => Entries.Count + Folded;
}

/// <summary>
/// The one subscription every live page uses (see docs/ARCHITECTURE.md, "Live pages").
/// <list type="bullet">
/// <item>Coalescing: entries and keys that arrive while a delivery is due are handed over together.</item>
/// <item>Backpressure: the next delivery waits until the page's previous render was applied by the
/// browser (<see cref="Acknowledge"/>, called by <c>LiveIndicator</c> after the render), so a slow
/// circuit gets fewer, larger deliveries instead of a growing queue of render batches.</item>
/// <item>Bounded: at most <c>capacity</c> entries wait per page (the number of rows it shows); older
/// ones are counted in <see cref="LiveBatch.Folded"/>, never silently dropped and never kept.</item>
/// </list>
/// Sources (the timeline notifier, progress notifiers) call in on their own threads and only hand off.
/// </summary>
public sealed class LiveFeed : IDisposable
{
    /// <summary>The shortest gap between two deliveries: a page repaints at most 20 times a second.</summary>
    public static readonly TimeSpan DefaultMinInterval = TimeSpan.FromMilliseconds(50);

    /// <summary>An acknowledgement that takes longer than this marks the page as catching up.</summary>
    public static readonly TimeSpan SlowAck = TimeSpan.FromSeconds(1);

    /// <summary>
    /// A page that said it would render but whose render never came back (it decided not to render,
    /// or its circuit is gone) is not waited for longer than this; Blazor's own bounded render-batch
    /// buffer (<c>MaxBufferedUnacknowledgedRenderBatches</c>) still holds back a disconnected one.
    /// </summary>
    public static readonly TimeSpan AckTimeout = TimeSpan.FromSeconds(10);

    private static readonly IReadOnlySet<string> NoKeys = new HashSet<string>();

    private readonly Func<LiveBatch, Task<bool>> _deliver;
    private readonly Func<Exception, Task>? _onError;
    private readonly int _capacity;
    private readonly TimeProvider _clock;
    private readonly TimeSpan _minInterval;
    private readonly Lock _gate = new();
    private readonly List<IDisposable> _sources = [];
    private readonly Queue<TimelineEntry> _pending = new();
    private HashSet<string>? _keys;
    private int _folded;
    private TaskCompletionSource? _wake;
    private TaskCompletionSource? _ack;
    private int _sequence;
    private bool _started;
    private bool _disposed;

    /// <param name="deliver">Applies a batch to the page (marshalling with <c>InvokeAsync</c>) and returns
    /// true when it asked for a render, whose acknowledgement the next delivery then waits for.</param>
    /// <param name="capacity">Entries kept while waiting: the number of rows the page shows.</param>
    /// <param name="onError">Where an exception from <paramref name="deliver"/> goes (a component's
    /// <c>DispatchExceptionAsync</c>, so the page's error boundary shows it); the feed keeps running.</param>
    public LiveFeed(Func<LiveBatch, Task<bool>> deliver, int capacity, TimeProvider clock, Func<Exception, Task>? onError = null, TimeSpan? minInterval = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _deliver = deliver;
        _onError = onError;
        _capacity = capacity;
        _clock = clock;
        _minInterval = minInterval ?? DefaultMinInterval;
    }

    /// <summary>Deliveries made so far; the page passes it to <c>LiveIndicator</c>, which acknowledges it after rendering.</summary>
    public int Sequence => Volatile.Read(ref _sequence);

    /// <summary>True while the page is behind: its last render took long to come back (or never did).</summary>
    public bool CatchingUp { get; private set; }

    /// <summary>Raised (on a pool thread) when <see cref="CatchingUp"/> turns false with nothing left to deliver,
    /// so the indicator can say "live" again without waiting for the next event.</summary>
    public event Action? CaughtUp;

    /// <summary>Committed timeline entries that match <paramref name="filter"/> (tested on the publishing thread).</summary>
    public LiveFeed Listen(TimelineNotifier notifier, Func<TimelineEntry, bool>? filter = null)
    {
        var subscription = notifier.Subscribe(entries => Add(filter is null ? entries : entries.Where(filter)));
        lock (_gate) _sources.Add(subscription);
        return this;
    }

    /// <summary>Progress of subjects of <paramref name="kind"/> (one subject, or all with a null id), delivered as keys "kind:id".</summary>
    public LiveFeed Listen(ProgressNotifier notifier, string kind, string? subjectId = null) =>
        Own(notifier.Subscribe(kind, subjectId, signal => Signal(KeyOf(signal.Kind, signal.SubjectId))));

    /// <summary>The key <see cref="Listen(ProgressNotifier, string, string?)"/> signals for a subject.</summary>
    public static string KeyOf(string kind, string subjectId) => $"{kind}:{subjectId}";

    /// <summary>Any other source the feed should own (disposed with it), for example a progress subscription calling <see cref="Signal"/>.</summary>
    public LiveFeed Own(IDisposable source)
    {
        lock (_gate) _sources.Add(source);
        return this;
    }

    /// <summary>Starts delivering. Subscribe (<see cref="Listen"/>) before the page's initial query, start after it.</summary>
    public LiveFeed Start()
    {
        lock (_gate)
        {
            if (_started) return this;
            _started = true;
        }
        _ = RunAsync();
        return this;
    }

    public void Add(IEnumerable<TimelineEntry> entries)
    {
        lock (_gate)
        {
            if (_disposed) return;
            var any = false;
            foreach (var entry in entries)
            {
                any = true;
                _pending.Enqueue(entry);
                if (_pending.Count > _capacity)
                {
                    _pending.Dequeue();
                    _folded++;
                }
            }
            if (any) WakeLocked();
        }
    }

    /// <summary>Something identified by <paramref name="key"/> changed (a batch's progress); delivered as a key, once per batch.</summary>
    public void Signal(string key)
    {
        lock (_gate)
        {
            if (_disposed) return;
            (_keys ??= new HashSet<string>(StringComparer.Ordinal)).Add(key);
            WakeLocked();
        }
    }

    /// <summary>The browser applied a render that included delivery <paramref name="sequence"/> (or a later one).</summary>
    public void Acknowledge(int sequence)
    {
        TaskCompletionSource? ack;
        lock (_gate)
        {
            if (sequence < _sequence) return;
            ack = _ack;
            _ack = null;
        }
        ack?.TrySetResult();
    }

    private void WakeLocked()
    {
        var wake = _wake;
        _wake = null;
        wake?.TrySetResult();
    }

    private bool HasWorkLocked => _pending.Count > 0 || _folded > 0 || _keys is not null;

    private async Task RunAsync()
    {
        long lastDelivery = 0;
        while (true)
        {
            Task wake;
            lock (_gate)
            {
                if (_disposed) return;
                if (HasWorkLocked) wake = Task.CompletedTask;
                else wake = (_wake = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
            }
            await wake;
            if (lastDelivery != 0 && _clock.GetElapsedTime(lastDelivery) is var since && since < _minInterval)
                await Task.Delay(_minInterval - since, _clock);
            else
                await Task.Yield();

            LiveBatch batch;
            TaskCompletionSource ack;
            int sequence;
            lock (_gate)
            {
                if (_disposed) return;
                batch = new LiveBatch([.. _pending], _folded, _keys ?? NoKeys);
                _pending.Clear();
                _folded = 0;
                _keys = null;
                sequence = ++_sequence;
                ack = _ack = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }
            lastDelivery = _clock.GetTimestamp();

            bool rendering;
            try { rendering = await _deliver(batch); }
            catch (ObjectDisposedException) { return; /* the circuit went away between publish and delivery */ }
            catch (Exception ex) when (_onError is not null)
            {
                await _onError(ex);
                rendering = false;
            }
            if (!rendering)
            {
                Acknowledge(sequence);
                continue;
            }
            await WaitForAckAsync(ack.Task, lastDelivery);
        }
    }

    private async Task WaitForAckAsync(Task ack, long deliveredAt)
    {
        using var timeout = new CancellationTokenSource();
        var expired = Task.Delay(AckTimeout, _clock, timeout.Token);
        await Task.WhenAny(ack, expired);
        await timeout.CancelAsync();
        var slow = !ack.IsCompleted || _clock.GetElapsedTime(deliveredAt) > SlowAck;
        bool caughtUp;
        lock (_gate)
        {
            // Behind means the browser is slow to apply renders. Folding alone is not: a page that shows
            // twelve rows folds at 200 events/s however fast it is, and the folded count reaches it anyway.
            var was = CatchingUp;
            CatchingUp = slow;
            caughtUp = was && !CatchingUp && !HasWorkLocked && !_disposed;
        }
        if (caughtUp) CaughtUp?.Invoke();
    }

    public void Dispose()
    {
        IDisposable[] sources;
        TaskCompletionSource? wake, ack;
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
            sources = [.. _sources];
            _sources.Clear();
            _pending.Clear();
            wake = _wake;
            ack = _ack;
            _wake = _ack = null;
        }
        foreach (var source in sources) source.Dispose();
        wake?.TrySetResult();
        ack?.TrySetResult();
    }
}
