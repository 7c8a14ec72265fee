namespace Dashboard.Data.Timeline;

/// <summary>
/// In-process fan-out of committed timeline entries to live pages and hubs. Singleton.
/// Subscribers are called synchronously on the committing thread, so they must only hand off
/// (for example with <c>InvokeAsync</c> or a channel write) and never block.
/// </summary>
public sealed class TimelineNotifier
{
    private readonly Lock _gate = new();
    private Action<IReadOnlyList<TimelineEntry>>[] _subscribers = [];

    public IDisposable Subscribe(Action<IReadOnlyList<TimelineEntry>> onEntries)
    {
        lock (_gate) _subscribers = [.. _subscribers, onEntries];
        return new Subscription(this, onEntries);
    }

    public void Publish(IReadOnlyList<TimelineEntry> entries)
    {
        if (entries.Count == 0) return;
        foreach (var subscriber in Volatile.Read(ref _subscribers))
        {
            try { subscriber(entries); }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                // One broken page must not stop the others from hearing about the change.
                System.Diagnostics.Trace.TraceWarning($"Timeline subscriber failed: {ex.Message}");
            }
        }
    }

    private void Unsubscribe(Action<IReadOnlyList<TimelineEntry>> onEntries)
    {
        lock (_gate) _subscribers = [.. _subscribers.Where(s => s != onEntries)];
    }

    private sealed class Subscription(TimelineNotifier owner, Action<IReadOnlyList<TimelineEntry>> onEntries) : IDisposable
    {
        private int _disposed;
        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0) owner.Unsubscribe(onEntries);
        }
    }
}
