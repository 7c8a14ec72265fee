using System.Threading.Channels;
using Dashboard.Data.Timeline;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace Dashboard.Data.Changes;

/// <summary>
/// The single writer for change events. Requests that arrive while a commit is running are
/// applied together in one context and committed in one transaction (one fsync), and
/// each caller's task completes only after that commit. One transaction per event cannot reach
/// thousands of events a second on SQLite; one per batch can. The batch is written by a
/// <see cref="PreparedRowWriter"/> (SaveChanges' work without its per-row cost), or by SaveChanges
/// when the tracker holds something that writer does not write.
/// <para>
/// A request the domain rejects fails on its own and leaves nothing in the context (rules are
/// checked before anything is added). If the batch commit itself fails, every request in it is
/// retried in its own commit, so one bad request cannot fail its neighbours.
/// </para>
/// </summary>
internal sealed class ChangeWriter : IAsyncDisposable
{
    internal delegate Task<ChangeResult> Apply(DashboardDbContext db, DateTime now, CancellationToken ct);

    /// <summary>What a request will look up: start/end events by match key, Changes API upserts by identifier.</summary>
    internal readonly record struct LookupKey(string? MatchKey, string? Identifier);

    // Contexts whose batch was loaded up front, with the keys loaded: lookups then stay in memory.
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<DashboardDbContext, HashSet<string>> Prefetched = new();

    /// <summary>True when every stored change with <paramref name="key"/> is already tracked by <paramref name="db"/>.</summary>
    internal static bool IsPrefetched(DashboardDbContext db, string key) => Prefetched.TryGetValue(db, out var keys) && keys.Contains(key);

    private const int MaxBatch = 1000;

    // Compiled once per writer: each app host has one provider and one model, and a compiled query is
    // bound to the model it first ran on. At a few events a second a batch is one or two requests, so
    // translating the lookup every commit (expression, cache key, parameter-based SQL) cost as much as
    // running it.
    private readonly Func<DashboardDbContext, string, IAsyncEnumerable<Change>> _byMatchKey =
        EF.CompileAsyncQuery((DashboardDbContext db, string key) => db.Changes.Where(c => c.MatchKey == key));
    private readonly Func<DashboardDbContext, string[], IAsyncEnumerable<Change>> _byMatchKeys =
        EF.CompileAsyncQuery((DashboardDbContext db, string[] keys) => db.Changes.Where(c => keys.Contains(c.MatchKey)));
    private readonly Func<DashboardDbContext, string, IAsyncEnumerable<Change>> _byIdentifier =
        EF.CompileAsyncQuery((DashboardDbContext db, string identifier) => db.Changes.Where(c => c.Identifier == identifier));
    private readonly Func<DashboardDbContext, string[], IAsyncEnumerable<Change>> _byIdentifiers =
        EF.CompileAsyncQuery((DashboardDbContext db, string[] identifiers) => db.Changes.Where(c => identifiers.Contains(c.Identifier!)));

    private readonly IDbContextFactory<DashboardDbContext> _dbFactory;
    private readonly TimeProvider _clock;
    private readonly ILogger _logger;
    private readonly Channel<Request> _queue = Channel.CreateBounded<Request>(new BoundedChannelOptions(50_000)
    {
        SingleReader = true,
        FullMode = BoundedChannelFullMode.Wait,
    });
    private readonly CancellationTokenSource _stopping = new();
    private readonly Lock _gate = new();
    private Task? _loop;
    // The loop's own context and connection, kept from one commit to the next (only the loop touches it):
    // renting, resetting and returning a context and opening its connection (and running its pragmas)
    // every commit was about a seventh of the writer's CPU for a one-event commit (docs/BENCHMARKS.md,
    // "Seventh session"). Cleared before every batch; dropped after any failure and on shutdown.
    private DashboardDbContext? _db;
    private readonly PreparedRowWriter _rows;

    public ChangeWriter(IDbContextFactory<DashboardDbContext> dbFactory, TimeProvider clock, ILogger logger, TimelinePublisher publisher)
    {
        _dbFactory = dbFactory;
        _clock = clock;
        _logger = logger;
        _rows = new PreparedRowWriter(publisher);
    }

    public async Task<ChangeResult> EnqueueAsync(LookupKey key, Apply apply, CancellationToken ct)
    {
        EnsureRunning();
        // Completing on the thread pool keeps callers' continuations off the writer's loop.
        var request = new Request(key, apply, new TaskCompletionSource<ChangeResult>(TaskCreationOptions.RunContinuationsAsynchronously));
        await _queue.Writer.WriteAsync(request, ct);
        // Once queued, the request is committed even if the caller stops waiting: it may already be in a batch.
        return await request.Done.Task.WaitAsync(ct);
    }

    private void EnsureRunning()
    {
        if (_loop is not null) return;
        lock (_gate)
        {
            if (_loop is not null) return;
            // The loop outlives the request that happens to start it, and must not carry that request's
            // async-locals (its actor, its activity) into every later commit and timeline publication.
            _loop = Detached.Run(RunAsync);
        }
    }

    private async Task RunAsync()
    {
        var reader = _queue.Reader;
        var batch = new List<Request>(MaxBatch);
        try
        {
            while (await reader.WaitToReadAsync(_stopping.Token))
            {
                batch.Clear();
                while (batch.Count < MaxBatch && reader.TryRead(out var request)) batch.Add(request);
                if (!await TryCommitAsync(batch) && batch.Count > 1)
                {
                    foreach (var request in batch) await TryCommitAsync([request]);
                }
            }
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
            // Shutting down.
        }
        while (reader.TryRead(out var left)) left.Done.TrySetCanceled();
        await DropContextAsync();
    }

    private async Task<DashboardDbContext> ContextAsync()
    {
        if (_db is { } db)
        {
            // Nothing tracked survives a batch: the next one must read what is stored now, not what this context saw.
            db.ChangeTracker.Clear();
            return db;
        }
        db = await _dbFactory.CreateDbContextAsync(_stopping.Token);
        // Looking up earlier requests of this batch must not re-scan the whole tracker each time.
        db.ChangeTracker.AutoDetectChangesEnabled = false;
        try
        {
            await db.Database.OpenConnectionAsync(_stopping.Token);
        }
        catch
        {
            await db.DisposeAsync();
            throw;
        }
        return _db = db;
    }

    private async Task DropContextAsync()
    {
        if (_db is not { } db) return;
        _db = null;
        _rows.Forget();
        try { await db.DisposeAsync(); }
        catch (Exception ex) { _logger.LogWarning(ex, "The change writer's context could not be closed cleanly."); }
    }

    /// <summary>Applies and commits the requests; false (and nothing completed) when the commit failed.</summary>
    private async Task<bool> TryCommitAsync(List<Request> batch)
    {
        var results = new ChangeResult?[batch.Count];
        try
        {
            var db = await ContextAsync();
            var now = _clock.GetUtcNow().UtcDateTime;
            await PrefetchAsync(db, batch);
            for (var i = 0; i < batch.Count; i++)
            {
                try { results[i] = await batch[i].Run(db, now, _stopping.Token); }
                catch (Exception ex) when (ex is ValidationException or ConflictException or NotFoundException)
                {
                    batch[i].Done.TrySetException(ex);
                }
            }
            db.ChangeTracker.DetectChanges();
            if (!await _rows.TrySaveAsync(db, _stopping.Token)) await db.SaveChangesAsync(_stopping.Token);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !_stopping.IsCancellationRequested)
        {
            // A failed commit can leave the context (entries, connection, transaction) in any state: start afresh.
            await DropContextAsync();
            if (batch.Count == 1)
            {
                _logger.LogError(ex, "A change event could not be committed.");
                batch[0].Done.TrySetException(ex);
                return true;
            }
            _logger.LogWarning(ex, "A batch of {Count} change events failed to commit; retrying them one by one.", batch.Count);
            return false;
        }
        for (var i = 0; i < batch.Count; i++)
        {
            if (results[i] is { } result) batch[i].Done.TrySetResult(result);
        }
        return true;
    }

    /// <summary>One query for the whole batch instead of one per request.</summary>
    private async Task PrefetchAsync(DashboardDbContext db, List<Request> batch)
    {
        var matchKeys = batch.Select(r => r.Key.MatchKey).OfType<string>().Distinct().ToArray();
        var identifiers = batch.Select(r => r.Key.Identifier).OfType<string>().Distinct().ToArray();
        await LoadAsync(matchKeys, _byMatchKey, _byMatchKeys);
        await LoadAsync(identifiers, _byIdentifier, _byIdentifiers);
        Prefetched.AddOrUpdate(db, [.. matchKeys, .. identifiers.Select(i => "id:" + i)]);

        // Tracking queries: enumerating them is what puts the stored changes in the context.
        async Task LoadAsync(string[] keys, Func<DashboardDbContext, string, IAsyncEnumerable<Change>> one, Func<DashboardDbContext, string[], IAsyncEnumerable<Change>> many)
        {
            if (keys.Length == 0) return;
            await foreach (var _ in (keys.Length == 1 ? one(db, keys[0]) : many(db, keys)).WithCancellation(_stopping.Token))
            {
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        var loop = _loop;
        if (loop is not null)
        {
            // Let queued requests finish; stop waiting after a few seconds.
            if (await Task.WhenAny(loop, Task.Delay(TimeSpan.FromSeconds(5))) != loop) await _stopping.CancelAsync();
            try { await loop; } catch (OperationCanceledException) { }
        }
        _stopping.Dispose();
    }

    private sealed record Request(LookupKey Key, Apply Run, TaskCompletionSource<ChangeResult> Done);
}
