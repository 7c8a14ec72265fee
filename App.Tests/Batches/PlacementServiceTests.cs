using Dashboard.Data.Batches;
using Dashboard.Data.Fleet;

namespace Dashboard.App.Tests.Batches;

/// <summary>
/// The placement rule, written down (see <see cref="PlacementService"/>):
/// candidates are the listed facilities in order, then for "any" every other facility by most
/// available capacity (ties: facility code, ordinal). Walking them once, a candidate is taken (filled
/// as far as it goes) only if what is left still fits in the largest remaining candidates within the
/// facilities the diversity level allows. That is the first set of at most N facilities, in priority
/// order, that can hold the batch, filled in priority order; without N, a plain fill in priority order.
/// </summary>
public sealed class PlacementServiceTests
{
    private static readonly FacilityAvailability[] Seed = [new("sjc1", 7), new("ewr1", 24), new("dfw1", 50)];

    private static Dictionary<string, int> Place(int quantity, string[] facilities, int? diversity = null, IReadOnlyList<FacilityAvailability>? available = null, double? spotMax = null)
    {
        var placement = PlacementService.Place(new PlacementRequest(quantity, facilities, diversity, spotMax), available ?? Seed);
        Assert.True(placement.Succeeded, placement.Error);
        Assert.Equal(quantity, placement.Allocations.Sum(a => a.Count));
        return placement.Allocations.ToDictionary(a => a.Facility, a => a.Count);
    }

    [Fact]
    public void Place_Puts10InEwr1_ForTheSeedsFirstExample()
    {
        Assert.Equal(new Dictionary<string, int> { ["ewr1"] = 10 }, Place(10, ["sjc1", "ewr1", "any"], diversity: 1));
    }

    [Fact]
    public void Place_Puts7InSjc1And18InEwr1_ForTheSeedsSecondExample()
    {
        var placement = PlacementService.Place(new PlacementRequest(25, ["sjc1", "ewr1", "any"], 2), Seed);

        Assert.Equal([new Allocation("sjc1", 7), new Allocation("ewr1", 18)], placement.Allocations);
    }

    [Fact]
    public void Place_FillsInPriorityOrder_WhenThereIsNoDiversityLevel()
    {
        Assert.Equal(new Dictionary<string, int> { ["sjc1"] = 7, ["ewr1"] = 3 }, Place(10, ["sjc1", "ewr1", "any"]));
    }

    [Fact]
    public void Place_PrefersTheMostAvailableCapacity_ForAny()
    {
        Assert.Equal(new Dictionary<string, int> { ["dfw1"] = 10 }, Place(10, ["any"]));
        Assert.Equal(new Dictionary<string, int> { ["dfw1"] = 50, ["ewr1"] = 10 }, Place(60, ["any"]));
    }

    [Fact]
    public void Place_BreaksCapacityTiesByFacilityCode_ForAny()
    {
        FacilityAvailability[] tied = [new("zrh1", 5), new("ams1", 5), new("fra1", 5)];

        var placement = PlacementService.Place(new PlacementRequest(7, ["any"]), tied);

        Assert.Equal([new Allocation("ams1", 5), new Allocation("fra1", 2)], placement.Allocations);
    }

    [Fact]
    public void Place_SkipsAHigherPriorityFacility_OnlyWhenTheDiversityLevelLeavesNoRoomForTheRest()
    {
        // N=2, 40: sjc1 (7) leaves 33, which dfw1 alone can hold; then ewr1 cannot finish it (24 < 33), dfw1 can.
        Assert.Equal(new Dictionary<string, int> { ["sjc1"] = 7, ["dfw1"] = 33 }, Place(40, ["sjc1", "ewr1", "any"], diversity: 2));
        // N=1, 30: neither sjc1 nor ewr1 holds 30 alone.
        Assert.Equal(new Dictionary<string, int> { ["dfw1"] = 30 }, Place(30, ["sjc1", "ewr1", "any"], diversity: 1));
    }

    [Fact]
    public void Place_UsesOnlyTheListedFacilities_WhenTheListDoesNotEndInAny()
    {
        var placement = PlacementService.Place(new PlacementRequest(40, ["sjc1", "ewr1"]), Seed);

        Assert.False(placement.Succeeded);
        Assert.Equal("Cannot place 40 devices: sjc1 has 7 available, ewr1 has 24 available.", placement.Error);
    }

    [Fact]
    public void Place_FailsWithTheAvailabilityOfEveryCandidate_WhenTheDiversityLevelIsTooTight()
    {
        var placement = PlacementService.Place(new PlacementRequest(60, ["sjc1", "ewr1", "any"], 1), Seed);

        Assert.False(placement.Succeeded);
        Assert.Empty(placement.Allocations);
        Assert.Equal("Cannot place 60 devices in at most 1 facility: sjc1 has 7 available, ewr1 has 24 available, dfw1 has 50 available.", placement.Error);
    }

    [Fact]
    public void Place_UsesOnlyFacilitiesWhoseSpotPriceIsWithinTheMaximum_ForSpotBatches()
    {
        FacilityAvailability[] spot = [new("sjc1", 7, 0.04), new("ewr1", 24, 0.05), new("dfw1", 50, 0.06), new("nrt1", 10)];

        Assert.Equal(new Dictionary<string, int> { ["ewr1"] = 24, ["sjc1"] = 6 }, Place(30, ["any"], available: spot, spotMax: 0.05));
        var tooMany = PlacementService.Place(new PlacementRequest(40, ["any"], null, 0.05), spot);
        Assert.False(tooMany.Succeeded);
        Assert.Contains("dfw1 (spot price 0.06 is above 0.05)", tooMany.Error, StringComparison.Ordinal);
        Assert.Contains("nrt1 (no spot market)", tooMany.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Place_TreatsAListedFacilityWithoutThePlanAsEmpty()
    {
        Assert.Equal(new Dictionary<string, int> { ["ewr1"] = 5 }, Place(5, ["lax1", "ewr1"]));
    }
}
