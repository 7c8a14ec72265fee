using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Dashboard.App.Tests.Infrastructure;

/// <summary>
/// A throw-away PostgreSQL 15 server for the tests that are about PostgreSQL: initdb into a
/// temp directory as the <c>postgres</c> user, listening on a free loopback port, stopped at the end.
/// Set DASHBOARD_TEST_POSTGRES to a connection string to use an existing server instead.
/// </summary>
public sealed class PostgresFixture : IAsyncLifetime
{
    private const string Bin = "/usr/local/bin";
    private string? _dataDirectory;

    public string? ConnectionStringBase { get; private set; }

    /// <summary>Why PostgreSQL is unavailable here, or null when it is running.</summary>
    public string? Unavailable { get; private set; }

    public async ValueTask InitializeAsync()
    {
        var external = Environment.GetEnvironmentVariable("DASHBOARD_TEST_POSTGRES");
        if (!string.IsNullOrWhiteSpace(external))
        {
            ConnectionStringBase = external;
            return;
        }
        if (!File.Exists(Path.Combine(Bin, "initdb")))
        {
            Unavailable = $"PostgreSQL server binaries are not in {Bin}";
            return;
        }

        _dataDirectory = Path.Combine(Path.GetTempPath(), "dashboard-pg-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(_dataDirectory);
        var port = FreePort();
        // initdb refuses to run as root; run the server as the postgres user.
        await RunAsync("chown", $"postgres {_dataDirectory}");
        await RunAsync("runuser", $"-u postgres -- {Bin}/initdb -D {_dataDirectory}/db -A trust -U postgres --no-sync");
        await RunAsync("runuser", $"-u postgres -- {Bin}/pg_ctl -D {_dataDirectory}/db -l {_dataDirectory}/log -w -o \"-p {port} -k {_dataDirectory} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200\" start");
        // Generous timeouts: CI runs this beside other test collections on 2 cores.
        ConnectionStringBase = $"Host=127.0.0.1;Port={port};Username=postgres;Timeout=60;Command Timeout=120";
    }

    /// <summary>A connection string to a database of its own (created on first use by the migrations).</summary>
    public string NewDatabase() =>
        ConnectionStringBase + ";Database=dashboard_" + Guid.NewGuid().ToString("N")[..12];

    public async ValueTask DisposeAsync()
    {
        if (_dataDirectory is null) return;
        try { await RunAsync("runuser", $"-u postgres -- {Bin}/pg_ctl -D {_dataDirectory}/db -m fast -w stop"); }
        finally { Directory.Delete(_dataDirectory, recursive: true); }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task RunAsync(string file, string arguments)
    {
        using var process = Process.Start(new ProcessStartInfo(file, arguments)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = "/tmp",
        })!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{file} {arguments} exited {process.ExitCode}: {await output}{await error}");
    }
}
