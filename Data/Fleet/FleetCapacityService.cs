using Dashboard.Data.Timeline;
using Microsoft.EntityFrameworkCore;

namespace Dashboard.Data.Fleet;

/// <summary>An administrator's correction of what a facility can offer for a plan, and at what price.</summary>
public sealed class FleetCapacityService(IDbContextFactory<DashboardDbContext> dbFactory, TimeProvider clock)
{
    public async Task SetAsync(string facility, string plan, int available, double? spotPrice, double? hourlyPrice, string actor, CancellationToken ct = default)
    {
        if (available < 0) throw new ValidationException("available", "Capacity cannot be negative.");
        if (spotPrice < 0) throw new ValidationException("spot_price", "The spot price cannot be negative.");
        if (hourlyPrice < 0) throw new ValidationException("hourly_price", "The hourly price cannot be negative.");

        await using var db = await dbFactory.CreateDbContextAsync(ct);
        if (!await db.Facilities.AnyAsync(f => f.Code == facility, ct)) throw new NotFoundException("Facility", facility);
        var planRow = await db.Plans.SingleOrDefaultAsync(p => p.Slug == plan, ct) ?? throw new NotFoundException("Plan", plan);
        var row = await db.FacilityCapacities.SingleOrDefaultAsync(c => c.FacilityCode == facility && c.PlanSlug == plan, ct);
        if (row is null) db.FacilityCapacities.Add(row = new FacilityCapacity { FacilityCode = facility, PlanSlug = plan });
        row.Available = available;
        row.SpotPrice = spotPrice;
        if (hourlyPrice is { } price) planRow.HourlyPrice = price;
        db.Timeline.Add(new TimelineEntry
        {
            Source = TimelineSources.System,
            SubjectType = "capacity",
            SubjectId = $"{facility}/{plan}",
            Status = TimelineStatuses.Info,
            Title = $"Capacity of {plan} in {facility} set to {available}",
            Actor = actor,
            OccurredAt = clock.GetUtcNow().UtcDateTime,
        });
        await db.SaveChangesAsync(ct);
    }
}
