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
        using var _ = await gate.EnterAsync($"{kind}:{subjectId}", ct);
        await runner.RunAsync(subjectId, ct);
    }
}

/// <summary>
/// One job per subject at a time in this process. Not Hangfire's <c>DisableConcurrentExecution</c>:
/// on PostgreSQL storage its lock outlives a SIGKILLed holder for the lock timeout (10 minutes), which
/// would hold up the resume after a crash. Across instances the runners' own transactions keep
/// concurrent runs correct (docs/decisions/0006).
/// </summary>
public sealed class SubjectGate
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, (SemaphoreSlim Semaphore, int Users)> _gates = [];

    public async Task<IDisposable> EnterAsync(string key, CancellationToken ct)
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
        return new Entered(this, key, semaphore);
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

    private sealed class Entered(SubjectGate owner, string key, SemaphoreSlim semaphore) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
            semaphore.Release();
            owner.Leave(key);
        }
    }
}
