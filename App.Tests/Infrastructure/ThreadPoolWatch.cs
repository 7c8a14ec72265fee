using System.Collections.Concurrent;
using System.Diagnostics;

namespace Dashboard.App.Tests.Infrastructure;

/// <summary>
/// How long work queued to this process's thread pool waited before it ran, sampled from a thread of its own.
/// Every app host of the suite, the browser driver's client and the tests share this one pool, which starts with
/// one thread per core (two here): work that blocks its threads (a SQLite call waiting on a busy database, a
/// synchronous wait) stalls circuits, requests and Playwright's own event handling alike. A browser test that
/// times out reports the stalls of its last minute, so a starved process is told from a page that never navigated.
/// </summary>
public static class ThreadPoolWatch
{
    private static readonly TimeSpan Reported = TimeSpan.FromMilliseconds(250);
    private static readonly ConcurrentQueue<(DateTimeOffset At, TimeSpan Waited)> Stalls = new();
    private static int _started;

    public static void Start()
    {
        if (Interlocked.Exchange(ref _started, 1) == 1) return;
        new Thread(Sample) { IsBackground = true, Name = "thread pool watch" }.Start();
    }

    private static void Sample()
    {
        using var ran = new ManualResetEventSlim();
        while (true)
        {
            ran.Reset();
            var queued = Stopwatch.GetTimestamp();
            ThreadPool.UnsafeQueueUserWorkItem(static state => ((ManualResetEventSlim)state!).Set(), ran);
            ran.Wait();
            var waited = Stopwatch.GetElapsedTime(queued);
            if (waited >= Reported)
            {
                Stalls.Enqueue((DateTimeOffset.UtcNow, waited));
                while (Stalls.Count > 200) Stalls.TryDequeue(out _);
            }
            // The sampling interval of a thread outside the pool; no test waits on it.
            Thread.Sleep(100);
        }
    }

    /// <summary>The pool now and its stalls since <paramref name="since"/>, for a failure message.</summary>
    public static string Describe(DateTimeOffset since)
    {
        var stalls = Stalls.Where(s => s.At >= since).ToList();
        var now = $"{ThreadPool.ThreadCount} threads, {ThreadPool.PendingWorkItemCount} work items queued";
        return stalls.Count == 0
            ? $"{now}; no work waited {Reported.TotalMilliseconds:0} ms or more since {since:HH:mm:ss}"
            : $"{now}; work waited {Reported.TotalMilliseconds:0} ms or more {stalls.Count} times since {since:HH:mm:ss}, longest {stalls.Max(s => s.Waited).TotalSeconds:0.0} s: " +
              string.Join(", ", stalls.TakeLast(20).Select(s => $"{s.At:HH:mm:ss.f} {s.Waited.TotalSeconds:0.0} s"));
    }
}
