using System.Globalization;
using System.Runtime.CompilerServices;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;
using NpgsqlTypes;

namespace Dashboard.Data.Rollouts;

/// <summary>
/// Inserts a rollout's device rows inside the caller's transaction. A 100,000-device rollout must be
/// planned in seconds; EF's change tracker costs about half a millisecond per row on SQLite, so
/// there one prepared INSERT is reused for every row. On PostgreSQL EF took 14 to 15 seconds for
/// 100,000 rows (docs/BENCHMARKS.md), so there the rows go in with one binary COPY.
/// Neither path tracks the rows, so the caller's tracked rollout and phases are left as they were.
/// </summary>
internal static class DeviceDeploymentRows
{
    public static Task InsertAsync(DashboardDbContext db, IReadOnlyList<DeviceDeployment> rows, CancellationToken ct)
    {
        _ = db.Database.CurrentTransaction ?? throw new InvalidOperationException("Device rows are inserted inside the rollout's transaction.");
        return db.Database.IsSqlite() ? InsertOnSqliteAsync(db, rows, ct) : CopyOnPostgresAsync(db, rows, ct);
    }

    private static async Task InsertOnSqliteAsync(DashboardDbContext db, IReadOnlyList<DeviceDeployment> rows, CancellationToken ct)
    {
        var connection = (SqliteConnection)db.Database.GetDbConnection();
        await using var command = connection.CreateCommand();
        command.Transaction = (SqliteTransaction)db.Database.CurrentTransaction!.GetDbTransaction();
        command.CommandText = """
            INSERT INTO "DeviceDeployments" ("RolloutId", "DeviceId", "PhaseIndex", "Status", "Attempts", "DeviceType", "HasLog", "CreatedAt", "FinishedAt")
            VALUES ($rollout, $device, $phase, $status, 0, $type, 0, $created, $finished)
            """;
        var p = new[] { "$rollout", "$device", "$phase", "$status", "$type", "$created", "$finished" }
            .Select(name => command.Parameters.Add(new SqliteParameter { ParameterName = name })).ToArray();
        await command.PrepareAsync(ct);
        foreach (var row in rows)
        {
            object?[] values =
            [
                row.RolloutId, row.DeviceId, row.PhaseIndex, row.Status, row.DeviceType,
                // The same text form EF uses for DateTime on SQLite.
                row.CreatedAt.ToString("yyyy-MM-dd HH:mm:ss.FFFFFFF", CultureInfo.InvariantCulture),
                row.FinishedAt?.ToString("yyyy-MM-dd HH:mm:ss.FFFFFFF", CultureInfo.InvariantCulture),
            ];
            for (var i = 0; i < p.Length; i++) p[i].Value = values[i] ?? DBNull.Value;
            await command.ExecuteNonQueryAsync(ct);
        }
    }

    // Out of line so the Npgsql assemblies are only loaded when PostgreSQL is selected (as in DashboardDbContextFactory).
    // COPY runs on the context's connection, so it is part of the transaction open on it.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static async Task CopyOnPostgresAsync(DashboardDbContext db, IReadOnlyList<DeviceDeployment> rows, CancellationToken ct)
    {
        var connection = (NpgsqlConnection)db.Database.GetDbConnection();
        await using var writer = await connection.BeginBinaryImportAsync("""
            COPY "DeviceDeployments" ("RolloutId", "DeviceId", "PhaseIndex", "Status", "Attempts", "DeviceType", "HasLog", "CreatedAt", "FinishedAt")
            FROM STDIN (FORMAT BINARY)
            """, ct);
        foreach (var row in rows)
        {
            await writer.StartRowAsync(ct);
            await writer.WriteAsync(row.RolloutId, NpgsqlDbType.Varchar, ct);
            await writer.WriteAsync(row.DeviceId, NpgsqlDbType.Varchar, ct);
            await writer.WriteAsync(row.PhaseIndex, NpgsqlDbType.Integer, ct);
            await writer.WriteAsync(row.Status, NpgsqlDbType.Varchar, ct);
            await writer.WriteAsync(row.Attempts, NpgsqlDbType.Integer, ct);
            if (row.DeviceType is { } type) await writer.WriteAsync(type, NpgsqlDbType.Varchar, ct);
            else await writer.WriteNullAsync(ct);
            await writer.WriteAsync(row.HasLog, NpgsqlDbType.Boolean, ct);
            await writer.WriteAsync(row.CreatedAt, NpgsqlDbType.TimestampTz, ct);
            if (row.FinishedAt is { } finished) await writer.WriteAsync(finished, NpgsqlDbType.TimestampTz, ct);
            else await writer.WriteNullAsync(ct);
        }
        await writer.CompleteAsync(ct);
    }
}
