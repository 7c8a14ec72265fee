namespace Dashboard.App.Realtime;

/// <summary>
/// Calls a page back on a fixed period (durations that keep counting, bars that keep growing),
/// until disposed. The callback must marshal to the renderer itself (<c>InvokeAsync</c>).
/// </summary>
public sealed class PageTicker : IDisposable
{
    private readonly PeriodicTimer _timer;

    public PageTicker(TimeSpan period, TimeProvider clock, Func<Task> tick)
    {
        _timer = new PeriodicTimer(period, clock);
        _ = RunAsync(tick);
    }

    private async Task RunAsync(Func<Task> tick)
    {
        try
        {
            while (await _timer.WaitForNextTickAsync()) await tick();
        }
        catch (ObjectDisposedException)
        {
            // The page went away while a tick was being delivered.
        }
    }

    public void Dispose() => _timer.Dispose();
}
