using System.Text.Json.Serialization;

namespace Dashboard.Data.Fleet;

/// <summary>
/// The operator's description of the provider inventory, imported at start-up
/// (<c>Dashboard:FleetFile</c>) and re-importable. See <c>fleet/demo-fleet.json</c>.
/// </summary>
public sealed class FleetFile
{
    [JsonPropertyName("projects")] public List<FleetProject> Projects { get; set; } = [];
    [JsonPropertyName("plans")] public List<FleetPlan> Plans { get; set; } = [];
    [JsonPropertyName("operating_systems")] public List<FleetOperatingSystem> OperatingSystems { get; set; } = [];
    [JsonPropertyName("facilities")] public List<FleetFacility> Facilities { get; set; } = [];
    [JsonPropertyName("devices")] public List<FleetDevice> Devices { get; set; } = [];
}

public sealed class FleetProject
{
    [JsonPropertyName("id")] public string Id { get; set; } = "";
    [JsonPropertyName("name")] public string Name { get; set; } = "";
    /// <summary>The Nomad namespace of the project; defaults to a slug of the name.</summary>
    [JsonPropertyName("namespace")] public string? Namespace { get; set; }
}

public sealed class FleetPlan
{
    [JsonPropertyName("slug")] public string Slug { get; set; } = "";
    [JsonPropertyName("name")] public string Name { get; set; } = "";
    [JsonPropertyName("hourly_price")] public double HourlyPrice { get; set; }
}

public sealed class FleetOperatingSystem
{
    [JsonPropertyName("slug")] public string Slug { get; set; } = "";
    [JsonPropertyName("name")] public string Name { get; set; } = "";
}

public sealed class FleetFacility
{
    [JsonPropertyName("code")] public string Code { get; set; } = "";
    [JsonPropertyName("name")] public string Name { get; set; } = "";
    [JsonPropertyName("metro")] public string Metro { get; set; } = "";
    [JsonPropertyName("capacity")] public Dictionary<string, int> Capacity { get; set; } = [];
    [JsonPropertyName("spot_price")] public Dictionary<string, double> SpotPrice { get; set; } = [];
}

public sealed class FleetDevice
{
    [JsonPropertyName("hostname")] public string Hostname { get; set; } = "";
    [JsonPropertyName("project")] public string Project { get; set; } = "";
    [JsonPropertyName("facility")] public string? Facility { get; set; }
    [JsonPropertyName("plan")] public string? Plan { get; set; }
    [JsonPropertyName("operating_system")] public string? OperatingSystem { get; set; }
    [JsonPropertyName("device_type")] public string? DeviceType { get; set; }
    [JsonPropertyName("group")] public string? Group { get; set; }
    [JsonPropertyName("tags")] public List<string> Tags { get; set; } = [];
}

/// <summary>
/// The last fleet file imported (as parsed, whatever its origin), so the next import applies only
/// what the file changed since and leaves the rest, including the administrator's edits, alone.
/// </summary>
public sealed class FleetImport
{
    public const string LastId = "last";

    public required string Id { get; set; }
    public required string Origin { get; set; }
    public required string Content { get; set; }
    public DateTime ImportedAt { get; set; }
}
