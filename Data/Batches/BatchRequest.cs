namespace Dashboard.Data.Batches;

/// <summary>
/// One batch as a caller asks for it, from the Packet API or from the wizard. Mutable so the
/// wizard can bind to it; validated by <see cref="BatchValidator"/> for both.
/// </summary>
public sealed class BatchRequest
{
    public string? Hostname { get; set; }
    public List<string>? Hostnames { get; set; }
    public string? Description { get; set; }
    public string Plan { get; set; } = "";
    public string OperatingSystem { get; set; } = "";
    public List<string> Facilities { get; set; } = [];
    public int? FacilityDiversityLevel { get; set; }
    public string? BillingCycle { get; set; }
    public List<string> Tags { get; set; } = [];
    public int Quantity { get; set; }
    public bool SpotInstance { get; set; }
    public double? SpotPriceMax { get; set; }
}

/// <summary>What a request may name: the fleet's plans, operating systems and facility codes.</summary>
public sealed record BatchCatalog(IReadOnlySet<string> Plans, IReadOnlySet<string> OperatingSystems, IReadOnlyList<string> Facilities);

/// <summary>One mistake in a request, named by its Packet field.</summary>
public sealed record BatchFieldError(string Field, string Message);
