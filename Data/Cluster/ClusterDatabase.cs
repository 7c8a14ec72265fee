using System.Runtime.CompilerServices;
using System.Text;
using Npgsql;

namespace Dashboard.Data.Cluster;

/// <summary>
/// What several nodes on one PostgreSQL share besides their tables: session advisory locks, held on
/// a connection of their own, so PostgreSQL releases them the moment a holder's process dies (a
/// SIGKILLed node's socket closes and its backend ends), unlike a lock row that must time out.
/// On SQLite there is one node, <see cref="Enabled"/> is false and every lock is a no-op.
/// See docs/decisions/0014-two-nodes-on-postgresql.md.
/// </summary>
public sealed class ClusterDatabase : IAsyncDisposable
{
    // The two-int form of advisory locks has its own key space, apart from the one-bigint locks EF's
    // migration lock and others take; the first int names this application's locks.
    private const int LockSpace = 0x44534842;

    private readonly object? _dataSource;

    public ClusterDatabase(DashboardSettings settings)
    {
        Enabled = settings.UsesPostgres;
        if (Enabled) _dataSource = CreateDataSource(settings.ConnectionString);
    }

    /// <summary>True when nodes may share the database (PostgreSQL).</summary>
    public bool Enabled { get; }

    internal NpgsqlDataSource DataSource => (NpgsqlDataSource?)_dataSource ?? throw new InvalidOperationException("The cluster is PostgreSQL only.");

    /// <summary>
    /// Waits for the cluster-wide lock <paramref name="name"/> and holds it until the result is disposed.
    /// A no-op on SQLite.
    /// </summary>
    public Task<IAsyncDisposable> LockAsync(string name, CancellationToken ct) =>
        Enabled ? AcquireAsync(Key(name), ct) : NoLock.Task;

    // This and IsHeldByAnother are kept out of line, and LockAsync is not async itself (an async method's
    // state machine is compiled whole): compiling a method that names an Npgsql type loads Npgsql, and on
    // SQLite it must never load (docs/BENCHMARKS.md, "Idle memory"). ClusterDatabaseTests checks.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private async Task<IAsyncDisposable> AcquireAsync(int key, CancellationToken ct) =>
        await HeldLock.AcquireAsync(DataSource, key, ct);

    /// <summary>True when another session (another node's job) holds <paramref name="name"/> right now.</summary>
    public bool IsHeldElsewhere(string name) => Enabled && IsHeldByAnother(name);

    [MethodImpl(MethodImplOptions.NoInlining)]
    private bool IsHeldByAnother(string name)
    {
        using var connection = DataSource.OpenConnection();
        using var command = new NpgsqlCommand("SELECT pg_try_advisory_lock($1, $2)", connection);
        command.Parameters.AddWithValue(LockSpace);
        command.Parameters.AddWithValue(Key(name));
        if (command.ExecuteScalar() is not true) return true;
        HeldLock.Unlock(connection, Key(name));
        return false;
    }

    /// <summary>A stable 32-bit key (FNV-1a) for a lock name: every node computes the same one.</summary>
    internal static int Key(string name)
    {
        var hash = 2166136261u;
        foreach (var b in Encoding.UTF8.GetBytes(name)) hash = (hash ^ b) * 16777619u;
        return unchecked((int)hash);
    }

    // Kept out of line so the Npgsql assemblies are only loaded when PostgreSQL is selected.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static object CreateDataSource(string? connectionString)
    {
        if (string.IsNullOrWhiteSpace(connectionString))
            throw new InvalidOperationException("Dashboard:DatabaseProvider is postgres but Dashboard:ConnectionString is empty.");
        // Keepalives: a listening or lock-holding connection otherwise never notices a vanished server.
        var builder = new NpgsqlConnectionStringBuilder(connectionString) { KeepAlive = 15, ApplicationName = "dashboard-cluster" };
        return NpgsqlDataSource.Create(builder.ConnectionString);
    }

    public async ValueTask DisposeAsync()
    {
        if (_dataSource is IAsyncDisposable d) await d.DisposeAsync();
    }

    private sealed class NoLock : IAsyncDisposable
    {
        public static readonly Task<IAsyncDisposable> Task = System.Threading.Tasks.Task.FromResult<IAsyncDisposable>(new NoLock());
        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }

    private sealed class HeldLock(NpgsqlConnection connection, int key) : IAsyncDisposable
    {
        public static async Task<HeldLock> AcquireAsync(NpgsqlDataSource dataSource, int key, CancellationToken ct)
        {
            var connection = await dataSource.OpenConnectionAsync(ct);
            try
            {
                await using var command = new NpgsqlCommand("SELECT pg_advisory_lock($1, $2)", connection);
                command.Parameters.AddWithValue(LockSpace);
                command.Parameters.AddWithValue(key);
                // Cancelling sends PostgreSQL a cancel request, which ends the wait.
                await command.ExecuteNonQueryAsync(ct);
                return new HeldLock(connection, key);
            }
            catch
            {
                await connection.DisposeAsync();
                throw;
            }
        }

        public static void Unlock(NpgsqlConnection connection, int key)
        {
            using var command = new NpgsqlCommand("SELECT pg_advisory_unlock($1, $2)", connection);
            command.Parameters.AddWithValue(LockSpace);
            command.Parameters.AddWithValue(key);
            command.ExecuteNonQuery();
        }

        public async ValueTask DisposeAsync()
        {
            // Explicitly: a pooled connection is only reset when it is next used, so closing alone
            // would keep the lock held by an idle connection in the pool.
            try
            {
                await using var command = new NpgsqlCommand("SELECT pg_advisory_unlock($1, $2)", connection);
                command.Parameters.AddWithValue(LockSpace);
                command.Parameters.AddWithValue(key);
                await command.ExecuteNonQueryAsync();
            }
            catch (NpgsqlException)
            {
                // The connection is gone, and with it the session and its lock.
            }
            finally
            {
                await connection.DisposeAsync();
            }
        }
    }
}
