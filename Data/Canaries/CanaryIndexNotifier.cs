namespace Dashboard.Data.Canaries;

/// <summary>What one committed write touched, under which index.</summary>
public sealed record CanaryWrite(long Index, IReadOnlySet<string> DeploymentIds, IReadOnlySet<string> JobKeys)
{
    public static string JobKey(string ns, string jobId) => ns + "/" + jobId;
}

/// <summary>
/// Wakes blocking queries after commit. Waiters are plain <see cref="TaskCompletionSource"/>s in a
/// list, so a thousand open queries cost a thousand small objects and no thread each.
/// </summary>
public sealed class CanaryIndexNotifier
{
    private readonly Lock _lock = new();
    private readonly List<Waiter> _waiters = [];

    /// <summary>After every committed write, for live pages.</summary>
    public event Action<CanaryWrite>? Written;

    public long LastIndex { get; private set; }

    public int WaiterCount { get { lock (_lock) return _waiters.Count; } }

    public void Publish(CanaryWrite write)
    {
        List<Waiter> woken = [];
        lock (_lock)
        {
            if (write.Index > LastIndex) LastIndex = write.Index;
            for (var i = _waiters.Count - 1; i >= 0; i--)
            {
                if (!_waiters[i].Relevant(write)) continue;
                woken.Add(_waiters[i]);
                _waiters.RemoveAt(i);
            }
        }
        foreach (var waiter in woken) waiter.Signal.TrySetResult();
        Written?.Invoke(write);
    }

    /// <summary>
    /// Registers interest before the caller queries, so a write that commits between the query and
    /// the wait is not missed. Dispose the registration when done.
    /// </summary>
    public Registration Register(Func<CanaryWrite, bool> relevant)
    {
        var waiter = new Waiter(relevant, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        lock (_lock) _waiters.Add(waiter);
        return new Registration(this, waiter);
    }

    private void Remove(Waiter waiter) { lock (_lock) _waiters.Remove(waiter); }

    private sealed record Waiter(Func<CanaryWrite, bool> Relevant, TaskCompletionSource Signal);

    public sealed class Registration(CanaryIndexNotifier owner, object waiter) : IDisposable
    {
        public Task Signalled => ((Waiter)waiter).Signal.Task;

        public void Dispose() => owner.Remove((Waiter)waiter);
    }
}

/// <summary>
/// Nomad's blocking query: answer at once when the result's index is past <c>minIndex</c>, else
/// wait for a relevant write (or the timeout) and query again.
/// </summary>
public static class BlockingQuery
{
    public static readonly TimeSpan DefaultWait = TimeSpan.FromMinutes(5);
    public static readonly TimeSpan MaxWait = TimeSpan.FromMinutes(10);

    public static async Task<(T Value, long Index)> RunAsync<T>(
        CanaryIndexNotifier notifier, TimeProvider clock, long? minIndex, TimeSpan? wait,
        Func<CanaryWrite, bool> relevant, Func<CancellationToken, Task<(T Value, long Index)>> query, CancellationToken ct)
    {
        if (minIndex is not { } min || min <= 0) return await query(ct);

        var limit = wait is { } w && w > TimeSpan.Zero ? (w > MaxWait ? MaxWait : w) : DefaultWait;
        // Nomad adds up to wait/16 of jitter so many watchers do not all come back at once.
        limit += TimeSpan.FromTicks((long)(Random.Shared.NextDouble() * (limit.Ticks / 16)));
        var deadline = clock.GetUtcNow() + limit;
        while (true)
        {
            using var registration = notifier.Register(relevant);
            var result = await query(ct);
            var remaining = deadline - clock.GetUtcNow();
            if (result.Index > min || remaining <= TimeSpan.Zero) return result;
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            var delay = Task.Delay(remaining, clock, timeout.Token);
            await Task.WhenAny(registration.Signalled, delay);
            await timeout.CancelAsync();
            ct.ThrowIfCancellationRequested();
            if (!registration.Signalled.IsCompleted) return await query(ct);
        }
    }
}
