using Dashboard.App.Tests.Infrastructure;
using Dashboard.Data;
using Dashboard.Data.Batches;
using Dashboard.Data.Canaries;
using Dashboard.Data.Fleet;
using Dashboard.Data.Rollouts;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

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

    /// <summary>
    /// A real rollout over <paramref name="devices"/> new accepted devices (rows, as admission leaves them) and an
    /// artifact row, created through the rollout service, so its phase starts now and it records its change event.
    /// Works on the data services of a test and on a running app alike.
    /// </summary>
    public static async Task<(Rollout Rollout, List<string> DeviceIds)> RolloutAsync(IServiceProvider services, DateTime now, int devices, double? guardPercent = null)
    {
        var factory = services.GetRequiredService<IDbContextFactory<DashboardDbContext>>();
        var tag = Guid.NewGuid().ToString("N")[..8];
        var artifact = $"app-{tag}";
        var ids = Enumerable.Range(0, devices).Select(i => $"{tag}-{i:D5}").ToList();
        await using (var db = await factory.CreateDbContextAsync())
        {
            if (!await db.Projects.AnyAsync(p => p.Id == MenderDeviceService.ProjectId))
                db.Projects.Add(new Project { Id = MenderDeviceService.ProjectId, Name = "Mender", Slug = "mender" });
            db.Devices.AddRange(ids.Select(id => new Device
            {
                Id = id, ProjectId = MenderDeviceService.ProjectId, Hostname = $"dev-{id}", AuthStatus = MenderAuthStatuses.Accepted,
                DeviceType = "demo-device", IdentityData = $"{{\"mac\":\"{id}\"}}", CreatedAt = now, UpdatedAt = now,
            }));
            db.Artifacts.Add(new Artifact { Id = Guid.NewGuid().ToString(), Name = artifact, DeviceTypes = ["demo-device"], Metadata = "{}", FileName = "x.mender", ModifiedAt = now });
            await db.SaveChangesAsync();
        }
        var rollouts = services.GetRequiredService<RolloutService>();
        var rollout = await rollouts.CreateAsync(new RolloutRequest
        {
            Name = artifact, ArtifactName = artifact, DeviceIds = ids, FailureThresholdPercent = guardPercent,
        }, "test");
        // The phase job, as the scheduler would run it: a no-op where creation already started the phase. On
        // PostgreSQL creation left the rollout scheduled with its due phase unstarted (seen 2026-11-24; reported).
        await rollouts.StartPhaseAsync(rollout.Id, 0);
        return (await rollouts.GetAsync(rollout.Id), ids);
    }

    /// <summary>Every device of the rollout takes it and fails: the rollout ends failed.</summary>
    public static async Task FailAsync(IServiceProvider services, string rolloutId, IEnumerable<string> deviceIds)
    {
        var devices = services.GetRequiredService<DeviceDeploymentService>();
        foreach (var id in deviceIds)
        {
            await devices.NextAsync(id, Provides());
            await devices.ReportStatusAsync(id, rolloutId, "failure", null);
        }
    }

    public static Dictionary<string, string> Provides(string artifact = "release-0") => new() { ["artifact_name"] = artifact, ["device_type"] = "demo-device" };
}
