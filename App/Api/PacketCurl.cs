using System.Text.Json;
using Dashboard.Data.Batches;

namespace Dashboard.App.Api;

/// <summary>The Packet API request equivalent to a batch built in the wizard, as a curl command.</summary>
public static class PacketCurl
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static string For(string baseUri, string projectId, BatchRequest r)
    {
        var batch = new Dictionary<string, object?>();
        if (r.Hostnames is { Count: > 0 }) batch["hostnames"] = r.Hostnames;
        else batch["hostname"] = r.Hostname;
        if (!string.IsNullOrWhiteSpace(r.Description)) batch["description"] = r.Description;
        batch["plan"] = r.Plan;
        batch["operating_system"] = r.OperatingSystem;
        batch["facility"] = r.Facilities is [var single] ? single : r.Facilities;
        if (r.FacilityDiversityLevel is { } level) batch["facility_diversity_level"] = level;
        batch["billing_cycle"] = string.IsNullOrEmpty(r.BillingCycle) ? "hourly" : r.BillingCycle;
        if (r.Tags.Count > 0) batch["tags"] = r.Tags;
        batch["quantity"] = r.Quantity;
        if (r.SpotInstance)
        {
            batch["spot_instance"] = true;
            batch["spot_price_max"] = r.SpotPriceMax;
        }
        var json = JsonSerializer.Serialize(new { batches = new[] { batch } }, Indented);
        var url = $"{baseUri.TrimEnd('/')}/projects/{projectId}/devices/batch";
        return $"curl -X POST -H 'X-Auth-Token: API-TOKEN' -H 'Content-Type: application/json' -d '{ShellQuoted(json)}' \"{url}\"";
    }

    /// <summary>Inside single quotes, a single quote is written as '\''.</summary>
    private static string ShellQuoted(string s) => s.Replace("'", "'\\''", StringComparison.Ordinal);
}
