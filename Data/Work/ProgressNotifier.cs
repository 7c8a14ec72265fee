namespace Dashboard.Data.Work;

/// <summary>"Subject <see cref="SubjectId"/> of kind <see cref="Kind"/> changed": re-read it.</summary>
public sealed record ProgressSignal(string Kind, string SubjectId);

/// <summary>
/// In-process fan-out of progress between state changes (devices coming up, phase counters), which
/// the timeline does not carry. Singleton; keyed by subject kind and, optionally, id. Subscribers are
/// called on the notifying thread, so they only hand off (pages use a coalescing subscription).
/// </summary>
public sealed class ProgressNotifier
{
    private readonly Lock _gate = new();
    private Subscription[] _subscriptions = [];

    /// <param name="subjectId">Only this subject, or null for every subject of <paramref name="kind"/>.</param>
    public IDisposable Subscribe(string kind, string? subjectId, Action<ProgressSignal> onChanged)
    {
        var subscription = new Subscription(this, kind, subjectId, onChanged);
        lock (_gate) _subscriptions = [.. _subscriptions, subscription];
        return subscription;
    }

    /// <summary>Every signal of every kind: for relaying them to other nodes (see Data/Cluster).</summary>
    public IDisposable SubscribeAll(Action<ProgressSignal> onChanged)
    {
        var subscription = new Subscription(this, null, null, onChanged);
        lock (_gate) _subscriptions = [.. _subscriptions, subscription];
        return subscription;
    }

    public void Notify(string kind, string subjectId)
    {
        ProgressSignal? signal = null;
        foreach (var s in Volatile.Read(ref _subscriptions))
        {
            if ((s.Kind is not null && s.Kind != kind) || (s.SubjectId is not null && s.SubjectId != subjectId)) continue;
            try { s.OnChanged(signal ??= new ProgressSignal(kind, subjectId)); }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                // One broken page must not stop the others (or the job that notified).
                System.Diagnostics.Trace.TraceWarning($"Progress subscriber failed: {ex.Message}");
            }
        }
    }

    private void Unsubscribe(Subscription subscription)
    {
        lock (_gate) _subscriptions = [.. _subscriptions.Where(s => s != subscription)];
    }

    private sealed class Subscription(ProgressNotifier owner, string? kind, string? subjectId, Action<ProgressSignal> onChanged) : IDisposable
    {
        private int _disposed;
        public string? Kind { get; } = kind;
        public string? SubjectId { get; } = subjectId;
        public Action<ProgressSignal> OnChanged { get; } = onChanged;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0) owner.Unsubscribe(this);
        }
    }
}
