using Dashboard.Data.Work;

namespace Dashboard.Data.Batches;

/// <summary>The four states Packet shows for a batch deployment.</summary>
public static class BatchStates
{
    public const string Queued = "queued";
    public const string InProgress = "in_progress";
    public const string Completed = "completed";
    public const string Failed = "failed";

    public static bool IsFinished(string state) => BatchStateMachine.Machine.IsFinished(state);
}

/// <summary>
/// Many devices requested at once (Packet's batch deployment). The request is kept as submitted,
/// with the hostnames already expanded; devices point back with <c>Device.BatchId</c>.
/// State changes only through <see cref="BatchStateMachine"/>.
/// </summary>
public sealed class Batch : IStateful
{
    public required string Id { get; set; }
    public required string ProjectId { get; set; }
    public string State { get; set; } = BatchStates.Queued;
    public int Quantity { get; set; }
    /// <summary>The template as submitted (<c>web{{index}}</c>), or null when hostnames were listed.</summary>
    public string? HostnameTemplate { get; set; }
    public List<string> Hostnames { get; set; } = [];
    public string? Description { get; set; }
    public required string PlanSlug { get; set; }
    public required string OperatingSystemSlug { get; set; }
    /// <summary>The facility priority list as submitted: codes, possibly ending in <c>any</c>.</summary>
    public List<string> Facilities { get; set; } = [];
    public int? FacilityDiversityLevel { get; set; }
    public string BillingCycle { get; set; } = "hourly";
    public List<string> Tags { get; set; } = [];
    public bool SpotInstance { get; set; }
    public double? SpotPriceMax { get; set; }
    public List<string> ErrorMessages { get; set; } = [];
    public string? Actor { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime UpdatedAt { get; set; }
    /// <summary>Optimistic concurrency token, bumped by every state change.</summary>
    public long Version { get; set; }
}
