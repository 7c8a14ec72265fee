using Dashboard.Data.Timeline;
using Microsoft.EntityFrameworkCore;

namespace Dashboard.Data.Fleet;

/// <summary>What one facility can offer for a plan right now.</summary>
public sealed record FacilityAvailability(string Code, int Available, double? SpotPrice = null);

/// <summary>A number of servers of one plan wanted in one facility.</summary>
public sealed record CapacityClaim(string Facility, string Plan, int Count);

/// <summary>
/// Capacity of the fleet: what each facility can offer, reserving and releasing servers, and the
/// administrator's corrections. Every capability that places devices (batches now) goes through it.
/// </summary>
public sealed class FleetCapacityService(IDbContextFactory<DashboardDbContext> dbFactory, TimeProvider clock)
{
    /// <summary>What every facility can offer for <paramref name="plan"/> now (0 where it has no such servers), by facility code.</summary>
    public async Task<List<FacilityAvailability>> AvailabilityAsync(string plan, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await AvailabilityAsync(db, plan, ct);
    }

    /// <inheritdoc cref="AvailabilityAsync(string, CancellationToken)"/>
    public static async Task<List<FacilityAvailability>> AvailabilityAsync(DashboardDbContext db, string plan, CancellationToken ct)
    {
        var rows = await db.FacilityCapacities.AsNoTracking().Where(c => c.PlanSlug == plan).ToDictionaryAsync(c => c.FacilityCode, ct);
        var codes = await db.Facilities.OrderBy(f => f.Code).Select(f => f.Code).ToListAsync(ct);
        return [.. codes.Select(code => rows.TryGetValue(code, out var c)
            ? new FacilityAvailability(code, c.Available, c.SpotPrice)
            : new FacilityAvailability(code, 0))];
    }

    /// <summary>
    /// Takes the claimed servers inside the caller's transaction, all or none: false when any facility
    /// no longer has room (another reservation won the race; the caller rolls back and places again).
    /// </summary>
    public static async Task<bool> TryReserveAsync(DashboardDbContext db, IEnumerable<CapacityClaim> claims, CancellationToken ct)
    {
        foreach (var claim in claims)
        {
            // The conditional UPDATE is what keeps two concurrent reservations on PostgreSQL from
            // overbooking; on SQLite the caller's transaction is BEGIN IMMEDIATE, so they are serialised anyway.
            var reserved = await db.FacilityCapacities
                .Where(c => c.FacilityCode == claim.Facility && c.PlanSlug == claim.Plan && c.Available >= claim.Count)
                .ExecuteUpdateAsync(s => s.SetProperty(c => c.Available, c => c.Available - claim.Count), ct);
            if (reserved != 1) return false;
        }
        return true;
    }

    /// <summary>Gives the servers of <paramref name="devices"/> back to their facilities, inside the caller's transaction.</summary>
    public static async Task ReleaseAsync(DashboardDbContext db, IEnumerable<Device> devices, CancellationToken ct)
    {
        foreach (var group in devices.Where(d => d.FacilityCode is not null && d.PlanSlug is not null).GroupBy(d => (d.FacilityCode!, d.PlanSlug!)))
        {
            var (facility, plan) = group.Key;
            var count = group.Count();
            await db.FacilityCapacities.Where(c => c.FacilityCode == facility && c.PlanSlug == plan)
                .ExecuteUpdateAsync(s => s.SetProperty(c => c.Available, c => c.Available + count), ct);
        }
    }

    /// <summary>An administrator's correction of what a facility can offer for a plan, and at what price.</summary>
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
            SubjectType = SubjectKinds.Capacity,
            SubjectId = $"{facility}/{plan}",
            Status = TimelineStatuses.Info,
            Title = $"Capacity of {plan} in {facility} set to {available}",
            Actor = actor,
            OccurredAt = clock.GetUtcNow().UtcDateTime,
        });
        await db.SaveChangesAsync(ct);
    }
}
