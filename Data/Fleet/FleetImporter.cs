using System.Text.Json;
using Dashboard.Data.Timeline;
using Microsoft.EntityFrameworkCore;

namespace Dashboard.Data.Fleet;

/// <summary>What a fleet file holds, and what importing it changed (empty when the database already matched it).</summary>
public sealed record FleetImportResult(int Projects, int Plans, int OperatingSystems, int Facilities, int Devices, IReadOnlyList<string> Changes)
{
    /// <summary>For the log line (a record's own would print the list's type name).</summary>
    public override string ToString() =>
        $"{Projects} projects, {Plans} plans, {OperatingSystems} operating systems, {Facilities} facilities, {Devices} devices, {Changes.Count} changes";
}

/// <summary>
/// Imports a fleet file, the provider's inventory: projects, plans, operating systems, facilities
/// with the TOTAL servers of each plan, and devices that already exist. An upsert keyed on ids,
/// slugs, codes and (project, hostname), in one transaction: only what differs is written, with one
/// timeline entry listing it, so importing the same file again (every start with
/// <c>Dashboard:FleetFile</c>) changes nothing, and a broken file changes nothing. It never says
/// what is used: that is counted from the devices (<see cref="FleetCapacityService"/>).
/// </summary>
public sealed class FleetImporter(IDbContextFactory<DashboardDbContext> dbFactory, TimeProvider clock)
{
    public async Task<FleetImportResult> ImportFileAsync(string path, CancellationToken ct = default)
    {
        await using var stream = File.OpenRead(path);
        FleetFile? file;
        try
        {
            file = await JsonSerializer.DeserializeAsync<FleetFile>(stream, cancellationToken: ct);
        }
        catch (JsonException ex)
        {
            throw new ValidationException("fleet", $"The fleet file {path} is not valid JSON: {ex.Message}");
        }
        return await ImportAsync(file ?? new FleetFile(), Path.GetFileName(path), ct);
    }

    public async Task<FleetImportResult> ImportAsync(FleetFile file, string origin, CancellationToken ct = default)
    {
        Validate(file);
        var now = clock.GetUtcNow().UtcDateTime;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        // Only what the file changed since the last import is applied, so an administrator's edit on
        // the Fleet page stands until the file itself says something new about that row.
        var lastImport = await db.FleetImports.SingleOrDefaultAsync(i => i.Id == FleetImport.LastId, ct);
        var last = lastImport is null ? null : JsonSerializer.Deserialize<FleetFile>(lastImport.Content);

        var lastProjects = (last?.Projects ?? []).ToDictionary(p => p.Id);
        var projects = await db.Projects.ToDictionaryAsync(p => p.Id, ct);
        foreach (var p in file.Projects.Where(p => Changed(p, lastProjects.GetValueOrDefault(p.Id))))
        {
            var slug = string.IsNullOrWhiteSpace(p.Namespace) ? Slugify(p.Name) : p.Namespace.Trim();
            if (projects.TryGetValue(p.Id, out var existing)) { existing.Name = p.Name; existing.Slug = slug; }
            else db.Projects.Add(projects[p.Id] = new Project { Id = p.Id, Name = p.Name, Slug = slug, CreatedAt = now });
        }

        var lastPlans = (last?.Plans ?? []).ToDictionary(p => p.Slug);
        var plans = await db.Plans.ToDictionaryAsync(p => p.Slug, ct);
        foreach (var p in file.Plans.Where(p => Changed(p, lastPlans.GetValueOrDefault(p.Slug))))
        {
            if (plans.TryGetValue(p.Slug, out var existing)) { existing.Name = p.Name; existing.HourlyPrice = p.HourlyPrice; }
            else db.Plans.Add(new Plan { Slug = p.Slug, Name = p.Name, HourlyPrice = p.HourlyPrice });
        }

        var lastSystems = (last?.OperatingSystems ?? []).ToDictionary(o => o.Slug);
        var systems = await db.OperatingSystems.ToDictionaryAsync(o => o.Slug, ct);
        foreach (var o in file.OperatingSystems.Where(o => Changed(o, lastSystems.GetValueOrDefault(o.Slug))))
        {
            if (systems.TryGetValue(o.Slug, out var existing)) existing.Name = o.Name;
            else db.OperatingSystems.Add(new OperatingSystem { Slug = o.Slug, Name = o.Name });
        }

        var lastFacilities = (last?.Facilities ?? []).ToDictionary(f => f.Code);
        var facilities = await db.Facilities.Include(f => f.Capacity).ToDictionaryAsync(f => f.Code, ct);
        foreach (var f in file.Facilities)
        {
            var before = lastFacilities.GetValueOrDefault(f.Code);
            if (!facilities.TryGetValue(f.Code, out var facility))
            {
                facility = new Facility { Code = f.Code, Name = f.Name, Metro = f.Metro };
                db.Facilities.Add(facility);
            }
            if (before is null || before.Name != f.Name || before.Metro != f.Metro)
            {
                facility.Name = f.Name;
                facility.Metro = f.Metro;
            }
            foreach (var plan in f.Capacity.Keys.Union(f.SpotPrice.Keys))
            {
                var total = f.Capacity.GetValueOrDefault(plan);
                double? spot = f.SpotPrice.TryGetValue(plan, out var price) ? price : null;
                var row = facility.Capacity.FirstOrDefault(c => c.PlanSlug == plan);
                if (row is not null && before is not null && before.Capacity.GetValueOrDefault(plan) == total
                    && (before.SpotPrice.TryGetValue(plan, out var lastPrice) ? lastPrice : (double?)null) == spot) continue;
                if (row is null) facility.Capacity.Add(row = new FacilityCapacity { FacilityCode = f.Code, PlanSlug = plan });
                row.Total = total;
                row.SpotPrice = spot;
            }
        }

        var lastDevices = (last?.Devices ?? []).ToDictionary(d => (d.Project, d.Hostname));
        var devices = await db.Devices.ToDictionaryAsync(d => (d.ProjectId, d.Hostname), ct);
        foreach (var d in file.Devices.Where(d => Changed(d, lastDevices.GetValueOrDefault((d.Project, d.Hostname)))))
        {
            if (!devices.TryGetValue((d.Project, d.Hostname), out var device))
            {
                device = new Device { Id = Guid.NewGuid().ToString(), ProjectId = d.Project, Hostname = d.Hostname, CreatedAt = now };
                db.Devices.Add(device);
                devices[(d.Project, d.Hostname)] = device;
            }
            device.FacilityCode = d.Facility;
            device.PlanSlug = d.Plan;
            device.OperatingSystemSlug = d.OperatingSystem;
            device.DeviceType = d.DeviceType;
            device.Group = d.Group;
            if (!device.Tags.SequenceEqual(d.Tags)) device.Tags = d.Tags;
            device.State = DeviceStates.Active;
        }

        db.ChangeTracker.DetectChanges();
        var changes = await DescribeChangesAsync(db, ct);
        foreach (var entry in db.ChangeTracker.Entries<Device>().Where(e => e.State == EntityState.Modified)) entry.Entity.UpdatedAt = now;
        var result = new FleetImportResult(file.Projects.Count, file.Plans.Count, file.OperatingSystems.Count, file.Facilities.Count, file.Devices.Count, changes);
        var content = JsonSerializer.Serialize(file);
        if (lastImport is null) db.FleetImports.Add(new FleetImport { Id = FleetImport.LastId, Origin = origin, Content = content, ImportedAt = now });
        else if (lastImport.Content != content) (lastImport.Origin, lastImport.Content, lastImport.ImportedAt) = (origin, content, now);
        if (changes.Count == 0)
        {
            await db.SaveChangesAsync(ct);
            await tx.CommitAsync(ct);
            return result;
        }

        var first = !await db.Facilities.AnyAsync(ct) && !await db.Projects.AnyAsync(ct);
        db.Timeline.Add(new TimelineEntry
        {
            Source = TimelineSources.System,
            SubjectType = SubjectKinds.Fleet,
            SubjectId = origin,
            Status = TimelineStatuses.Info,
            Title = first
                ? $"Fleet imported from {origin}: {result.Facilities} facilities, {result.Plans} plans, {result.Devices} devices"
                : Truncate($"Fleet file {origin} changed: {string.Join("; ", changes)}", 300),
            Actor = "system",
            OccurredAt = now,
            Details = string.Join(Environment.NewLine, changes),
        });
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return result;
    }

    /// <summary>One line per capacity that is new or changed (with what is in use where a total shrank below it), and counts for the rest.</summary>
    private static async Task<List<string>> DescribeChangesAsync(DashboardDbContext db, CancellationToken ct)
    {
        var changes = new List<string>();
        var capacity = db.ChangeTracker.Entries<FacilityCapacity>().Where(e => e.State is EntityState.Added or EntityState.Modified).ToList();
        var used = capacity.Count == 0 ? [] : await FleetCapacityService.UsedAsync(db, null, ct);
        foreach (var e in capacity.OrderBy(e => e.Entity.FacilityCode, StringComparer.Ordinal).ThenBy(e => e.Entity.PlanSlug, StringComparer.Ordinal))
        {
            var c = e.Entity;
            var parts = new List<string>();
            var total = e.Property(x => x.Total);
            if (e.State == EntityState.Added) parts.Add($"total {c.Total}");
            else if (total.IsModified) parts.Add($"total {total.OriginalValue} → {c.Total}");
            var spot = e.Property(x => x.SpotPrice);
            if (e.State == EntityState.Modified && spot.IsModified) parts.Add($"spot price {Price(spot.OriginalValue)} → {Price(c.SpotPrice)}");
            var inUse = used.GetValueOrDefault((c.FacilityCode, c.PlanSlug));
            if (inUse > c.Total) parts.Add($"over-committed: {inUse} in use");
            if (parts.Count > 0) changes.Add($"{c.FacilityCode} {c.PlanSlug} {string.Join(", ", parts)}");
        }
        foreach (var (one, many, entries) in new (string, string, IEnumerable<Microsoft.EntityFrameworkCore.ChangeTracking.EntityEntry>)[]
        {
            ("project", "projects", db.ChangeTracker.Entries<Project>()),
            ("plan", "plans", db.ChangeTracker.Entries<Plan>()),
            ("operating system", "operating systems", db.ChangeTracker.Entries<OperatingSystem>()),
            ("facility", "facilities", db.ChangeTracker.Entries<Facility>()),
            ("device", "devices", db.ChangeTracker.Entries<Device>()),
        })
        {
            var list = entries.ToList();
            var added = list.Count(e => e.State == EntityState.Added);
            var modified = list.Count(e => e.State == EntityState.Modified);
            if (added > 0) changes.Add($"{added} {(added == 1 ? one : many)} added");
            if (modified > 0) changes.Add($"{modified} {(modified == 1 ? one : many)} changed");
        }
        return changes;
    }

    private static bool Changed<T>(T now, T? before) where T : class =>
        before is null || JsonSerializer.Serialize(now) != JsonSerializer.Serialize(before);

    private static string Price(double? price) => price is { } p ? p.ToString("0.####", System.Globalization.CultureInfo.InvariantCulture) : "none";

    private static string Truncate(string text, int max) => text.Length <= max ? text : text[..(max - 1)] + "…";

    private static void Validate(FleetFile file)
    {
        var projectIds = file.Projects.Select(p => p.Id).ToHashSet();
        var planSlugs = file.Plans.Select(p => p.Slug).ToHashSet();
        if (file.Projects.Any(p => string.IsNullOrWhiteSpace(p.Id) || string.IsNullOrWhiteSpace(p.Name)))
            throw new ValidationException("projects", "Every project needs an id and a name.");
        if (file.Plans.Any(p => string.IsNullOrWhiteSpace(p.Slug)))
            throw new ValidationException("plans", "Every plan needs a slug.");
        if (file.OperatingSystems.Any(o => string.IsNullOrWhiteSpace(o.Slug)))
            throw new ValidationException("operating_systems", "Every operating system needs a slug.");
        foreach (var f in file.Facilities)
        {
            if (string.IsNullOrWhiteSpace(f.Code)) throw new ValidationException("facilities", "Every facility needs a code.");
            var unknown = f.Capacity.Keys.Union(f.SpotPrice.Keys).FirstOrDefault(p => !planSlugs.Contains(p));
            if (unknown is not null) throw new ValidationException("facilities", $"Facility {f.Code} names unknown plan {unknown}.");
            if (f.Capacity.Values.Any(v => v < 0)) throw new ValidationException("facilities", $"Facility {f.Code} has negative capacity.");
        }
        var orphan = file.Devices.FirstOrDefault(d => !projectIds.Contains(d.Project));
        if (orphan is not null) throw new ValidationException("devices", $"Device {orphan.Hostname} names unknown project {orphan.Project}.");
    }

    private static string Slugify(string name) =>
        new string([.. name.Trim().ToLowerInvariant().Select(c => char.IsLetterOrDigit(c) ? c : '-')]).Trim('-');
}
