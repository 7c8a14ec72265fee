using System.Reflection;
using Dashboard.Data;
using Hangfire;

namespace Dashboard.App.Observability;

/// <summary>What the System page shows an administrator about this node and the cluster it is part of.</summary>
public sealed record SystemStatus(
    string Version,
    string DatabaseProvider,
    IReadOnlyList<SystemNode> Nodes,
    JobCounts Jobs,
    long OpenCircuits,
    long OpenBlockingQueries,
    string DataDirectory,
    long DataDirectoryBytes);

/// <summary>A Hangfire server that has reported a heartbeat: one per dashboard node.</summary>
public sealed record SystemNode(string Name, int Workers, IReadOnlyList<string> Queues, DateTime StartedAt, DateTime? Heartbeat);

public sealed record JobCounts(long Enqueued, long Scheduled, long Processing, long Failed, long Succeeded);

public sealed class SystemStatusService(DashboardSettings settings, JobStorage jobs, DashboardMetrics metrics)
{
    public static string Version { get; } =
        typeof(SystemStatusService).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
        ?? typeof(SystemStatusService).Assembly.GetName().Version?.ToString() ?? "unknown";

    public Task<SystemStatus> ReadAsync(CancellationToken ct) => Task.Run(() =>
    {
        // Hangfire's monitoring API and the directory walk are synchronous; keep them off the circuit's thread.
        var monitoring = jobs.GetMonitoringApi();
        var statistics = monitoring.GetStatistics();
        var nodes = monitoring.Servers()
            .Select(s => new SystemNode(s.Name, s.WorkersCount, [.. s.Queues], s.StartedAt, s.Heartbeat))
            .OrderBy(s => s.Name, StringComparer.Ordinal)
            .ToList();
        var directory = Path.GetFullPath(settings.DataDirectory);
        return new SystemStatus(
            Version,
            settings.UsesPostgres ? "PostgreSQL" : "SQLite",
            nodes,
            new JobCounts(statistics.Enqueued, statistics.Scheduled, statistics.Processing, statistics.Failed, statistics.Succeeded),
            metrics.OpenCircuits,
            metrics.OpenBlockingQueries,
            directory,
            SizeOf(directory));
    }, ct);

    private static long SizeOf(string directory)
    {
        if (!Directory.Exists(directory)) return 0;
        var options = new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true, AttributesToSkip = FileAttributes.ReparsePoint };
        return new DirectoryInfo(directory).EnumerateFiles("*", options).Sum(f => f.Length);
    }
}
