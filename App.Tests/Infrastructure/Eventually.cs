namespace Dashboard.App.Tests.Infrastructure;

/// <summary>
/// Waits for something another thread makes true (a timer's continuation, a connection's bookkeeping after its
/// handshake) where nothing can be awaited. The wall clock only caps the wait, and generously: on a loaded 2-core
/// machine running the suite, a pool thread can take seconds to get to work.
/// </summary>
public static class Eventually
{
    public static readonly TimeSpan Limit = TimeSpan.FromSeconds(30);

    /// <summary>Returns once <paramref name="condition"/> holds or <see cref="Limit"/> passed; the caller asserts.</summary>
    public static async Task WaitUntilAsync(Func<bool> condition)
    {
        var started = TimeProvider.System.GetTimestamp();
        while (!condition() && TimeProvider.System.GetElapsedTime(started) < Limit)
            await Task.Delay(10, TestContext.Current.CancellationToken);
    }
}
