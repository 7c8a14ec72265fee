using System.Collections.Concurrent;
using Dashboard.App.Tests.Infrastructure;
using Dashboard.Data.Work;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Dashboard.App.Tests.Cluster;

/// <summary>
/// A throw-away PostgreSQL and two app nodes on it (A and B, each on its own loopback port, sharing one
/// data directory as the README's two-node setup prescribes: a device token or artifact link made on
/// one node is honoured by the other), started once for the two-node tests. Both nodes carry the <see cref="Probe"/> runner.
/// </summary>
public sealed class TwoNodes : IAsyncLifetime
{
    private readonly PostgresFixture _postgres = new();
    private readonly TempDirectory _data = new();

    public DashboardApp A { get; private set; } = default!;
    public DashboardApp B { get; private set; } = default!;
    public Probe Probe { get; } = new();
    public string ConnectionString { get; private set; } = "";

    /// <summary>Why the nodes could not start here (no PostgreSQL binaries), or null.</summary>
    public string? Unavailable => _postgres.Unavailable;

    public async ValueTask InitializeAsync()
    {
        await _postgres.InitializeAsync();
        if (Unavailable is not null) return;
        // Each node has three pools (EF, Hangfire, cluster locks and signals); capped so two nodes
        // stay within the server's 200 connections however many requests race (README: two nodes).
        ConnectionString = _postgres.NewDatabase() + ";Maximum Pool Size=40";
        var settings = new Dictionary<string, string?>
        {
            ["Dashboard:DatabaseProvider"] = "postgres",
            ["Dashboard:ConnectionString"] = ConnectionString,
        };
        A = new DashboardApp(_data.Path, settings, services: s => s.AddSingleton<IWorkRunner>(new ProbeRunner(Probe, "A"))).Start();
        B = new DashboardApp(_data.Path, settings, services: s => s.AddSingleton<IWorkRunner>(new ProbeRunner(Probe, "B"))).Start();
    }

    /// <summary>A query of the shared database, beside the apps (what PostgreSQL itself sees).</summary>
    public async Task<long> CountAsync(string sql, params object[] parameters)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync(TestContext.Current.CancellationToken);
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var p in parameters) command.Parameters.AddWithValue(p);
        return Convert.ToInt64(await command.ExecuteScalarAsync(TestContext.Current.CancellationToken), System.Globalization.CultureInfo.InvariantCulture);
    }

    public async ValueTask DisposeAsync()
    {
        if (B is not null) await B.DisposeAsync();
        if (A is not null) await A.DisposeAsync();
        await _postgres.DisposeAsync();
        _data.Dispose();
    }
}

/// <summary>Which node ran which probe subject, in order; waiters are woken on every run.</summary>
public sealed class Probe
{
    public const string Kind = "cluster-probe";

    private readonly ConcurrentDictionary<string, ConcurrentQueue<string>> _runs = new();
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public IReadOnlyList<string> NodesThatRan(string subject) => _runs.TryGetValue(subject, out var nodes) ? [.. nodes] : [];

    public void Ran(string subject, string node)
    {
        _runs.GetOrAdd(subject, _ => new()).Enqueue(node);
        Interlocked.Exchange(ref _changed, new(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
    }

    /// <summary>Waits (bounded) until <paramref name="done"/> holds after some run.</summary>
    public async Task UntilAsync(Func<bool> done, TimeSpan limit)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(limit);
        while (true)
        {
            var changed = Volatile.Read(ref _changed).Task;
            if (done()) return;
            await changed.WaitAsync(cts.Token);
        }
    }
}

internal sealed class ProbeRunner(Probe probe, string node) : IWorkRunner
{
    public string Kind => Probe.Kind;

    public Task RunAsync(string subjectId, CancellationToken ct)
    {
        probe.Ran(subjectId, node);
        return Task.CompletedTask;
    }
}
