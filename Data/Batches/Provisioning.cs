namespace Dashboard.Data.Batches;

public sealed record ProvisionRequest(string DeviceId, string Hostname, string Facility, string Plan, string OperatingSystem);

public sealed record ProvisionResult(bool Succeeded, string? Error = null)
{
    public static readonly ProvisionResult Ok = new(true);
}

/// <summary>Brings one server up in a datacenter. The built-in one is <see cref="SimulatedProvisioner"/>.</summary>
public interface IProvisioner
{
    Task<ProvisionResult> ProvisionAsync(ProvisionRequest device, CancellationToken ct);
}

/// <summary>Configuration section <c>Dashboard:Provisioner</c>.</summary>
public sealed class ProvisionerSettings
{
    public const string Section = "Dashboard:Provisioner";

    /// <summary>How long one device takes to come up, in milliseconds (the simulator varies it by ±50%).</summary>
    public int DelayMs { get; set; } = 2000;

    /// <summary>The share of devices that fail, from 0 to 1.</summary>
    public double FailureRate { get; set; }

    /// <summary>Which devices fail (and how long each takes) depends only on this seed and the hostname.</summary>
    public int Seed { get; set; } = 1;

    /// <summary>How many devices are brought up at once.</summary>
    public int Parallelism { get; set; } = 32;
}

/// <summary>
/// A datacenter without a datacenter: each device takes about <see cref="ProvisionerSettings.DelayMs"/>
/// and fails with <see cref="ProvisionerSettings.FailureRate"/>, both derived from the seed and the
/// hostname, so a run is reproducible whatever order the devices are worked on.
/// </summary>
public sealed class SimulatedProvisioner(ProvisionerSettings settings, TimeProvider clock) : IProvisioner
{
    private static readonly string[] Faults =
    [
        "power supply failed its self-test",
        "no IP address from the provisioning network",
        "disk failed SMART checks",
        "BMC did not answer",
    ];

    public async Task<ProvisionResult> ProvisionAsync(ProvisionRequest device, CancellationToken ct)
    {
        var random = new Random(SeedFor(device.Hostname));
        if (settings.DelayMs > 0)
            await Task.Delay(TimeSpan.FromMilliseconds(settings.DelayMs * (0.5 + random.NextDouble())), clock, ct);
        if (random.NextDouble() < settings.FailureRate)
            return new ProvisionResult(false, $"{device.Hostname} ({device.Facility}): {Faults[random.Next(Faults.Length)]}");
        return ProvisionResult.Ok;
    }

    /// <summary>FNV-1a of the hostname mixed with the seed: stable across processes, unlike string.GetHashCode.</summary>
    private int SeedFor(string hostname)
    {
        var hash = 2166136261u ^ (uint)settings.Seed;
        foreach (var c in hostname) hash = (hash ^ c) * 16777619u;
        return unchecked((int)hash);
    }
}
