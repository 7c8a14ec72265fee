using System.Globalization;
using Microsoft.EntityFrameworkCore;

namespace Dashboard.Data.Work;

/// <summary>
/// The start-up reconcile steps' "is anything unfinished?", asked in plain SQL before a step runs its own
/// query. On an idle restart no step finds anything, yet each step's LINQ query is a shape EF compiles once
/// and keeps for the life of the process (expression trees, a materializer, the query pipeline's code for
/// includes, ordering and distinct): skipping them saves about 1.3 MB of an idle restart (docs/BENCHMARKS.md,
/// "Idle memory", tenth session). A plain command skips EF's query pipeline. Each caller states the same rows
/// its reconcile query reads; ReconcileStepPendingTests holds the two together for every state.
/// </summary>
internal static class ReconcileCheck
{
    /// <summary>True when <paramref name="select"/> (a SELECT over the caller's table) returns a row.</summary>
    public static async Task<bool> AnyAsync(IDbContextFactory<DashboardDbContext> dbFactory, string select, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        // Opened through EF, so the connection interceptors (SQLite's busy timeout) apply as to any query.
        await db.Database.OpenConnectionAsync(ct);
        await using var command = db.Database.GetDbConnection().CreateCommand();
        command.CommandText = $"SELECT EXISTS ({select})";
        // SQLite answers 0 or 1 (an integer), PostgreSQL a boolean.
        return Convert.ToBoolean(await command.ExecuteScalarAsync(ct), CultureInfo.InvariantCulture);
    }
}
