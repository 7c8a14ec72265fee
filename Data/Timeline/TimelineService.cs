using Microsoft.EntityFrameworkCore;

namespace Dashboard.Data.Timeline;

/// <summary>What a reader wants to see of the timeline. Empty fields match everything.</summary>
public sealed record TimelineFilter(
    string? Source = null,
    string? Component = null,
    string? Host = null,
    string? Status = null,
    DateTime? Since = null)
{
    public static readonly TimelineFilter None = new();

    /// <summary>The same rule in memory, for entries that arrive live.</summary>
    public bool Matches(TimelineEntry e) =>
        (string.IsNullOrEmpty(Source) || e.Source == Source) &&
        (string.IsNullOrEmpty(Component) || string.Equals(e.Component, Component, StringComparison.OrdinalIgnoreCase)) &&
        (string.IsNullOrEmpty(Host) || e.Hosts.Contains(Host, StringComparer.OrdinalIgnoreCase)) &&
        (string.IsNullOrEmpty(Status) || e.Status == Status) &&
        (Since is null || e.OccurredAt >= Since);
}

public sealed class TimelineService(IDbContextFactory<DashboardDbContext> dbFactory, TimeProvider clock)
{
    /// <summary>Newest first.</summary>
    public async Task<List<TimelineEntry>> RecentAsync(TimelineFilter filter, int take = 200, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var query = db.Timeline.AsNoTracking();
        if (!string.IsNullOrEmpty(filter.Source)) query = query.Where(e => e.Source == filter.Source);
        if (!string.IsNullOrEmpty(filter.Component)) query = query.Where(e => e.Component == filter.Component);
        if (!string.IsNullOrEmpty(filter.Status)) query = query.Where(e => e.Status == filter.Status);
        if (filter.Since is { } since) query = query.Where(e => e.OccurredAt >= since);
        query = query.OrderByDescending(e => e.Id);
        if (string.IsNullOrEmpty(filter.Host)) return await query.Take(take).ToListAsync(ct);

        // Hosts is a JSON column; filter it in memory over a bounded window.
        var window = await query.Take(take * 20).ToListAsync(ct);
        return [.. window.Where(filter.Matches).Take(take)];
    }

    /// <summary>Records an entry on its own (for events that are not part of a larger change).</summary>
    public async Task<TimelineEntry> RecordAsync(TimelineEntry entry, CancellationToken ct = default)
    {
        if (entry.OccurredAt == default) entry.OccurredAt = clock.GetUtcNow().UtcDateTime;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        db.Timeline.Add(entry);
        await db.SaveChangesAsync(ct);
        return entry;
    }

    public async Task<int> CountAsync(CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.Timeline.CountAsync(ct);
    }
}
