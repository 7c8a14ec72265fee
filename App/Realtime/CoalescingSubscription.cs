using Dashboard.Data.Timeline;

namespace Dashboard.App.Realtime;

/// <summary>
/// Subscribes a page to the <see cref="TimelineNotifier"/> and hands it new entries in batches:
/// the first entry after a quiet spell is delivered at once, and then at most one delivery per
/// <see cref="Interval"/>, so a burst of events cannot make a page re-render thousands of times.
/// </summary>
public sealed class CoalescingSubscription : IDisposable
{
    public static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(100);

    private readonly Func<IReadOnlyList<TimelineEntry>, Task> _deliver;
    private readonly TimeProvider _clock;
    private readonly IDisposable _subscription;
    private readonly Lock _gate = new();
    private List<TimelineEntry> _pending = [];
    private bool _scheduled;
    private long _lastDelivery;
    private bool _disposed;

    public CoalescingSubscription(TimelineNotifier notifier, Func<IReadOnlyList<TimelineEntry>, Task> deliver, TimeProvider? clock = null)
    {
        _deliver = deliver;
        _clock = clock ?? TimeProvider.System;
        _subscription = notifier.Subscribe(OnEntries);
    }

    private void OnEntries(IReadOnlyList<TimelineEntry> entries)
    {
        TimeSpan wait;
        lock (_gate)
        {
            if (_disposed) return;
            _pending.AddRange(entries);
            if (_scheduled) return;
            _scheduled = true;
            var since = _clock.GetElapsedTime(_lastDelivery);
            wait = _lastDelivery == 0 || since >= Interval ? TimeSpan.Zero : Interval - since;
        }
        _ = DeliverAfterAsync(wait);
    }

    private async Task DeliverAfterAsync(TimeSpan wait)
    {
        if (wait > TimeSpan.Zero) await Task.Delay(wait, _clock);
        else await Task.Yield();

        List<TimelineEntry> batch;
        lock (_gate)
        {
            batch = _pending;
            _pending = [];
            _scheduled = false;
            _lastDelivery = _clock.GetTimestamp();
            if (_disposed || batch.Count == 0) return;
        }
        try { await _deliver(batch); }
        catch (ObjectDisposedException) { /* the page went away between publish and delivery */ }
    }

    public void Dispose()
    {
        lock (_gate) _disposed = true;
        _subscription.Dispose();
    }
}
