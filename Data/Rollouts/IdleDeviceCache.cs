using System.Collections.Concurrent;
using Microsoft.EntityFrameworkCore;

namespace Dashboard.Data.Rollouts;

/// <summary>
/// Remembers which devices were just told "nothing for you" by <c>next</c>, so a fleet polling with
/// nothing to do costs no query. An answer stays valid until anything that could give a device work
/// happens on this node: a rollout created, a phase started, a rollout resumed (all bump a generation,
/// after their commit), or the device's own inventory, group or admission changing. A query reads the
/// generation before it runs and its "nothing" is remembered under that generation, so an answer that
/// raced a commit is never reused.
/// <para>
/// Only with SQLite: its file has one app process. With PostgreSQL several nodes share the database and
/// a rollout created on another node would not reach this cache, so there every poll asks the database.
/// </para>
/// </summary>
public sealed class IdleDeviceCache(IDbContextFactory<DashboardDbContext> dbFactory)
{
    private readonly ConcurrentDictionary<string, long> _idle = new(StringComparer.Ordinal);
    private readonly Lazy<bool> _enabled = new(() =>
    {
        using var db = dbFactory.CreateDbContext();
        return db.Database.IsSqlite();
    });
    private long _generation;

    /// <summary>Read before asking the database; pass it to <see cref="RememberIdle"/>.</summary>
    public long Generation => Interlocked.Read(ref _generation);

    public bool IsIdle(string deviceId) => _enabled.Value && _idle.TryGetValue(deviceId, out var seen) && seen == Generation;

    public void RememberIdle(string deviceId, long generation)
    {
        if (!_enabled.Value || generation != Generation) return;
        _idle[deviceId] = generation;
    }

    /// <summary>Anything that may give any device work: call after it committed.</summary>
    public void Invalidate()
    {
        Interlocked.Increment(ref _generation);
        // Entries of older generations are dead; drop them so the map does not grow with the fleet's history.
        _idle.Clear();
    }

    /// <summary>The device's inventory, group or admission changed.</summary>
    public void Invalidate(string deviceId) => _idle.TryRemove(deviceId, out _);
}
