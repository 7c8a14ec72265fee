using Dashboard.Data.Audit;
using Dashboard.Data.Timeline;
using Microsoft.EntityFrameworkCore;

namespace Dashboard.Data.Fleet;

/// <summary>What one facility can offer for a plan right now.</summary>
public sealed record FacilityAvailability(string Code, int Available, double? SpotPrice = null);

/// <summary>
/// Capacity of one plan in one facility: the total the provider has, and how many of them devices
/// hold (<see cref="Used"/>, counted, never stored). A total below what is used is over-committed:
/// nothing is available and <see cref="OverCommitted"/> says by how much.
/// </summary>
public sealed record CapacityLine(string Facility, string Plan, int Total, int Used, double? SpotPrice)
{
    public int Available => Math.Max(0, Total - Used);

    public int OverCommitted => Math.Max(0, Used - Total);
}

/// <summary>
/// Capacity of the fleet, with one rule (docs/decisions/0007): available = total − devices holding a
/// server. A device holds a server from the moment it is placed (provisioning: the in-flight
/// reservation) until it is removed or fails. Totals come from the fleet file and the Fleet page;
/// what is used is counted from the devices table, so restarts, crashes, re-imports and deletions
/// cannot make it drift. Every capability that places devices goes through <see cref="ClaimAsync"/>
/// and <see cref="AddDevicesAsync"/>; nothing else writes capacity.
/// </summary>
public sealed class FleetCapacityService(IDbContextFactory<DashboardDbContext> dbFactory, TimeProvider clock, AuditLog audit)
{
    public async Task<List<CapacityLine>> LinesAsync(CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await LinesAsync(db, null, ct);
    }

    /// <summary>Every plan and facility with a total or with devices (a device where the total is 0 is over-committed), by facility then plan.</summary>
    public static async Task<List<CapacityLine>> LinesAsync(DashboardDbContext db, string? plan, CancellationToken ct)
    {
        var totals = db.FacilityCapacities.AsNoTracking();
        if (plan is not null) totals = totals.Where(c => c.PlanSlug == plan);
        var rows = await totals.ToListAsync(ct);
        var used = await UsedAsync(db, plan, ct);
        var lines = rows.ToDictionary(r => (r.FacilityCode, r.PlanSlug), r => new CapacityLine(r.FacilityCode, r.PlanSlug, r.Total, used.GetValueOrDefault((r.FacilityCode, r.PlanSlug)), r.SpotPrice));
        foreach (var ((facility, p), count) in used)
            lines.TryAdd((facility, p), new CapacityLine(facility, p, 0, count, null));
        return [.. lines.Values.OrderBy(l => l.Facility, StringComparer.Ordinal).ThenBy(l => l.Plan, StringComparer.Ordinal)];
    }

    /// <summary>What every facility can offer for <paramref name="plan"/> now (0 where it has no such servers), by facility code.</summary>
    public async Task<List<FacilityAvailability>> AvailabilityAsync(string plan, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await AvailabilityAsync(db, plan, ct);
    }

    /// <inheritdoc cref="AvailabilityAsync(string, CancellationToken)"/>
    public static async Task<List<FacilityAvailability>> AvailabilityAsync(DashboardDbContext db, string plan, CancellationToken ct)
    {
        var lines = (await LinesAsync(db, plan, ct)).ToDictionary(l => l.Facility);
        var codes = await db.Facilities.OrderBy(f => f.Code).Select(f => f.Code).ToListAsync(ct);
        return [.. codes.Select(code => lines.TryGetValue(code, out var l)
            ? new FacilityAvailability(code, l.Available, l.SpotPrice)
            : new FacilityAvailability(code, 0))];
    }

    /// <summary>
    /// Inside the caller's transaction: holds the capacity of <paramref name="plan"/> until commit and
    /// returns what is available. Place against this, then <see cref="AddDevicesAsync"/>. On SQLite the
    /// transaction is BEGIN IMMEDIATE, so writers are serialised anyway; on PostgreSQL the no-op update
    /// of the plan's row is the lock, so a concurrent claim waits and then counts this one's devices.
    /// </summary>
    public static async Task<List<FacilityAvailability>> ClaimAsync(DashboardDbContext db, string plan, CancellationToken ct)
    {
        if (db.Database.CurrentTransaction is null) throw new InvalidOperationException("Capacity is claimed inside the caller's transaction.");
        await db.Plans.Where(p => p.Slug == plan).ExecuteUpdateAsync(s => s.SetProperty(p => p.HourlyPrice, p => p.HourlyPrice), ct);
        return await AvailabilityAsync(db, plan, ct);
    }

    /// <summary>
    /// Adds devices that hold servers, inside the caller's transaction, after <see cref="ClaimAsync"/>
    /// for each of their plans. Throws <see cref="ConflictException"/> rather than overbook.
    /// </summary>
    public static async Task AddDevicesAsync(DashboardDbContext db, IReadOnlyList<Device> devices, CancellationToken ct)
    {
        foreach (var plan in devices.Where(d => d.PlanSlug is not null).GroupBy(d => d.PlanSlug!))
        {
            var available = (await LinesAsync(db, plan.Key, ct)).ToDictionary(l => l.Facility, l => l.Available);
            var over = plan.Where(d => d.FacilityCode is not null).GroupBy(d => d.FacilityCode!).FirstOrDefault(g => g.Count() > available.GetValueOrDefault(g.Key));
            if (over is not null)
                throw new ConflictException($"{over.Key} has {available.GetValueOrDefault(over.Key)} {plan.Key} available, not {over.Count()}.");
        }
        await DeviceRows.InsertAsync(db, devices, ct);
    }

    /// <summary>Removes devices, and with them their hold on servers, in the caller's context.</summary>
    public static void Release(DashboardDbContext db, IEnumerable<Device> devices) => db.Devices.RemoveRange(devices);

    /// <summary>
    /// An administrator's correction of the total a facility has of a plan (never what is available:
    /// that follows from the devices), and of its prices. A total below what is in use is allowed and
    /// shows as over-committed.
    /// </summary>
    public async Task SetTotalAsync(string facility, string plan, int total, double? spotPrice, double? hourlyPrice, string actor, CancellationToken ct = default)
    {
        audit.Attempt(AuditActions.FleetCapacity, AuditTargets.Capacity, $"{facility}/{plan}");
        if (total < 0) throw new ValidationException("total", "The total cannot be negative.");
        if (spotPrice < 0) throw new ValidationException("spot_price", "The spot price cannot be negative.");
        if (hourlyPrice < 0) throw new ValidationException("hourly_price", "The hourly price cannot be negative.");

        await using var db = await dbFactory.CreateDbContextAsync(ct);
        if (!await db.Facilities.AnyAsync(f => f.Code == facility, ct)) throw new NotFoundException("Facility", facility);
        var planRow = await db.Plans.SingleOrDefaultAsync(p => p.Slug == plan, ct) ?? throw new NotFoundException("Plan", plan);
        var row = await db.FacilityCapacities.SingleOrDefaultAsync(c => c.FacilityCode == facility && c.PlanSlug == plan, ct);
        if (row is null) db.FacilityCapacities.Add(row = new FacilityCapacity { FacilityCode = facility, PlanSlug = plan });
        var before = row.Total;
        row.Total = total;
        row.SpotPrice = spotPrice;
        if (hourlyPrice is { } price) planRow.HourlyPrice = price;
        var used = (await UsedAsync(db, plan, ct)).GetValueOrDefault((facility, plan));
        db.Timeline.Add(new TimelineEntry
        {
            Source = TimelineSources.System,
            SubjectType = SubjectKinds.Capacity,
            SubjectId = $"{facility}/{plan}",
            Status = TimelineStatuses.Info,
            Title = $"Capacity of {plan} in {facility}: total {before} → {total}, {used} in use{(used > total ? $", over-committed by {used - total}" : "")}",
            Actor = actor,
            OccurredAt = clock.GetUtcNow().UtcDateTime,
        });
        audit.Add(db, AuditActions.FleetCapacity, AuditTargets.Capacity, $"{facility}/{plan}",
            $"Total {before} → {total}{(spotPrice is null ? "" : $", spot price {spotPrice}")}{(hourlyPrice is null ? "" : $", hourly price {hourlyPrice}")}.");
        await db.SaveChangesAsync(ct);
    }

    /// <summary>Servers held by devices, by facility and plan: every device that has both and has not failed.</summary>
    internal static async Task<Dictionary<(string Facility, string Plan), int>> UsedAsync(DashboardDbContext db, string? plan, CancellationToken ct)
    {
        var devices = db.Devices.Where(d => d.FacilityCode != null && d.PlanSlug != null && d.State != DeviceStates.Failed);
        if (plan is not null) devices = devices.Where(d => d.PlanSlug == plan);
        var counts = await devices.GroupBy(d => new { d.FacilityCode, d.PlanSlug })
            .Select(g => new { g.Key.FacilityCode, g.Key.PlanSlug, Count = g.Count() })
            .ToListAsync(ct);
        return counts.ToDictionary(c => (c.FacilityCode!, c.PlanSlug!), c => c.Count);
    }
}
