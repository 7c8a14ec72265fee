using System.Diagnostics;

namespace Dashboard.MenderFleet;

/// <summary>Caps requests in flight (<c>--concurrency</c>) and paces their starts over the whole fleet (<c>--rate</c>).</summary>
public sealed class RequestGate(int concurrency, double ratePerSecond) : IDisposable
{
    private readonly SemaphoreSlim _slots = new(concurrency, concurrency);
    private readonly long _interval = ratePerSecond > 0 ? (long)(Stopwatch.Frequency / ratePerSecond) : 0;
    private long _next;

    public async ValueTask<Slot> EnterAsync(CancellationToken ct)
    {
        if (_interval > 0)
        {
            // Each request takes the next free start time; the first ones after a pause start at once.
            long previous, start, now;
            do
            {
                previous = Interlocked.Read(ref _next);
                now = Stopwatch.GetTimestamp();
                start = Math.Max(previous, now);
            }
            while (Interlocked.CompareExchange(ref _next, start + _interval, previous) != previous);
            var wait = Stopwatch.GetElapsedTime(now, start);
            if (wait > TimeSpan.FromMilliseconds(1)) await Task.Delay(wait, ct);
        }
        await _slots.WaitAsync(ct);
        return new Slot(_slots);
    }

    public void Dispose() => _slots.Dispose();

    public readonly struct Slot(SemaphoreSlim slots) : IDisposable
    {
        public void Dispose() => slots.Release();
    }
}
