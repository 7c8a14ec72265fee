using System.Globalization;
using System.Text.RegularExpressions;

namespace Dashboard.Data.Batches;

/// <summary>
/// The one set of rules for a batch request, shared by the Packet API and the wizard, so a
/// wizard step rejects exactly what the API would. Split by wizard step: what, names, where.
/// </summary>
public static partial class BatchValidator
{
    public const int MaxQuantity = 10_000;
    public const string Any = "any";
    public const string IndexPlaceholder = "{{index}}";
    public static readonly IReadOnlyList<string> BillingCycles = ["hourly", "daily", "monthly", "yearly"];

    public static IEnumerable<BatchFieldError> What(BatchRequest r, BatchCatalog catalog)
    {
        if (string.IsNullOrWhiteSpace(r.Plan)) yield return new("plan", "plan is required.");
        else if (!catalog.Plans.Contains(r.Plan)) yield return new("plan", $"plan '{r.Plan}' is not a known plan.");
        if (string.IsNullOrWhiteSpace(r.OperatingSystem)) yield return new("operating_system", "operating_system is required.");
        else if (!catalog.OperatingSystems.Contains(r.OperatingSystem)) yield return new("operating_system", $"operating_system '{r.OperatingSystem}' is not a known operating system.");
        if (!string.IsNullOrEmpty(r.BillingCycle) && !BillingCycles.Contains(r.BillingCycle))
            yield return new("billing_cycle", $"billing_cycle '{r.BillingCycle}' must be one of {string.Join(", ", BillingCycles)}.");
        if (r.Tags.Any(string.IsNullOrWhiteSpace)) yield return new("tags", "tags must not be empty.");
        if (r.Description?.Length > 1000) yield return new("description", "description must be at most 1000 characters.");
    }

    /// <summary>Quantity and hostnames. <paramref name="taken"/> holds the hostnames already used in the project (a case-insensitive set).</summary>
    public static IEnumerable<BatchFieldError> Names(BatchRequest r, IReadOnlySet<string> taken)
    {
        if (r.Quantity < 1) { yield return new("quantity", "quantity must be at least 1."); yield break; }
        if (r.Quantity > MaxQuantity) { yield return new("quantity", $"quantity must be at most {MaxQuantity}."); yield break; }

        var hasTemplate = !string.IsNullOrWhiteSpace(r.Hostname);
        var hasList = r.Hostnames is { Count: > 0 };
        if (hasTemplate && hasList) { yield return new("hostname", "Give either hostname or hostnames, not both."); yield break; }
        if (!hasTemplate && !hasList) { yield return new("hostname", "Give hostname (a template with {{index}}) or hostnames (one per device)."); yield break; }

        if (hasList && r.Hostnames!.Count != r.Quantity)
        {
            yield return new("hostnames", $"hostnames has {r.Hostnames.Count} entries but quantity is {r.Quantity}.");
            yield break;
        }
        if (hasTemplate)
        {
            var bad = Placeholders().Matches(r.Hostname!).Select(m => m.Value).FirstOrDefault(p => p != IndexPlaceholder);
            if (bad is not null) { yield return new("hostname", $"hostname contains '{bad}': the only placeholder is {IndexPlaceholder}."); yield break; }
            if (r.Quantity > 1 && !r.Hostname!.Contains(IndexPlaceholder, StringComparison.Ordinal))
            {
                yield return new("hostname", $"hostname needs {IndexPlaceholder} when quantity is more than 1, or give hostnames.");
                yield break;
            }
        }

        var field = hasTemplate ? "hostname" : "hostnames";
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var name in ExpandHostnames(r))
        {
            if (!ValidHostname().IsMatch(name)) { yield return new(field, $"'{name}' is not a valid hostname (letters, digits, '-' and '.', at most 253 characters)."); yield break; }
            if (!seen.Add(name)) { yield return new(field, $"hostname '{name}' appears more than once."); yield break; }
            if (taken.Contains(name)) { yield return new(field, $"hostname '{name}' is already used in this project."); yield break; }
        }
    }

    public static IEnumerable<BatchFieldError> Where(BatchRequest r, BatchCatalog catalog)
    {
        if (r.Facilities.Count == 0 || r.Facilities.Any(string.IsNullOrWhiteSpace))
        {
            yield return new("facility", "facility is required: 'any' or a priority list of facility codes, which may end in 'any'.");
            yield break;
        }
        var anyAt = r.Facilities.IndexOf(Any);
        if (anyAt >= 0 && anyAt != r.Facilities.Count - 1) { yield return new("facility", "'any' may only be the last entry of the facility list."); yield break; }
        var unknown = r.Facilities.FirstOrDefault(f => f != Any && !catalog.Facilities.Contains(f));
        if (unknown is not null) { yield return new("facility", $"facility '{unknown}' is not a known facility."); yield break; }
        var duplicate = r.Facilities.GroupBy(f => f).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) { yield return new("facility", $"facility '{duplicate.Key}' is listed more than once."); yield break; }

        if (r.FacilityDiversityLevel is { } level)
        {
            var reachable = anyAt >= 0 ? catalog.Facilities.Count : r.Facilities.Count;
            if (level < 1) yield return new("facility_diversity_level", "facility_diversity_level must be at least 1.");
            else if (level > reachable)
                yield return new("facility_diversity_level", $"facility_diversity_level {level} is larger than the {reachable} facilit{(reachable == 1 ? "y" : "ies")} listed.");
        }
        if (r.SpotInstance && r.SpotPriceMax is not > 0)
            yield return new("spot_price_max", "spot_price_max is required for spot instances and must be more than 0.");
        if (!r.SpotInstance && r.SpotPriceMax is not null)
            yield return new("spot_price_max", "spot_price_max applies only with spot_instance: true.");
    }

    public static IEnumerable<BatchFieldError> All(BatchRequest r, BatchCatalog catalog, IReadOnlySet<string> taken) =>
        What(r, catalog).Concat(Names(r, taken)).Concat(Where(r, catalog));

    /// <summary>The hostnames a (valid) request creates, in order: {{index}} is 1, 2, 3, ...</summary>
    public static IEnumerable<string> ExpandHostnames(BatchRequest r)
    {
        if (r.Hostnames is { Count: > 0 }) return r.Hostnames.Select(h => h.Trim());
        var template = (r.Hostname ?? "").Trim();
        return Enumerable.Range(1, Math.Clamp(r.Quantity, 0, MaxQuantity))
            .Select(i => template.Replace(IndexPlaceholder, i.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal));
    }

    [GeneratedRegex(@"\{+[^{}]*\}+|\{+|\}+")]
    private static partial Regex Placeholders();

    [GeneratedRegex(@"^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$")]
    private static partial Regex ValidHostname();
}
