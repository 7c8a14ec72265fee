namespace Dashboard.Data.Canaries;

/// <summary>What a deployment waits for, said for people: a promotion, a resume, or its deadline.</summary>
public sealed record Waiting(string What, DateTime? Since, DateTime? Deadline);

/// <summary>The rules the pages show, kept beside the ones the actions enforce.</summary>
public static class DeploymentRules
{
    /// <summary>A deadline this close counts as waiting for a person: someone should look now.</summary>
    public static readonly TimeSpan CloseToDeadline = TimeSpan.FromMinutes(2);

    /// <summary>Why Promote cannot be pressed now, or null when it can (the same rule <see cref="DeploymentService.PromoteAsync"/> enforces).</summary>
    public static string? WhyNotPromotable(CanaryDeployment d, IReadOnlyList<CanaryAllocation> allocs)
    {
        if (!d.Active) return $"The deployment is {d.Status}.";
        var groups = d.TaskGroups.Where(g => g.Value.DesiredCanaries > 0).ToList();
        if (groups.Count == 0) return "This deployment has no canaries.";
        if (groups.All(g => g.Value.Promoted)) return "Already promoted.";
        var missing = groups.Where(g => !g.Value.Promoted)
            .Select(g => (g.Key, Healthy: allocs.Count(a => a.TaskGroup == g.Key && a.Canary && a.Healthy == true && a.DesiredStatus == AllocationStatuses.DesiredRun), Need: g.Value.DesiredCanaries))
            .Where(x => x.Healthy < x.Need).ToList();
        return missing.Count == 0 ? null : string.Join("; ", missing.Select(x => $"{x.Key}: {x.Healthy} of {x.Need} canaries healthy")) + ".";
    }

    /// <summary>What the deployment waits for, if anything a person should act on.</summary>
    public static Waiting? WaitingFor(CanaryDeployment d, DateTime now)
    {
        if (d.Status == DeploymentStatuses.Paused) return new Waiting("paused", d.WaitingSince ?? d.ModifyTime, null);
        if (d.Status != DeploymentStatuses.Running) return null;
        if (d.StatusDescription == DeploymentDescriptions.RunningNeedsPromotion && d.WaitingSince is { } since) return new Waiting("needs promotion", since, null);
        var deadline = d.TaskGroups.Values.Where(g => g.RequireProgressBy != DateTime.MinValue && !g.NeedsPromotion && g.HealthyAllocs < g.DesiredTotal)
            .Select(g => (DateTime?)g.RequireProgressBy).Min();
        return deadline is { } by && by - now <= CloseToDeadline ? new Waiting("close to its progress deadline", null, by) : null;
    }

    /// <summary>The earliest progress deadline still running, for the countdown.</summary>
    public static DateTime? NextDeadline(CanaryDeployment d) =>
        d.Status != DeploymentStatuses.Running ? null
        : d.TaskGroups.Values.Where(g => g.RequireProgressBy != DateTime.MinValue && g.HealthyAllocs < g.DesiredTotal).Select(g => (DateTime?)g.RequireProgressBy).Min();

    public static string Ago(TimeSpan t) => t.TotalSeconds < 60 ? $"{Math.Max(0, (int)t.TotalSeconds)}s"
        : t.TotalMinutes < 60 ? $"{(int)t.TotalMinutes}m {t.Seconds:00}s" : $"{(int)t.TotalHours}h {t.Minutes:00}m";
}
