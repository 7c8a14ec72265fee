using Dashboard.Data.Batches;

namespace Dashboard.App.Tests.Batches;

public sealed class BatchValidatorTests
{
    private static readonly BatchCatalog Catalog = new(
        new HashSet<string> { "c1.small.x86" }, new HashSet<string> { "ubuntu_16_04" }, ["dfw1", "ewr1", "sjc1"]);

    private static BatchRequest Valid() => new()
    {
        Hostname = "web{{index}}", Plan = "c1.small.x86", OperatingSystem = "ubuntu_16_04", Facilities = ["any"], Quantity = 3,
    };

    private static BatchFieldError? FirstError(BatchRequest r, params string[] taken) =>
        BatchValidator.All(r, Catalog, taken.ToHashSet(StringComparer.OrdinalIgnoreCase)).FirstOrDefault();

    [Fact]
    public void All_AcceptsTheSeedsRequest()
    {
        Assert.Null(FirstError(Valid()));
        Assert.Equal(["web1", "web2", "web3"], BatchValidator.ExpandHostnames(Valid()));
    }

    public static TheoryData<string, Action<BatchRequest>, string, string> Mistakes => new()
    {
        { "unknown plan", r => r.Plan = "x9.huge", "plan", "plan 'x9.huge' is not a known plan." },
        { "unknown os", r => r.OperatingSystem = "windows", "operating_system", "operating_system 'windows' is not a known operating system." },
        { "unknown facility", r => r.Facilities = ["sjc1", "lax9"], "facility", "facility 'lax9' is not a known facility." },
        { "hostnames length", r => { r.Hostname = null; r.Hostnames = ["a", "b"]; }, "hostnames", "hostnames has 2 entries but quantity is 3." },
        { "both", r => r.Hostnames = ["a", "b", "c"], "hostname", "Give either hostname or hostnames, not both." },
        { "neither", r => r.Hostname = null, "hostname", "Give hostname (a template with {{index}}) or hostnames (one per device)." },
        { "quantity 0", r => r.Quantity = 0, "quantity", "quantity must be at least 1." },
        { "quantity negative", r => r.Quantity = -2, "quantity", "quantity must be at least 1." },
        { "quantity absurd", r => r.Quantity = 1_000_000, "quantity", "quantity must be at most 10000." },
        { "diversity too large", r => { r.Facilities = ["sjc1", "ewr1"]; r.FacilityDiversityLevel = 3; }, "facility_diversity_level", "facility_diversity_level 3 is larger than the 2 facilities listed." },
        { "diversity zero", r => r.FacilityDiversityLevel = 0, "facility_diversity_level", "facility_diversity_level must be at least 1." },
        { "index misspelled", r => r.Hostname = "web{{indx}}", "hostname", "hostname contains '{{indx}}': the only placeholder is {{index}}." },
        { "single braces", r => r.Hostname = "web{index}", "hostname", "hostname contains '{index}': the only placeholder is {{index}}." },
        { "no index", r => r.Hostname = "web", "hostname", "hostname needs {{index}} when quantity is more than 1, or give hostnames." },
        { "duplicate in list", r => { r.Hostname = null; r.Hostnames = ["a", "b", "A"]; }, "hostnames", "hostname 'A' appears more than once." },
        { "invalid hostname", r => r.Hostname = "web_{{index}}", "hostname", "'web_1' is not a valid hostname (letters, digits, '-' and '.', at most 253 characters)." },
        { "any not last", r => r.Facilities = ["any", "sjc1"], "facility", "'any' may only be the last entry of the facility list." },
        { "no facility", r => r.Facilities = [], "facility", "facility is required: 'any' or a priority list of facility codes, which may end in 'any'." },
        { "spot without max", r => r.SpotInstance = true, "spot_price_max", "spot_price_max is required for spot instances and must be more than 0." },
        { "billing", r => r.BillingCycle = "weekly", "billing_cycle", "billing_cycle 'weekly' must be one of hourly, daily, monthly, yearly." },
    };

    [Theory]
    [MemberData(nameof(Mistakes))]
    public void All_NamesTheFieldAndTheReason_ForEachMistake(string name, Action<BatchRequest> spoil, string field, string message)
    {
        var request = Valid();
        spoil(request);

        var error = FirstError(request);

        Assert.True(error is not null, name);
        Assert.Equal(new BatchFieldError(field, message), error);
    }

    [Fact]
    public void Names_RejectsAHostnameAlreadyUsedInTheProject()
    {
        Assert.Equal(new BatchFieldError("hostname", "hostname 'web2' is already used in this project."), FirstError(Valid(), "WEB2"));
    }

    [Fact]
    public void Where_CountsEveryFacility_WhenTheListEndsInAny()
    {
        var request = Valid();
        request.Facilities = ["sjc1", "any"];
        request.FacilityDiversityLevel = 3;

        Assert.Null(FirstError(request));
    }
}
