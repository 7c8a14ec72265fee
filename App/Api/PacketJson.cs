using System.Globalization;
using System.Text.Json;
using Dashboard.Data.Batches;
using Dashboard.Data.Fleet;

namespace Dashboard.App.Api;

/// <summary>Packet's JSON shapes: snake_case, <c>href</c> links, nested facility/plan/operating_system objects.</summary>
internal static class PacketJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.General);

    public sealed record Reference(
        IReadOnlyDictionary<string, Facility> Facilities,
        IReadOnlyDictionary<string, Plan> Plans,
        IReadOnlyDictionary<string, Data.Fleet.OperatingSystem> OperatingSystems);

    public static async Task<Reference> ReferenceAsync(FleetService fleet, CancellationToken ct)
    {
        var summary = await fleet.SummaryAsync(ct);
        return new Reference(
            summary.Facilities.ToDictionary(f => f.Code),
            summary.Plans.ToDictionary(p => p.Slug),
            summary.OperatingSystems.ToDictionary(o => o.Slug));
    }

    public static string Time(DateTime utc) => utc.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    public static object Batch(Batch b, IReadOnlyList<Device> devices, Reference reference) => new
    {
        id = b.Id,
        state = b.State,
        quantity = b.Quantity,
        created_at = Time(b.CreatedAt),
        updated_at = Time(b.UpdatedAt),
        href = $"/batches/{b.Id}",
        project = new { href = $"/projects/{b.ProjectId}" },
        devices = devices.Select(d => Device(d, reference)),
        error_messages = b.ErrorMessages,
        plan = b.PlanSlug,
        operating_system = b.OperatingSystemSlug,
        facility = b.Facilities,
        facility_diversity_level = b.FacilityDiversityLevel,
        billing_cycle = b.BillingCycle,
        hostnames = b.Hostnames,
        spot_instance = b.SpotInstance,
        spot_price_max = b.SpotPriceMax,
    };

    public static object Device(Device d, Reference reference) => new
    {
        id = d.Id,
        href = $"/devices/{d.Id}",
        short_id = d.Id[..Math.Min(8, d.Id.Length)],
        hostname = d.Hostname,
        description = d.Description,
        state = d.State,
        tags = d.Tags,
        created_at = Time(d.CreatedAt),
        updated_at = Time(d.UpdatedAt),
        facility = d.FacilityCode is { } f ? Facility(reference.Facilities.GetValueOrDefault(f) ?? new Facility { Code = f, Name = f, Metro = "" }) : null,
        plan = d.PlanSlug is { } p ? Plan(reference.Plans.GetValueOrDefault(p) ?? new Plan { Slug = p, Name = p }) : null,
        operating_system = d.OperatingSystemSlug is { } o ? OperatingSystem(reference.OperatingSystems.GetValueOrDefault(o) ?? new Data.Fleet.OperatingSystem { Slug = o, Name = o }) : null,
        project = new { href = $"/projects/{d.ProjectId}" },
        batch = d.BatchId is { } batch ? new { href = $"/batches/{batch}" } : null,
        ip_addresses = Array.Empty<object>(),
        volumes = Array.Empty<object>(),
    };

    public static object Facility(Facility f) => new
    {
        id = f.Code,
        code = f.Code,
        name = f.Name,
        features = new[] { "baremetal" },
        metro = new { code = f.Metro },
        href = $"/facilities/{f.Code}",
    };

    public static object Plan(Plan p) => new
    {
        id = p.Slug,
        slug = p.Slug,
        name = p.Name,
        line = "baremetal",
        pricing = new { hour = p.HourlyPrice },
        deployment_types = new[] { "on_demand", "spot_market" },
        @class = p.Slug,
        href = $"/plans/{p.Slug}",
    };

    public static object OperatingSystem(Data.Fleet.OperatingSystem o) => new
    {
        slug = o.Slug,
        name = o.Name,
        distro = o.Slug.Split('_')[0],
        version = string.Join('.', o.Slug.Split('_').Skip(1)),
        provisionable_on = Array.Empty<string>(),
    };

    /// <summary>
    /// Packet's capacity report, <c>{facility: {plan: {level}}}</c>, with the exact count available now
    /// (total minus devices holding servers; 0 when over-committed) and the spot price added.
    /// </summary>
    public static Dictionary<string, Dictionary<string, object>> Capacity(FleetSummary fleet) =>
        fleet.Facilities.ToDictionary(f => f.Code, f => f.Capacity.ToDictionary(c => c.PlanSlug, c =>
        {
            var available = fleet.CapacityOf(f.Code, c.PlanSlug)?.Available ?? 0;
            return (object)new
            {
                level = available switch { 0 => "unavailable", < 10 => "limited", _ => "normal" },
                available,
                spot_price = c.SpotPrice,
            };
        }));
}
