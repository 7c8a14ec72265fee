using Microsoft.EntityFrameworkCore;

namespace Dashboard.Data.Timeline;

/// <summary>What a reader wants to see of the timeline. Empty fields match everything.</summary>
public sealed record TimelineFilter(
    string? Source = null,
    string? Component = null,
    string? Host = null,
    string? Status = null,
    DateTime? Since = null,
    long? BeforeId = null)
{
    public static readonly TimelineFilter None = new();

    /// <summary>The same rule in memory, for entries that arrive live.</summary>
    public bool Matches(TimelineEntry e) =>
        (string.IsNullOrEmpty(Source) || e.Source == Source) &&
        (string.IsNullOrEmpty(Component) || string.Equals(e.Component, Component, StringComparison.OrdinalIgnoreCase)) &&
        (string.IsNullOrEmpty(Host) || e.Hosts.Contains(Host, StringComparer.OrdinalIgnoreCase)) &&
        (string.IsNullOrEmpty(Status) || e.Status == Status) &&
        (Since is null || e.OccurredAt >= Since) &&
        (BeforeId is null || e.Id < BeforeId);
}

public sealed class TimelineService(IDbContextFactory<DashboardDbContext> dbFactory, TimeProvider clock)
{
    /// <summary>Newest first.</summary>
    public async Task<List<TimelineEntry>> RecentAsync(TimelineFilter filter, int take = 200, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var query = Where(db.Timeline.AsNoTracking(), filter).OrderByDescending(e => e.Id);
        if (string.IsNullOrEmpty(filter.Host)) return await query.Take(take).ToListAsync(ct);

        // Hosts is a JSON column; filter it in memory over a bounded window.
        var window = await query.Take(take * 20).ToListAsync(ct);
        return [.. window.Where(filter.Matches).Take(take)];
    }

    /// <summary>
    /// How many entries match, for a live page's "N more". Null with a host filter: hosts are a JSON
    /// column that is only filtered in memory over a bounded window, so no exact count exists.
    /// </summary>
    public async Task<long?> CountAsync(TimelineFilter filter, CancellationToken ct = default)
    {
        if (!string.IsNullOrEmpty(filter.Host)) return null;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await Where(db.Timeline.AsNoTracking(), filter).LongCountAsync(ct);
    }

    private static IQueryable<TimelineEntry> Where(IQueryable<TimelineEntry> query, TimelineFilter filter)
    {
        if (!string.IsNullOrEmpty(filter.Source)) query = query.Where(e => e.Source == filter.Source);
        if (!string.IsNullOrEmpty(filter.Component)) query = query.Where(e => e.Component == filter.Component);
        if (!string.IsNullOrEmpty(filter.Status)) query = query.Where(e => e.Status == filter.Status);
        if (filter.Since is { } since) query = query.Where(e => e.OccurredAt >= since);
        if (filter.BeforeId is { } before) query = query.Where(e => e.Id < before);
        return query;
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
