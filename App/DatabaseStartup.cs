using System.Diagnostics;
using System.Reflection;
using Dashboard.Data;

namespace Dashboard.App;

/// <summary>
/// Prepares the database before the app serves. When a migration is pending (a new data directory or an
/// upgrade) and this process is the app itself, the migrations and the first start's work (bootstrap
/// administrator, fleet import) run in a short-lived child process of the same app,
/// <c>Dashboard.App initialize</c>, like an init container: the code they run would otherwise stay loaded
/// in the server for its whole life. The server then initializes as on any restart, finding it all done.
/// A host inside another process (the tests' in-process hosts, <c>dotnet ef</c>) initializes in process.
/// See docs/decisions/0018-first-start-in-a-child-process.md.
/// </summary>
internal static class DatabaseStartup
{
    public const string Command = "initialize";

    private static string DemoFleetPath => Path.Combine(AppContext.BaseDirectory, "demo-fleet.json");

    public static bool IsChildCommand(string[] args) => args is [Command, ..];

    /// <summary>The child: the same configuration as the server (content root, environment, files, variables, arguments), the data layer only.</summary>
    public static async Task<int> RunChildAsync(string[] args)
    {
        var builder = WebApplication.CreateBuilder(args);
        builder.Services.AddDashboardData();
        await using var app = builder.Build();
        var logger = app.Services.GetRequiredService<ILogger<DatabaseInitializerHost>>();
        try
        {
            await app.Services.GetRequiredService<DatabaseInitializer>()
                .InitializeAsync(app.Services.GetRequiredService<DashboardSettings>(), DemoFleetPath);
            return 0;
        }
        catch (Exception ex)
        {
            logger.LogCritical(ex, "Initializing the database failed");
            return 1;
        }
    }

    /// <summary>The server: hands pending migrations to a child process when it can, then initializes (idempotently) in process.</summary>
    public static async Task InitializeAsync(WebApplication app, string[] args)
    {
        var settings = app.Services.GetRequiredService<DashboardSettings>();
        var initializer = app.Services.GetRequiredService<DatabaseInitializer>();
        var ct = app.Lifetime.ApplicationStopping;
        if (IsOwnProcess && await initializer.HasPendingMigrationsAsync(settings, ct))
            await RunChildProcessAsync(args, app.Services.GetRequiredService<ILogger<DatabaseInitializerHost>>(), ct);
        await initializer.InitializeAsync(settings, DemoFleetPath, ct);
    }

    private static bool IsOwnProcess => Assembly.GetEntryAssembly() == typeof(DatabaseStartup).Assembly;

    private static async Task RunChildProcessAsync(string[] args, ILogger logger, CancellationToken ct)
    {
        var self = Environment.ProcessPath ?? throw new InvalidOperationException("The app's own executable is unknown.");
        // Output is inherited: the child's log lines land where the server's do.
        var start = new ProcessStartInfo(self) { UseShellExecute = false };
        // Started as `dotnet Dashboard.App.dll`, or by the apphost (`dotnet run`, a published app).
        if (Path.GetFileNameWithoutExtension(self) == "dotnet") start.ArgumentList.Add(typeof(DatabaseStartup).Assembly.Location);
        start.ArgumentList.Add(Command);
        foreach (var arg in args) start.ArgumentList.Add(arg);

        var watch = Stopwatch.StartNew();
        using var child = Process.Start(start) ?? throw new InvalidOperationException($"{self} did not start.");
        await child.WaitForExitAsync(ct);
        if (child.ExitCode != 0)
            throw new InvalidOperationException($"Initializing the database in a child process failed with exit code {child.ExitCode}; its log is above.");
        logger.LogInformation("Applied the pending migrations in a child process ({Pid}) in {Elapsed} ms", child.Id, watch.ElapsedMilliseconds);
    }

    /// <summary>The log category of both sides.</summary>
    private sealed class DatabaseInitializerHost;
}
