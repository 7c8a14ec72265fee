using Dashboard.Data.Changes;
using Microsoft.EntityFrameworkCore;

namespace Dashboard.Data.Delivery;

/// <summary>The four delivery numbers for a set of changes; times in seconds, null where nothing was measured.</summary>
public sealed record DeliveryFigures(
    int Deployments, int Failures, double DeploymentsPerDay, double? ChangeFailureRate,
    double? MedianLeadTimeSeconds, double? MedianTimeToRestoreSeconds, int Restored, int Unrestored);

/// <summary>One UTC day of the period: finished deployments by outcome.</summary>
public sealed record DeliveryDay(DateOnly Date, int Succeeded, int Failed);

public sealed record ComponentDelivery(string Component, DeliveryFigures Figures);

public sealed record DeliveryReport(int Days, string? Component, DateTime From, DateTime To, DeliveryFigures Overall,
    IReadOnlyList<DeliveryDay> Daily, IReadOnlyList<ComponentDelivery> Components);

/// <summary>
/// Delivery metrics from the change events every capability records (tools' deployments and this
/// product's batches, rollouts and canaries alike). A deployment is a change that ended with success or
/// failure in the period (canceled and open ones are not deployments). Lead time is start to end (ends
/// with no start are left out). Time to restore is from a component's failure to its next success; a run
/// of failures counts once, from its first. One query reads the period's finished changes (five columns);
/// the rest is arithmetic, the same on SQLite and PostgreSQL.
/// </summary>
public sealed class DeliveryMetricsService(IDbContextFactory<DashboardDbContext> dbFactory, TimeProvider clock)
{
    public static readonly IReadOnlyList<int> Periods = [7, 30, 90];

    private sealed record Finished(string Component, bool Failed, DateTime StartedAt, DateTime EndedAt, bool StartMissing);

    public async Task<DeliveryReport> ReportAsync(int days, string? component = null, CancellationToken ct = default)
    {
        if (!Periods.Contains(days)) throw new ValidationException("days", $"days must be one of {string.Join(", ", Periods)}.");
        component = string.IsNullOrWhiteSpace(component) ? null : component.Trim();
        if (component?.Length > 200) throw new ValidationException("component", "A component name is at most 200 characters.");

        var to = clock.GetUtcNow().UtcDateTime;
        // Whole UTC days: today counts as the last of them.
        var from = to.Date.AddDays(1 - days);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var query = db.Changes.AsNoTracking()
            .Where(c => c.EndedAt >= from && c.EndedAt <= to && (c.Status == ChangeStatuses.Success || c.Status == ChangeStatuses.Failure));
        if (component is not null) query = query.Where(c => c.Component == component);
        var finished = (await query
                .Select(c => new { c.Component, c.Status, c.StartedAt, c.EndedAt, c.StartMissing })
                .ToListAsync(ct))
            .Select(c => new Finished(c.Component, c.Status == ChangeStatuses.Failure, c.StartedAt, c.EndedAt!.Value, c.StartMissing))
            .OrderBy(c => c.EndedAt)
            .ToList();

        var daily = Enumerable.Range(0, days).Select(i => DateOnly.FromDateTime(from.AddDays(i)))
            .GroupJoin(finished, day => day, c => DateOnly.FromDateTime(c.EndedAt),
                (day, cs) => new DeliveryDay(day, cs.Count(c => !c.Failed), cs.Count(c => c.Failed)))
            .ToList();
        var components = finished.GroupBy(c => c.Component, StringComparer.Ordinal)
            .Select(g => new ComponentDelivery(g.Key, Figures([.. g], days)))
            .OrderByDescending(c => c.Figures.Deployments).ThenBy(c => c.Component, StringComparer.Ordinal)
            .ToList();
        return new DeliveryReport(days, component, from, to, Figures(finished, days), daily, components);
    }

    private static DeliveryFigures Figures(IReadOnlyList<Finished> finished, int days)
    {
        var failures = finished.Count(c => c.Failed);
        var leadTimes = finished.Where(c => !c.StartMissing).Select(c => (c.EndedAt - c.StartedAt).TotalSeconds).ToList();
        var (restores, unrestored) = Restores(finished);
        return new DeliveryFigures(
            finished.Count, failures, Math.Round((double)finished.Count / days, 2),
            finished.Count == 0 ? null : Math.Round((double)failures / finished.Count, 4),
            Median(leadTimes), Median(restores), restores.Count, unrestored);
    }

    /// <summary>Per component, in time order: each run of failures ends at the next success.</summary>
    private static (List<double> Restores, int Unrestored) Restores(IReadOnlyList<Finished> finished)
    {
        var restores = new List<double>();
        var unrestored = 0;
        foreach (var lane in finished.GroupBy(c => c.Component, StringComparer.Ordinal))
        {
            DateTime? brokenSince = null;
            foreach (var change in lane.OrderBy(c => c.EndedAt))
            {
                if (change.Failed) brokenSince ??= change.EndedAt;
                else if (brokenSince is { } since)
                {
                    restores.Add((change.EndedAt - since).TotalSeconds);
                    brokenSince = null;
                }
            }
            if (brokenSince is not null) unrestored++;
        }
        return (restores, unrestored);
    }

    private static double? Median(List<double> values)
    {
        if (values.Count == 0) return null;
        values.Sort();
        var middle = values.Count / 2;
        return values.Count % 2 == 1 ? values[middle] : (values[middle - 1] + values[middle]) / 2;
    }
}
