using System.Collections.Concurrent;
using Dashboard.Data.Work;

namespace Dashboard.Data.Rollouts;

/// <summary>
/// Remembers which devices were just told "nothing for you" by <c>next</c>, so a fleet polling with
/// nothing to do costs no query. An answer stays valid until anything that could give a device work
/// happens: a rollout created, a phase started, a rollout resumed (all bump a generation, after their
/// commit), or the device's own inventory, group or admission changing. A query reads the generation
/// before it runs and its "nothing" is remembered under that generation, so an answer that raced a
/// commit is never reused.
/// <para>
/// Invalidations travel as <see cref="ProgressNotifier"/> signals of kind <see cref="SignalKind"/>, which
/// the cluster relay (Data/Cluster) carries to every node on PostgreSQL: a rollout created on node A
/// clears node B's answers as soon as B hears A's NOTIFY, which is as if the device had polled B a few
/// milliseconds earlier. A signal can be lost, though (the relay drops signals while it reconnects, or
/// when its outbox overflows), so on PostgreSQL an answer is also forgotten after <see cref="SharedMaxAge"/>:
/// the most a lost signal can delay a device is that. With SQLite there is one process and no relay.
/// </para>
/// </summary>
public sealed class IdleDeviceCache
{
    /// <summary>The progress-signal kind; the subject is a device id, or <see cref="Everyone"/>.</summary>
    public const string SignalKind = "rollout-idle-devices";
    private const string Everyone = "*";

    /// <summary>How long an answer is trusted when several nodes share the database.</summary>
    public static readonly TimeSpan SharedMaxAge = TimeSpan.FromSeconds(30);

    private readonly ConcurrentDictionary<string, (long Generation, long Until)> _idle = new(StringComparer.Ordinal);
    private readonly ProgressNotifier _signals;
    private readonly TimeProvider _clock;
    private readonly long _maxAgeTicks;
    private long _generation;

    public IdleDeviceCache(ProgressNotifier signals, DashboardSettings settings, TimeProvider clock)
    {
        _signals = signals;
        _clock = clock;
        _maxAgeTicks = settings.UsesPostgres ? SharedMaxAge.Ticks : long.MaxValue;
        // Lives as long as the app (a singleton): local and relayed invalidations both arrive here.
        signals.Subscribe(SignalKind, null, signal =>
        {
            if (signal.SubjectId == Everyone) Clear();
            else _idle.TryRemove(signal.SubjectId, out _);
        });
    }

    /// <summary>Read before asking the database; pass it to <see cref="RememberIdle"/>.</summary>
    public long Generation => Interlocked.Read(ref _generation);

    public bool IsIdle(string deviceId) =>
        _idle.TryGetValue(deviceId, out var seen) && seen.Generation == Generation && _clock.GetUtcNow().UtcTicks < seen.Until;

    public void RememberIdle(string deviceId, long generation)
    {
        if (generation != Generation) return;
        var now = _clock.GetUtcNow().UtcTicks;
        _idle[deviceId] = (generation, _maxAgeTicks == long.MaxValue ? long.MaxValue : now + _maxAgeTicks);
    }

    /// <summary>Anything that may give any device work, on any node: call after it committed.</summary>
    public void Invalidate() => _signals.Notify(SignalKind, Everyone);

    /// <summary>The device's inventory, group or admission changed.</summary>
    public void Invalidate(string deviceId) => _signals.Notify(SignalKind, deviceId);

    private void Clear()
    {
        Interlocked.Increment(ref _generation);
        // Entries of older generations are dead; drop them so the map does not grow with the fleet's history.
        _idle.Clear();
    }
}
