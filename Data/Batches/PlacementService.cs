using System.Globalization;
using Dashboard.Data.Fleet;

namespace Dashboard.Data.Batches;

public sealed record PlacementRequest(int Quantity, IReadOnlyList<string> Facilities, int? DiversityLevel = null, double? SpotPriceMax = null);

public sealed record Allocation(string Facility, int Count);

public sealed record Placement(IReadOnlyList<Allocation> Allocations, string? Error)
{
    public bool Succeeded => Error is null;
}

/// <summary>
/// Decides where a batch goes. Pure: the API, the wizard's preview and the batch worker all call it
/// with the availability they read, and the worker then reserves exactly what it returns.
///
/// The rule (it reproduces both of Packet's worked examples):
/// 1. Candidates, in priority order: the listed facilities in the order given; <c>any</c> stands for
///    every facility not listed, most available capacity first. Ties on capacity go to the facility
///    code in ordinal order (so placement is deterministic). Spot batches drop every facility without
///    a spot price or with one above <c>spot_price_max</c>.
/// 2. Walk the candidates once. Take a candidate, filling it as far as it goes, only if the rest of
///    the quantity can still be met by the largest remaining candidates within the facilities the
///    diversity level still allows; otherwise skip it. Without a diversity level nothing is skipped:
///    it is a plain fill in priority order.
///    Equivalently: the first set of at most N facilities, in priority order, that can hold the batch,
///    filled in priority order.
/// Seed, SJC1 7, EWR1 24, DFW1 50, ["sjc1","ewr1","any"]: N=1, 10 devices skips sjc1 (3 would be
/// left with no facility to spare) and puts 10 in ewr1; N=2, 25 devices takes 7 in sjc1 (18 left,
/// dfw1 could hold them) and 18 in ewr1.
/// </summary>
public static class PlacementService
{
    public static Placement Place(PlacementRequest request, IReadOnlyList<FacilityAvailability> availability)
    {
        var candidates = Candidates(request, availability, out var excluded);
        var slots = request.DiversityLevel ?? int.MaxValue;
        var remaining = request.Quantity;
        var allocations = new List<Allocation>();

        for (var i = 0; i < candidates.Count && remaining > 0 && slots > 0; i++)
        {
            var take = Math.Min(candidates[i].Available, remaining);
            if (take <= 0) continue;
            var left = remaining - take;
            if (left > 0 && LargestSum(candidates, i + 1, slots - 1) < left) continue;
            allocations.Add(new Allocation(candidates[i].Code, take));
            remaining = left;
            slots--;
        }

        return remaining == 0
            ? new Placement(allocations, null)
            : new Placement([], Explain(request, candidates, excluded));
    }

    private static List<FacilityAvailability> Candidates(PlacementRequest request, IReadOnlyList<FacilityAvailability> availability, out List<string> excluded)
    {
        var byCode = availability.ToDictionary(a => a.Code, StringComparer.Ordinal);
        var listed = request.Facilities.Where(f => f != BatchValidator.Any).ToList();
        var ordered = listed.Select(code => byCode.GetValueOrDefault(code) ?? new FacilityAvailability(code, 0)).ToList();
        if (request.Facilities.Contains(BatchValidator.Any))
        {
            ordered.AddRange(availability
                .Where(a => !listed.Contains(a.Code))
                .OrderByDescending(a => a.Available)
                .ThenBy(a => a.Code, StringComparer.Ordinal));
        }

        excluded = [];
        if (request.SpotPriceMax is not { } max) return ordered;
        var eligible = new List<FacilityAvailability>(ordered.Count);
        foreach (var f in ordered)
        {
            if (f.SpotPrice is { } price && price <= max) eligible.Add(f);
            else excluded.Add(f.SpotPrice is { } p
                ? string.Create(CultureInfo.InvariantCulture, $"{f.Code} (spot price {p:0.####} is above {max:0.####})")
                : $"{f.Code} (no spot market)");
        }
        return eligible;
    }

    /// <summary>The most that <paramref name="count"/> of the candidates from <paramref name="from"/> on can hold.</summary>
    private static long LargestSum(List<FacilityAvailability> candidates, int from, int count)
    {
        if (count <= 0 || from >= candidates.Count) return 0;
        if (count >= candidates.Count - from) return candidates.Skip(from).Sum(c => (long)Math.Max(0, c.Available));
        return candidates.Skip(from).Select(c => (long)Math.Max(0, c.Available)).OrderDescending().Take(count).Sum();
    }

    private static string Explain(PlacementRequest request, List<FacilityAvailability> candidates, List<string> excluded)
    {
        var within = request.DiversityLevel is { } n ? $" in at most {n} facilit{(n == 1 ? "y" : "ies")}" : "";
        var offered = candidates.Count == 0
            ? "no facility is eligible"
            : string.Join(", ", candidates.Select(c => $"{c.Code} has {c.Available} available"));
        var message = $"Cannot place {request.Quantity} device{(request.Quantity == 1 ? "" : "s")}{within}: {offered}.";
        if (excluded.Count > 0) message += $" Not eligible for spot: {string.Join(", ", excluded)}.";
        return message;
    }
}
