using System.Security.Cryptography;
using System.Text;

namespace Dashboard.Data.Canaries;

/// <summary>How allocations run: the built-in simulated driver, or real agents reporting health.</summary>
public sealed class CanaryDriverSettings
{
    public const string Section = "Dashboard:Canaries";

    /// <summary><c>simulated</c> (default) or <c>external</c>: allocations run at once and wait for an agent's health report.</summary>
    public string Driver { get; set; } = "simulated";
    /// <summary>About how long a task takes to start (varied ±50% per allocation).</summary>
    public int StartMs { get; set; } = 1000;
    /// <summary>Share of allocations whose task fails, 0 to 1.</summary>
    public double FailureRate { get; set; }
    /// <summary>Which allocations fail and how long they take depends only on the seed, the allocation name and the job version.</summary>
    public int Seed { get; set; } = 1;

    public bool IsExternal => string.Equals(Driver, "external", StringComparison.OrdinalIgnoreCase);
}

/// <summary>
/// The simulated driver decides, when an allocation is placed, when its task starts and whether it
/// turns out healthy. A group or job meta key <c>simulate</c> = <c>healthy</c> | <c>unhealthy</c>
/// overrides the failure rate, so a demo or a test can ship a broken version on purpose.
/// </summary>
public sealed class SimulatedDriver(CanaryDriverSettings settings)
{
    public const string MetaKey = "simulate";

    public (DateTime? StartsAt, bool? Healthy) Plan(JobSpec job, TaskGroupSpec group, string allocName, long version, DateTime now)
    {
        if (settings.IsExternal) return (null, null);
        var (delayDraw, failDraw) = Draws(allocName, version);
        var delay = TimeSpan.FromMilliseconds(settings.StartMs * (0.5 + delayDraw));
        var forced = group.Meta?.GetValueOrDefault(MetaKey) ?? job.Meta?.GetValueOrDefault(MetaKey);
        var healthy = forced switch
        {
            "unhealthy" => false,
            "healthy" => true,
            _ => failDraw >= settings.FailureRate,
        };
        return (now + delay, healthy);
    }

    private (double Delay, double Fail) Draws(string allocName, long version)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes($"{settings.Seed}:{allocName}:{version}"));
        return (BitConverter.ToUInt32(hash, 0) / (double)uint.MaxValue, BitConverter.ToUInt32(hash, 4) / ((double)uint.MaxValue + 1));
    }
}
