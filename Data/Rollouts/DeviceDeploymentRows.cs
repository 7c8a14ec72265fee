using System.Globalization;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;

namespace Dashboard.Data.Rollouts;

/// <summary>
/// Inserts a rollout's device rows inside the caller's transaction. A 100,000-device rollout must be
/// planned in seconds; EF's change tracker costs about half a millisecond per row on SQLite, so
/// there one prepared INSERT is reused for every row. Other providers use EF.
/// </summary>
internal static class DeviceDeploymentRows
{
    public static async Task InsertAsync(DashboardDbContext db, IReadOnlyList<DeviceDeployment> rows, CancellationToken ct)
    {
        if (!db.Database.IsSqlite())
        {
            db.DeviceDeployments.AddRange(rows);
            await db.SaveChangesAsync(ct);
            // Only the device rows leave the change tracker (memory). Not ChangeTracker.Clear(): the
            // caller's rollout and phases must stay tracked, or the first phase it starts after this
            // (StartedAt, state inprogress) never reaches the database while its timeline line and
            // change event do, and the rollout stays "scheduled" with its first phase never started.
            foreach (var row in rows) db.Entry(row).State = EntityState.Detached;
            return;
        }

        var connection = (SqliteConnection)db.Database.GetDbConnection();
        await using var command = connection.CreateCommand();
        command.Transaction = (SqliteTransaction?)db.Database.CurrentTransaction?.GetDbTransaction()
            ?? throw new InvalidOperationException("Device rows are inserted inside the rollout's transaction.");
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
}
