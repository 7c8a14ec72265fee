using System.Diagnostics.Metrics;
using Dashboard.Data;
using Dashboard.Data.Work;
using Microsoft.EntityFrameworkCore;

namespace Dashboard.App.Observability;

/// <summary>
/// How many batches, rollouts and deployments are in each state, read from the database at most
/// once per <see cref="MaxAge"/> and shared by every reader. A scrape storm (several Prometheus
/// servers, a tight interval) costs one set of three small GROUP BY queries, not one per scrape.
/// </summary>
public sealed class StateCounts(IDbContextFactory<DashboardDbContext> dbFactory, TimeProvider clock, ILogger<StateCounts> logger)
{
    public static readonly TimeSpan MaxAge = TimeSpan.FromSeconds(5);

    public sealed record Snapshot(
        IReadOnlyDictionary<string, int> Batches,
        IReadOnlyDictionary<string, int> Rollouts,
        IReadOnlyDictionary<string, int> Deployments);

    private readonly Lock _gate = new();
    private Snapshot? _snapshot;
    private DateTimeOffset _readAt;

    /// <summary>The counts, at most <see cref="MaxAge"/> old; stale ones if the database cannot be read now.</summary>
    public Snapshot Current()
    {
        // Observable instruments are read synchronously by the exporter; one reader queries while
        // the others wait for its answer instead of each opening a connection.
        lock (_gate)
        {
            if (_snapshot is not null && clock.GetUtcNow() - _readAt < MaxAge) return _snapshot;
            try
            {
                _snapshot = Read();
            }
            catch (Exception ex) when (_snapshot is not null)
            {
                LogStale(logger, ex);
            }
            _readAt = clock.GetUtcNow();
            return _snapshot!;
        }
    }

    /// <summary>One measurement per state the aggregate's state machine knows, zero included, so a dashboard's series never vanish.</summary>
    public IEnumerable<Measurement<int>> Measure(Func<Snapshot, IReadOnlyDictionary<string, int>> pick, StateMachine machine)
    {
        var counts = pick(Current());
        return machine.States.Union(counts.Keys).Select(state =>
            new Measurement<int>(counts.GetValueOrDefault(state), new KeyValuePair<string, object?>("state", state)));
    }

    private Snapshot Read()
    {
        using var db = dbFactory.CreateDbContext();
        return new Snapshot(
            db.Batches.AsNoTracking().GroupBy(b => b.State).Select(g => new { g.Key, Count = g.Count() }).ToDictionary(g => g.Key, g => g.Count),
            db.Rollouts.AsNoTracking().GroupBy(r => r.State).Select(g => new { g.Key, Count = g.Count() }).ToDictionary(g => g.Key, g => g.Count),
            db.CanaryDeployments.AsNoTracking().GroupBy(d => d.Status).Select(g => new { g.Key, Count = g.Count() }).ToDictionary(g => g.Key, g => g.Count));
    }

    private static void LogStale(ILogger logger, Exception ex) =>
        logger.LogWarning(ex, "Could not read state counts for metrics; serving the previous ones");
}
