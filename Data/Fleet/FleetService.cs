using Microsoft.EntityFrameworkCore;

namespace Dashboard.Data.Fleet;

public sealed record FleetSummary(
    IReadOnlyList<Project> Projects,
    IReadOnlyList<Plan> Plans,
    IReadOnlyList<OperatingSystem> OperatingSystems,
    IReadOnlyList<Facility> Facilities,
    IReadOnlyDictionary<string, int> DevicesByFacility,
    int DeviceCount,
    IReadOnlyList<CapacityLine> Capacity)
{
    public CapacityLine? CapacityOf(string facility, string plan) => Capacity.FirstOrDefault(c => c.Facility == facility && c.Plan == plan);
}

public sealed class FleetService(IDbContextFactory<DashboardDbContext> dbFactory)
{
    public async Task<FleetSummary> SummaryAsync(CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var projects = await db.Projects.AsNoTracking().OrderBy(p => p.Name).ToListAsync(ct);
        var plans = await db.Plans.AsNoTracking().OrderBy(p => p.HourlyPrice).ToListAsync(ct);
        var systems = await db.OperatingSystems.AsNoTracking().OrderBy(o => o.Name).ToListAsync(ct);
        var facilities = await db.Facilities.AsNoTracking().Include(f => f.Capacity).OrderBy(f => f.Code).ToListAsync(ct);
        var byFacility = await db.Devices.AsNoTracking()
            .Where(d => d.FacilityCode != null)
            .GroupBy(d => d.FacilityCode!)
            .Select(g => new { g.Key, Count = g.Count() })
            .ToDictionaryAsync(x => x.Key, x => x.Count, ct);
        var count = await db.Devices.CountAsync(ct);
        var capacity = await FleetCapacityService.LinesAsync(db, null, ct);
        return new FleetSummary(projects, plans, systems, facilities, byFacility, count, capacity);
    }

    public async Task<List<Device>> DevicesAsync(string? search, int take = 500, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var query = db.Devices.AsNoTracking();
        if (!string.IsNullOrWhiteSpace(search)) query = query.Where(d => d.Hostname.Contains(search) || (d.Group != null && d.Group.Contains(search)));
        return await query.OrderBy(d => d.Hostname).Take(take).ToListAsync(ct);
    }
}
