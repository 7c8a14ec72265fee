using Dashboard.Data.Freezes;
using Dashboard.Data.Audit;
using Microsoft.EntityFrameworkCore;

namespace Dashboard.Data.Canaries;

public sealed record JobRegistration(string EvalId, long EvalCreateIndex, long JobModifyIndex, long Index, long Version, string? DeploymentId, string Warnings = "");

public sealed record JobWithSpec(CanaryJob Job, CanaryJobVersion Version, JobSpec Spec);

/// <summary>Nomad jobs: register a version, stop, revert, and the reads the API and the pages share.</summary>
public sealed class JobService(IDbContextFactory<DashboardDbContext> dbFactory, CanaryWriter writer, CanaryEngine engine, AuditLog audit)
{
    public Task<JobRegistration> RegisterAsync(JobSpec spec, string? actor, long? enforceIndex = null, CancellationToken ct = default,
        FreezeOverrideRequest? freezeOverride = null) =>
        writer.WriteAsync(async w =>
        {
            audit.Attempt(AuditActions.JobRegister, AuditTargets.Job, $"{spec.Namespace}/{spec.ID}");
            if (enforceIndex is { } expected)
            {
                var existing = await w.Db.CanaryJobs.AsNoTracking().FirstOrDefaultAsync(j => j.Namespace == spec.Namespace && j.JobId == spec.ID, ct);
                var actual = existing?.JobModifyIndex ?? 0;
                if (actual != expected)
                    throw new ValidationException("JobModifyIndex", $"Enforcing job modify index {expected}: job {(existing is null ? "does not exist" : $"exists with conflicting job modify index: {actual}")}");
            }
            var outcome = await engine.RegisterAsync(w, spec, actor, ct, freezeOverride: freezeOverride);
            audit.Add(w.Db, AuditActions.JobRegister, AuditTargets.Job, $"{spec.Namespace}/{spec.ID}",
                $"Version {outcome.Version}{(outcome.DeploymentId is null ? "" : $", deployment {outcome.DeploymentId}")}.");
            return new JobRegistration(outcome.EvalId, w.Index, outcome.JobModifyIndex, w.Index, outcome.Version, outcome.DeploymentId);
        }, ct);

    /// <summary>Registers the next version of a job from the dialog's few fields (a new job when there is none).</summary>
    public async Task<JobRegistration> DeployAsync(DeployRequest request, string? actor, CancellationToken ct = default, FreezeOverrideRequest? freezeOverride = null)
    {
        if (string.IsNullOrWhiteSpace(request.JobId)) throw new ValidationException("JobId", "Missing job ID");
        if (string.IsNullOrWhiteSpace(request.Group)) throw new ValidationException("Group", "Missing task group name");
        var current = await GetAsync(request.Namespace, request.JobId, ct);
        var spec = current?.Spec ?? new JobSpec { ID = request.JobId, Name = request.JobId, Namespace = request.Namespace };
        if (spec.Group(request.Group) is null)
        {
            spec = spec with { TaskGroups = [.. spec.TaskGroups, new TaskGroupSpec
            {
                Name = request.Group, Count = 3,
                Tasks = [new TaskSpec { Name = "server", Driver = "docker", Config = new System.Text.Json.Nodes.JsonObject { ["image"] = request.Image ?? "nginx:latest" } }],
            }] };
        }
        spec = spec.WithGroup(request.Group, g =>
        {
            var meta = new SortedDictionary<string, string>(g.Meta ?? new SortedDictionary<string, string>(), StringComparer.Ordinal);
            if (request.Simulate is { Length: > 0 } outcome) meta[SimulatedDriver.MetaKey] = outcome; else meta.Remove(SimulatedDriver.MetaKey);
            return g with
            {
                Count = request.Count ?? g.Count,
                Meta = meta.Count == 0 ? null : meta,
                Tasks = request.Image is { Length: > 0 } image
                    ? [.. g.Tasks.Select((t, i) => i == 0 ? t with { Config = WithImage(t.Config, image) } : t)]
                    : g.Tasks,
                Update = g.Update with
                {
                    Canary = request.Canary ?? g.Update.Canary,
                    MaxParallel = request.MaxParallel ?? g.Update.MaxParallel,
                    AutoPromote = request.AutoPromote ?? g.Update.AutoPromote,
                    AutoRevert = request.AutoRevert ?? g.Update.AutoRevert,
                    HealthCheck = request.HealthCheck ?? g.Update.HealthCheck,
                    MinHealthyTime = request.MinHealthyTime ?? g.Update.MinHealthyTime,
                    HealthyDeadline = request.HealthyDeadline ?? g.Update.HealthyDeadline,
                    ProgressDeadline = request.ProgressDeadline ?? g.Update.ProgressDeadline,
                },
            };
        });
        return await RegisterAsync(spec, actor, ct: ct, freezeOverride: freezeOverride);
    }

    private static System.Text.Json.Nodes.JsonObject WithImage(System.Text.Json.Nodes.JsonObject? config, string image)
    {
        var copy = config is null ? [] : (System.Text.Json.Nodes.JsonObject)config.DeepClone();
        copy["image"] = image;
        return copy;
    }

    /// <summary>Every job with its live allocations, for the jobs list.</summary>
    public async Task<List<(CanaryJob Job, int Running, int Desired, CanaryDeployment? Latest)>> OverviewAsync(CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var jobs = await db.CanaryJobs.AsNoTracking().OrderBy(j => j.Namespace).ThenBy(j => j.JobId).Take(1000).ToListAsync(ct);
        var running = await db.CanaryAllocations.AsNoTracking().Where(a => a.DesiredStatus == AllocationStatuses.DesiredRun)
            .GroupBy(a => new { a.Namespace, a.JobId })
            .Select(g => new { g.Key.Namespace, g.Key.JobId, Running = g.Count(a => a.ClientStatus == AllocationStatuses.Running), Total = g.Count() })
            .ToListAsync(ct);
        var result = new List<(CanaryJob, int, int, CanaryDeployment?)>();
        foreach (var job in jobs)
        {
            var r = running.FirstOrDefault(x => x.Namespace == job.Namespace && x.JobId == job.JobId);
            var latest = await db.CanaryDeployments.AsNoTracking().Where(d => d.Namespace == job.Namespace && d.JobId == job.JobId)
                .OrderByDescending(d => d.CreateIndex).FirstOrDefaultAsync(ct);
            result.Add((job, r?.Running ?? 0, r?.Total ?? 0, latest));
        }
        return result;
    }

    public Task<JobRegistration> StopAsync(string ns, string jobId, string? actor, CancellationToken ct = default) =>
        writer.WriteAsync(async w =>
        {
            audit.Attempt(AuditActions.JobStop, AuditTargets.Job, $"{ns}/{jobId}");
            var job = await w.Db.CanaryJobs.FirstOrDefaultAsync(j => j.Namespace == ns && j.JobId == jobId, ct) ?? throw new NotFoundException("job", jobId);
            audit.Add(w.Db, AuditActions.JobStop, AuditTargets.Job, $"{ns}/{jobId}", job.Stop ? "Already stopped." : "Stopped.");
            var evalId = job.Stop ? CanaryEngine.NewId() : await engine.StopJobAsync(w, job, actor, ct);
            return new JobRegistration(evalId, w.Index, job.JobModifyIndex, w.Index, job.Version, null);
        }, ct);

    /// <summary>Registers the spec of <paramref name="version"/> again as a new version (Nomad's revert).</summary>
    public Task<JobRegistration> RevertAsync(string ns, string jobId, long version, long? enforcePriorVersion, string? actor, CancellationToken ct = default) =>
        writer.WriteAsync(async w =>
        {
            audit.Attempt(AuditActions.JobRevert, AuditTargets.Job, $"{ns}/{jobId}");
            var job = await w.Db.CanaryJobs.AsNoTracking().FirstOrDefaultAsync(j => j.Namespace == ns && j.JobId == jobId, ct) ?? throw new NotFoundException("job", jobId);
            if (enforcePriorVersion is { } prior && prior != job.Version)
                throw new ValidationException("EnforcePriorVersion", $"Current job has version {job.Version}; enforcing version {prior}");
            if (version == job.Version) throw new ValidationException("JobVersion", $"can't revert to current version {version}");
            var target = await w.Db.CanaryJobVersions.AsNoTracking().FirstOrDefaultAsync(v => v.Namespace == ns && v.JobId == jobId && v.Version == version, ct)
                ?? throw new ValidationException("JobVersion", $"job \"{jobId}\" in namespace \"{ns}\" at version {version} not found");
            var outcome = await engine.RegisterAsync(w, JobSpec.FromJson(target.SpecJson), actor, ct, rollback: true);
            audit.Add(w.Db, AuditActions.JobRevert, AuditTargets.Job, $"{ns}/{jobId}", $"Reverted to version {version} (now version {outcome.Version}).");
            return new JobRegistration(outcome.EvalId, w.Index, outcome.JobModifyIndex, w.Index, outcome.Version, outcome.DeploymentId);
        }, ct);

    public async Task<(List<CanaryJob> Jobs, long Index)> ListAsync(string ns, string? prefix = null, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var query = db.CanaryJobs.AsNoTracking();
        if (ns != "*") query = query.Where(j => j.Namespace == ns);
        if (!string.IsNullOrEmpty(prefix)) query = query.Where(j => j.JobId.StartsWith(prefix));
        var jobs = await query.OrderBy(j => j.JobId).ThenBy(j => j.Namespace).Take(5000).ToListAsync(ct);
        var index = await db.CanaryJobs.MaxAsync(j => (long?)j.ModifyIndex, ct) ?? 1;
        return (jobs, index);
    }

    public async Task<JobWithSpec?> GetAsync(string ns, string jobId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var job = await db.CanaryJobs.AsNoTracking().FirstOrDefaultAsync(j => j.Namespace == ns && j.JobId == jobId, ct);
        if (job is null) return null;
        var version = await db.CanaryJobVersions.AsNoTracking().SingleAsync(v => v.Namespace == ns && v.JobId == jobId && v.Version == job.Version, ct);
        return new JobWithSpec(job, version, JobSpec.FromJson(version.SpecJson));
    }

    /// <summary>Newest first, as Nomad lists them.</summary>
    public async Task<List<CanaryJobVersion>> VersionsAsync(string ns, string jobId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.CanaryJobVersions.AsNoTracking().Where(v => v.Namespace == ns && v.JobId == jobId).OrderByDescending(v => v.Version).ToListAsync(ct);
    }

    public async Task<List<CanaryDeployment>> DeploymentsAsync(string ns, string jobId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.CanaryDeployments.AsNoTracking().Where(d => d.Namespace == ns && d.JobId == jobId).OrderByDescending(d => d.CreateIndex).ToListAsync(ct);
    }

    public async Task<CanaryDeployment?> LatestDeploymentAsync(string ns, string jobId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.CanaryDeployments.AsNoTracking().Where(d => d.Namespace == ns && d.JobId == jobId).OrderByDescending(d => d.CreateIndex).FirstOrDefaultAsync(ct);
    }

    public async Task<List<CanaryAllocation>> AllocationsAsync(string ns, string jobId, bool all = true, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var query = db.CanaryAllocations.AsNoTracking().Where(a => a.Namespace == ns && a.JobId == jobId);
        if (!all) query = query.Where(a => a.DesiredStatus == AllocationStatuses.DesiredRun);
        return await query.OrderBy(a => a.CreateIndex).Take(5000).ToListAsync(ct);
    }

    public async Task<List<string>> NamespacesAsync(CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.Projects.AsNoTracking().OrderBy(p => p.Slug).Select(p => p.Slug).ToListAsync(ct);
    }
}

/// <summary>
/// What the "Deploy new version" dialog asks for: one group of a job (new or existing) with its
/// image, count and update settings. Fields left null keep the current version's values.
/// </summary>
public sealed record DeployRequest
{
    public string Namespace { get; init; } = "default";
    public required string JobId { get; init; }
    public string Group { get; init; } = "web";
    public string? Image { get; init; }
    public int? Count { get; init; }
    public int? Canary { get; init; }
    public int? MaxParallel { get; init; }
    public bool? AutoPromote { get; init; }
    public bool? AutoRevert { get; init; }
    public string? HealthCheck { get; init; }
    public TimeSpan? MinHealthyTime { get; init; }
    public TimeSpan? HealthyDeadline { get; init; }
    public TimeSpan? ProgressDeadline { get; init; }
    /// <summary>The simulated driver's outcome for this version: healthy, unhealthy, or null for the configured failure rate.</summary>
    public string? Simulate { get; init; }
}
