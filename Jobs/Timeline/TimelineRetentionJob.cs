using Dashboard.Data;
using Hangfire;
using Microsoft.EntityFrameworkCore;

namespace Dashboard.Jobs.Timeline;

/// <summary>Keeps the timeline to a bounded age. Recurring daily; safe to run any number of times.</summary>
public sealed class TimelineRetentionJob(IDbContextFactory<DashboardDbContext> dbFactory, TimeProvider clock)
{
    public const string RecurringId = "timeline-retention";
    public static readonly TimeSpan KeepFor = TimeSpan.FromDays(90);

    [DisableConcurrentExecution(timeoutInSeconds: 60)]
    public async Task<int> RunAsync(CancellationToken ct)
    {
        var cutoff = clock.GetUtcNow().UtcDateTime - KeepFor;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.Timeline.Where(e => e.OccurredAt < cutoff).ExecuteDeleteAsync(ct);
    }
}
