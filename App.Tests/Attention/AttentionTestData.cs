using Dashboard.App.Tests.Infrastructure;
using Dashboard.App.Tests.Rollouts;
using Dashboard.Data;
using Dashboard.Data.Batches;
using Dashboard.Data.Canaries;
using Dashboard.Data.Fleet;
using Dashboard.Data.Rollouts;
using Microsoft.EntityFrameworkCore;

namespace Dashboard.App.Tests.Attention;

/// <summary>Subjects in the states the inbox and the suspects read, written as their capabilities leave them.</summary>
internal static class AttentionTestData
{
    public const string ProjectId = "attention-project";

    /// <summary>A batch row in the given state (the inbox reads rows; how a batch fails is the batch tests' business).</summary>
    public static async Task<Batch> BatchAsync(IDbContextFactory<DashboardDbContext> factory, DateTime at, string state, params string[] hosts)
    {
        await using var db = await factory.CreateDbContextAsync();
        if (!await db.Projects.AnyAsync(p => p.Id == ProjectId)) db.Projects.Add(new Project { Id = ProjectId, Name = "Attention", Slug = "attention" });
        var batch = new Batch
        {
            Id = Guid.NewGuid().ToString(), ProjectId = ProjectId, State = state, Quantity = hosts.Length, Hostnames = [.. hosts],
            PlanSlug = "c1.small.x86", OperatingSystemSlug = "ubuntu_16_04", CreatedAt = at, UpdatedAt = at,
            ErrorMessages = state == BatchStates.Failed ? ["no capacity left in any facility"] : [],
        };
        db.Batches.Add(batch);
        await db.SaveChangesAsync();
        return batch;
    }

    /// <summary>A canary deployment row of a fresh job; <paramref name="shape"/> sets the status and group state.</summary>
    public static async Task<CanaryDeployment> DeploymentAsync(IDbContextFactory<DashboardDbContext> factory, DateTime at, Action<CanaryDeployment> shape)
    {
        await using var db = await factory.CreateDbContextAsync();
        var job = $"job-{Guid.NewGuid():N}"[..16];
        db.CanaryJobs.Add(new CanaryJob { Namespace = "default", JobId = job, Name = job, SubmitTime = at });
        var d = new CanaryDeployment
        {
            Id = Guid.NewGuid().ToString(), Namespace = "default", JobId = job, JobVersion = 1, CreateTime = at, ModifyTime = at, Hosts = ["node-1"],
            TaskGroups = new() { ["web"] = new DeploymentGroupState { DesiredTotal = 3, DesiredCanaries = 1, ProgressDeadline = TimeSpan.FromMinutes(10) } },
        };
        shape(d);
        db.CanaryDeployments.Add(d);
        await db.SaveChangesAsync();
        return d;
    }

    /// <summary>A real rollout over <paramref name="devices"/> new devices, created through the rollout service (its phase starts now).</summary>
    public static async Task<(Rollout Rollout, List<string> DeviceIds)> RolloutAsync(DataServices services, int devices, double? guardPercent = null)
    {
        var ids = (await RolloutServiceTests.SeedDevicesAsync(services, devices)).Order(StringComparer.Ordinal).ToList();
        var artifact = $"app-{Guid.NewGuid():N}"[..12];
        await RolloutServiceTests.SeedArtifactAsync(services, artifact, "demo-device");
        var rollout = await services.Get<RolloutService>().CreateAsync(new RolloutRequest
        {
            Name = artifact, ArtifactName = artifact, DeviceIds = ids, FailureThresholdPercent = guardPercent,
        }, "test");
        return (rollout, ids);
    }

    public static Dictionary<string, string> Provides(string artifact = "release-0") => new() { ["artifact_name"] = artifact, ["device_type"] = "demo-device" };
}
