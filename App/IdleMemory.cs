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

    [DllImport("libc", EntryPoint = "malloc_trim")]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int malloc_trim(nuint pad);
}
