using System.Runtime.InteropServices;
using Dashboard.Data;

namespace Dashboard.App;

/// <summary>
/// Prepares the database before the app serves. When a migration is pending (a new data directory or an
/// upgrade) and this process is the app itself, the server migrates and does the first start's work
/// (bootstrap administrator, fleet import), then starts over in place: the process replaces itself with
/// a fresh copy of the same command line (<c>execv</c>: same process id, arguments, environment and
/// output), which initializes as on any restart and finds it all done. The code that ran once is thus not
/// resident for the server's life, and nothing extra is (no child process to start and wait for).
/// Elsewhere (another OS, the tests' in-process hosts, <c>dotnet ef</c>) it initializes in process.
/// See docs/decisions/0020-first-start-starts-over-in-place.md.
/// </summary>
internal static class DatabaseStartup
{
    private static string DemoFleetPath => Path.Combine(AppContext.BaseDirectory, "demo-fleet.json");

    /// <summary>Initializes (idempotently); after applying migrations in the app's own process on Linux, starts over in place and does not return.</summary>
    public static async Task InitializeAsync(WebApplication app)
    {
        var settings = app.Services.GetRequiredService<DashboardSettings>();
        var initializer = app.Services.GetRequiredService<DatabaseInitializer>();
        var ct = app.Lifetime.ApplicationStopping;
        var restartAfter = CanRestartInPlace && await initializer.HasPendingMigrationsAsync(settings, ct);
        await initializer.InitializeAsync(settings, DemoFleetPath, ct);
        if (!restartAfter) return;

        // The fresh process must find nothing left to do, or it would start over again, and again.
        if (await initializer.HasPendingMigrationsAsync(settings, ct))
            throw new InvalidOperationException("Migrations are still pending after initializing the database.");
        app.Services.GetRequiredService<ILogger<DatabaseInitializerHost>>()
            .LogInformation("Initialized the database; starting over in place so that the server runs without the code that did it");
        // Disposing flushes the console logger's queue; execv would drop what it had not written.
        await app.DisposeAsync();
        RestartInPlace();
    }

    private static bool CanRestartInPlace =>
        OperatingSystem.IsLinux() && System.Reflection.Assembly.GetEntryAssembly() == typeof(DatabaseStartup).Assembly;

    /// <summary>
    /// Replaces this process with the same executable and arguments as it was started with, read from
    /// <c>/proc/self</c> (exact, including the <c>dotnet</c> host's own options). File descriptors the
    /// runtime and SQLite open are close-on-exec; standard input, output and error carry over.
    /// </summary>
    private static void RestartInPlace()
    {
        ReleaseDiagnosticPort();
        var cmdline = File.ReadAllText("/proc/self/cmdline");
        var argv = (cmdline.EndsWith('\0') ? cmdline[..^1] : cmdline).Split('\0');
        var pointers = new nint[argv.Length + 1]; // null-terminated, as execv wants
        for (var i = 0; i < argv.Length; i++) pointers[i] = Marshal.StringToCoTaskMemUTF8(argv[i]);
        // By its own path, not /proc/self/exe: the kernel names the process after the file it ran, and ps,
        // top and pkill should go on seeing "dotnet" (or the apphost), not "exe". The link serves only
        // when that file is gone (replaced by an upgrade while this process ran).
        var executable = Environment.ProcessPath is { } path && File.Exists(path) ? path : "/proc/self/exe";
        execv(executable, pointers);
        // execv returns only when it failed; the pointers are not freed, as the process is about to end.
        throw new InvalidOperationException($"Starting over after initializing the database failed (errno {Marshal.GetLastPInvokeError()}); starting the app again finds the database ready.");
    }

    /// <summary>
    /// The runtime's diagnostic port (what dotnet-counters, dotnet-trace and dotnet-dump connect to) is a
    /// Unix socket named after the process id and start time, both of which survive execv. The new image
    /// cannot bind a path that still exists, and would run with no diagnostic port at all; removing the
    /// file lets it listen at the same path.
    /// </summary>
    private static void ReleaseDiagnosticPort()
    {
        var pattern = $"dotnet-diagnostic-{Environment.ProcessId}-*-socket";
        try
        {
            foreach (var socket in Directory.EnumerateFiles(Path.GetTempPath(), pattern)) File.Delete(socket);
        }
        catch (IOException) { } // without it the server still runs, only without a diagnostic port
        catch (UnauthorizedAccessException) { }
    }

    [DllImport("libc", EntryPoint = "execv", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int execv([MarshalAs(UnmanagedType.LPUTF8Str)] string path, nint[] argv);

    /// <summary>The log category.</summary>
    private sealed class DatabaseInitializerHost;
}
