using System.Runtime.InteropServices;

namespace Dashboard.App;

/// <summary>
/// Gives memory the app no longer uses back to the operating system: a full compacting collection
/// for the managed heap, then glibc's <c>malloc_trim</c> for the native heap. What start-up allocates
/// natively (the JIT compiling thousands of methods, SQLite) is freed, but glibc keeps the pages in
/// its arenas (one per thread that allocated) until told otherwise: 3-5 MiB on an idle node.
/// See docs/BENCHMARKS.md, "Idle memory".
/// </summary>
public static class IdleMemory
{
    public static void Release()
    {
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        TrimNativeHeap();
    }

    /// <summary>True when the C library had free pages to return (glibc only; false elsewhere).</summary>
    public static bool TrimNativeHeap()
    {
        if (!OperatingSystem.IsLinux()) return false;
        try
        {
            return malloc_trim(0) == 1;
        }
        catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException)
        {
            // musl (Alpine) has no malloc_trim; its allocator returns memory on its own.
            return false;
        }
    }

    /// <summary>How often <see cref="NativeHeapTrimmer"/> trims.</summary>
    public static readonly TimeSpan TrimInterval = TimeSpan.FromSeconds(10);

    [DllImport("libc", EntryPoint = "malloc_trim")]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int malloc_trim(nuint pad);
}

/// <summary>
/// Trims the native heap every <see cref="IdleMemory.TrimInterval"/>, as the JVM's
/// <c>TrimNativeHeapInterval</c> does. The JIT keeps compiling for minutes after start-up (methods
/// moving to their optimized tier), and each compilation's scratch memory, freed, stays in glibc's
/// arenas: about 0.5 MiB every 15 s on an idle node, 2.4 MiB by the 30 s mark. A trim with little to
/// give back takes well under a millisecond.
/// </summary>
public sealed class NativeHeapTrimmer(TimeProvider clock) : BackgroundService
{
    // Made here, not in ExecuteAsync (which .NET 10 starts on a pool thread): the first interval
    // counts from the host's start.
    private readonly PeriodicTimer _timer = new(IdleMemory.TrimInterval, clock);
    private int _trims;

    /// <summary>Trims done so far.</summary>
    public int Trims => Volatile.Read(ref _trims);

    public override void Dispose()
    {
        _timer.Dispose();
        base.Dispose();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!OperatingSystem.IsLinux()) return;
        try
        {
            while (await _timer.WaitForNextTickAsync(stoppingToken))
            {
                IdleMemory.TrimNativeHeap();
                Interlocked.Increment(ref _trims);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }
}
