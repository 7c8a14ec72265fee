using System.Text.Json;
using Dashboard.Data.Timeline;
using Microsoft.EntityFrameworkCore;

namespace Dashboard.Data.Fleet;

public sealed record FleetImportResult(int Projects, int Plans, int OperatingSystems, int Facilities, int Devices);

/// <summary>
/// Imports a fleet file: an upsert keyed on ids, slugs, codes and (project, hostname), in one
/// transaction, so importing the same file twice changes nothing and a broken file changes nothing.
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

        var projects = await db.Projects.ToDictionaryAsync(p => p.Id, ct);
        foreach (var p in file.Projects)
        {
            var slug = string.IsNullOrWhiteSpace(p.Namespace) ? Slugify(p.Name) : p.Namespace.Trim();
            if (projects.TryGetValue(p.Id, out var existing)) { existing.Name = p.Name; existing.Slug = slug; }
            else db.Projects.Add(projects[p.Id] = new Project { Id = p.Id, Name = p.Name, Slug = slug, CreatedAt = now });
        }

        var plans = await db.Plans.ToDictionaryAsync(p => p.Slug, ct);
        foreach (var p in file.Plans)
        {
            if (plans.TryGetValue(p.Slug, out var existing)) { existing.Name = p.Name; existing.HourlyPrice = p.HourlyPrice; }
            else db.Plans.Add(new Plan { Slug = p.Slug, Name = p.Name, HourlyPrice = p.HourlyPrice });
        }

        var systems = await db.OperatingSystems.ToDictionaryAsync(o => o.Slug, ct);
        foreach (var o in file.OperatingSystems)
        {
            if (systems.TryGetValue(o.Slug, out var existing)) existing.Name = o.Name;
            else db.OperatingSystems.Add(new OperatingSystem { Slug = o.Slug, Name = o.Name });
        }

        var facilities = await db.Facilities.Include(f => f.Capacity).ToDictionaryAsync(f => f.Code, ct);
        foreach (var f in file.Facilities)
        {
            if (!facilities.TryGetValue(f.Code, out var facility))
            {
                facility = new Facility { Code = f.Code, Name = f.Name, Metro = f.Metro };
                db.Facilities.Add(facility);
            }
            facility.Name = f.Name;
            facility.Metro = f.Metro;
            foreach (var plan in f.Capacity.Keys.Union(f.SpotPrice.Keys))
            {
                var row = facility.Capacity.FirstOrDefault(c => c.PlanSlug == plan);
                if (row is null) facility.Capacity.Add(row = new FacilityCapacity { FacilityCode = f.Code, PlanSlug = plan });
                row.Available = f.Capacity.GetValueOrDefault(plan);
                row.SpotPrice = f.SpotPrice.TryGetValue(plan, out var price) ? price : null;
            }
        }

        var devices = await db.Devices.ToDictionaryAsync(d => (d.ProjectId, d.Hostname), ct);
        foreach (var d in file.Devices)
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
            device.Tags = d.Tags;
            device.State = DeviceStates.Active;
            device.UpdatedAt = now;
        }

        var result = new FleetImportResult(file.Projects.Count, file.Plans.Count, file.OperatingSystems.Count, file.Facilities.Count, file.Devices.Count);
        db.Timeline.Add(new TimelineEntry
        {
            Source = TimelineSources.System,
            SubjectType = SubjectKinds.Fleet,
            SubjectId = origin,
            Status = TimelineStatuses.Info,
            Title = $"Fleet imported from {origin}: {result.Facilities} facilities, {result.Plans} plans, {result.Devices} devices",
            Actor = "system",
            OccurredAt = now,
        });
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return result;
    }

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
