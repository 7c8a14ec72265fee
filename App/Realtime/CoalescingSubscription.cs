using Dashboard.Data.Timeline;
using Dashboard.Data.Work;

namespace Dashboard.App.Realtime;

/// <summary>
/// Subscribes a page to a notifier and hands it what arrived in batches: the first item after a
/// quiet spell is delivered at once, then at most one delivery per <see cref="CoalescingSubscription.Interval"/>,
/// and never two at once, so a burst of events cannot make a page re-render (or reload) thousands
/// of times. The same mechanism serves timeline entries and progress signals.
/// <para>
/// Superseded by <see cref="LiveFeed"/> (backpressure, a bounded buffer, folded counts); no page of
/// this branch uses it any more. Kept only so branches written against it still build when merged;
/// delete it once the Rollouts and Deployments pages are on <see cref="LiveFeed"/>.
/// </para>
/// </summary>
public class CoalescingSubscription<T> : IDisposable
{
    private readonly Func<IReadOnlyList<T>, Task> _deliver;
    private readonly TimeProvider _clock;
    private readonly IDisposable _subscription;
    private readonly Lock _gate = new();
    private List<T> _pending = [];
    private bool _scheduled;
    private long _lastDelivery;
    private bool _disposed;

    /// <param name="subscribe">Subscribes a callback to the source and returns the subscription.</param>
    public CoalescingSubscription(Func<Action<IReadOnlyList<T>>, IDisposable> subscribe, Func<IReadOnlyList<T>, Task> deliver, TimeProvider? clock = null)
    {
        _deliver = deliver;
        _clock = clock ?? TimeProvider.System;
        _subscription = subscribe(OnItems);
    }

    private void OnItems(IReadOnlyList<T> items)
    {
        lock (_gate)
        {
            if (_disposed) return;
            _pending.AddRange(items);
            if (_scheduled) return;
            _scheduled = true;
        }
        _ = DeliverAfterAsync(WaitSinceLastDelivery());
    }

    private TimeSpan WaitSinceLastDelivery()
    {
        var since = _clock.GetElapsedTime(Volatile.Read(ref _lastDelivery));
        var interval = CoalescingSubscription.Interval;
        return Volatile.Read(ref _lastDelivery) == 0 || since >= interval ? TimeSpan.Zero : interval - since;
    }

    private async Task DeliverAfterAsync(TimeSpan wait)
    {
        while (true)
        {
            if (wait > TimeSpan.Zero) await Task.Delay(wait, _clock);
            else await Task.Yield();

            List<T> batch;
            lock (_gate)
            {
                batch = _pending;
                _pending = [];
                Volatile.Write(ref _lastDelivery, _clock.GetTimestamp());
                if (_disposed || batch.Count == 0)
                {
                    _scheduled = false;
                    return;
                }
            }
            try { await _deliver(batch); }
            catch (ObjectDisposedException) { /* the page went away between publish and delivery */ }

            // What arrived during the delivery goes out after it, not beside it.
            lock (_gate)
            {
                if (_disposed || _pending.Count == 0)
                {
                    _scheduled = false;
                    return;
                }
            }
            wait = WaitSinceLastDelivery();
        }
    }

    public void Dispose()
    {
        lock (_gate) _disposed = true;
        _subscription.Dispose();
        GC.SuppressFinalize(this);
    }
}

/// <summary>A page's coalesced subscription to the committed timeline (<see cref="TimelineNotifier"/>).</summary>
public sealed class CoalescingSubscription(TimelineNotifier notifier, Func<IReadOnlyList<TimelineEntry>, Task> deliver, TimeProvider? clock = null)
    : CoalescingSubscription<TimelineEntry>(notifier.Subscribe, deliver, clock)
{
    public static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(100);

    /// <summary>A page's coalesced subscription to progress of subjects of <paramref name="kind"/> (one subject, or all when <paramref name="subjectId"/> is null).</summary>
    public static CoalescingSubscription<ProgressSignal> ToProgress(ProgressNotifier notifier, string kind, string? subjectId,
        Func<IReadOnlyList<ProgressSignal>, Task> deliver, TimeProvider? clock = null) =>
        new(onItems => notifier.Subscribe(kind, subjectId, signal => onItems([signal])), deliver, clock);
}
