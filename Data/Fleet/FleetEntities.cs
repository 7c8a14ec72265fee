namespace Dashboard.Data.Fleet;

/// <summary>A tenant of the fleet. A project is also a Nomad namespace (<see cref="Slug"/>).</summary>
public sealed class Project
{
    public required string Id { get; set; }
    public required string Name { get; set; }
    public required string Slug { get; set; }
    public DateTime CreatedAt { get; set; }
}

public sealed class Plan
{
    public required string Slug { get; set; }
    public required string Name { get; set; }
    public double HourlyPrice { get; set; }
}

public sealed class OperatingSystem
{
    public required string Slug { get; set; }
    public required string Name { get; set; }
}

public sealed class Facility
{
    public required string Code { get; set; }
    public required string Name { get; set; }
    public required string Metro { get; set; }
    public List<FacilityCapacity> Capacity { get; set; } = [];
}

/// <summary>
/// How many servers of one plan a facility has in total (the provider's inventory), and at what spot
/// price. What is used is never stored: it is counted from the devices that hold servers, so it
/// cannot drift (see <see cref="FleetCapacityService"/> and docs/decisions/0007).
/// </summary>
public sealed class FacilityCapacity
{
    public required string FacilityCode { get; set; }
    public required string PlanSlug { get; set; }
    public int Total { get; set; }
    public double? SpotPrice { get; set; }
}

public static class DeviceStates
{
    public const string Queued = "queued";
    public const string Provisioning = "provisioning";
    public const string Active = "active";
    /// <summary>The only state in which a device no longer holds a server of its facility.</summary>
    public const string Failed = "failed";
    public const string Inactive = "inactive";
}

/// <summary>A server in the fleet: provisioned by a batch, updated by rollouts, running allocations.</summary>
public sealed class Device
{
    public required string Id { get; set; }
    public required string ProjectId { get; set; }
    public required string Hostname { get; set; }
    public string? FacilityCode { get; set; }
    public string? PlanSlug { get; set; }
    public string? OperatingSystemSlug { get; set; }
    public string State { get; set; } = DeviceStates.Active;
    /// <summary>Mender device type, used to match artifacts.</summary>
    public string? DeviceType { get; set; }
    /// <summary>Mender static group.</summary>
    public string? Group { get; set; }
    public List<string> Tags { get; set; } = [];
    public string? Description { get; set; }
    public string? BatchId { get; set; }
    /// <summary>Mender admission (<see cref="Rollouts.MenderAuthStatuses"/>); null for a device no Mender client speaks for.</summary>
    public string? AuthStatus { get; set; }
    /// <summary>Mender identity data as canonical JSON (sorted keys), the key an auth request is matched on.</summary>
    public string? IdentityData { get; set; }
    /// <summary>When an accepted Mender device last called the server.</summary>
    public DateTime? CheckInAt { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime UpdatedAt { get; set; }
}
