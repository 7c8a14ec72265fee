using Dashboard.Data.Cluster;
using Dashboard.Data.Work;
using Hangfire;

namespace Dashboard.Jobs.Work;

/// <summary>
/// The one Hangfire job: hands a <see cref="WorkItem"/> to the <see cref="IWorkRunner"/> of its kind.
/// The dashboard shows the item's description as the job's name. Delivery is at least once, and
/// runners are reentrant.
/// </summary>
public sealed class WorkJob(IEnumerable<IWorkRunner> runners, SubjectGate gate)
{
    [JobDisplayName("{2}")]
    [AutomaticRetry(Attempts = 3)]
    public async Task RunAsync(string kind, string subjectId, string description, CancellationToken ct)
    {
        var runner = runners.FirstOrDefault(r => r.Kind == kind)
            ?? throw new InvalidOperationException($"No runner for work of kind '{kind}' ({description}).");
        await using var _ = await gate.EnterAsync(SubjectGate.Key(kind, subjectId), ct);
        await runner.RunAsync(subjectId, ct);
    }
}

/// <summary>
/// One job per subject at a time: in this process with a semaphore, and on PostgreSQL across every
/// node with a session advisory lock (<see cref="ClusterDatabase"/>), which PostgreSQL releases the
/// moment a SIGKILLed holder's connection closes. Not Hangfire's <c>DisableConcurrentExecution</c>:
/// its lock row outlives a killed holder for the lock timeout (10 minutes), which would hold up the
/// resume after a crash (docs/decisions/0005, 0014).
/// </summary>
public sealed class SubjectGate(ClusterDatabase? cluster = null)
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, (SemaphoreSlim Semaphore, int Users)> _gates = [];

    /// <summary>The gate's key for a subject, shared with the reconciler's "is anyone on it" check.</summary>
    public static string Key(string kind, string subjectId) => $"work:{kind}:{subjectId}";

    /// <summary>True when a job of another node is working on this subject now (never on SQLite).</summary>
    public bool IsBusyElsewhere(string key) => cluster?.IsHeldElsewhere(key) ?? false;

    public async Task<IAsyncDisposable> EnterAsync(string key, CancellationToken ct)
    {
        SemaphoreSlim semaphore;
        lock (_lock)
        {
            var (existing, users) = _gates.GetValueOrDefault(key);
            semaphore = existing ?? new SemaphoreSlim(1, 1);
            _gates[key] = (semaphore, users + 1);
        }
        try
        {
            await semaphore.WaitAsync(ct);
        }
        catch
        {
            Leave(key);
            throw;
        }
        // Only one waiter per subject per node reaches the database lock: the semaphore queues the rest.
        IAsyncDisposable? nodes = null;
        try
        {
            if (cluster is { Enabled: true }) nodes = await cluster.LockAsync(key, ct);
        }
        catch
        {
            semaphore.Release();
            Leave(key);
            throw;
        }
        return new Entered(this, key, semaphore, nodes);
    }

    private void Leave(string key)
    {
        lock (_lock)
        {
            var (semaphore, users) = _gates[key];
            if (users > 1) _gates[key] = (semaphore, users - 1);
            else
            {
                _gates.Remove(key);
                semaphore.Dispose();
            }
        }
    }

    private sealed class Entered(SubjectGate owner, string key, SemaphoreSlim semaphore, IAsyncDisposable? nodes) : IAsyncDisposable
    {
        private int _disposed;

        public async ValueTask DisposeAsync()
        {
            if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
            try
            {
                if (nodes is not null) await nodes.DisposeAsync();
            }
            finally
            {
                semaphore.Release();
                owner.Leave(key);
            }
        }
    }
}
