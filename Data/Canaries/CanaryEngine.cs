using Dashboard.Data.Fleet;
using Dashboard.Data.Freezes;
using Dashboard.Data.Timeline;
using Dashboard.Data.Work;
using Microsoft.EntityFrameworkCore;

namespace Dashboard.Data.Canaries;

public sealed record RegisterOutcome(string EvalId, long JobModifyIndex, long Version, bool Changed, string? DeploymentId);

/// <summary>
/// The scheduler and the deployment watcher in one place, always inside a <see cref="CanaryWriter"/>
/// write: registering a version (new deployment, cancelling the older one), placing allocations on
/// fleet devices, and one watcher step of a deployment (start tasks, decide health, promote
/// automatically, roll the next <c>max_parallel</c>, fail at the progress deadline, revert, succeed).
/// </summary>
public sealed class CanaryEngine(SimulatedDriver driver, DeploymentStateMachine states, FreezeService freezes)
{
    public static string NewId() => Guid.NewGuid().ToString();

    public DeploymentStateMachine States => states;

    /// <summary>What a freeze must name to hold a job's deployments: its namespace or the job.</summary>
    public static FreezeTarget FreezeTarget(string ns, string jobId) => new(SubjectKinds.Deployment, ns, jobId);

    /// <summary>
    /// Registers a version. A new version during a freeze is refused (<see cref="FrozenException"/>)
    /// unless an administrator overrides it; a rollback (revert, auto-revert) is never frozen, because
    /// it returns to a version that ran before.
    /// </summary>
    public async Task<RegisterOutcome> RegisterAsync(CanaryContext w, JobSpec spec, string? actor, CancellationToken ct, bool rollback = false,
        FreezeOverrideRequest? freezeOverride = null)
    {
        JobSpecRules.Validate(spec);
        _ = await ProjectAsync(w, spec.Namespace, ct);
        var specJson = spec.ToJson();
        var job = await w.Db.CanaryJobs.FirstOrDefaultAsync(j => j.Namespace == spec.Namespace && j.JobId == spec.ID, ct);
        var evalId = NewId();
        if (job is not null && !job.Stop)
        {
            var current = await w.Db.CanaryJobVersions.AsNoTracking()
                .Where(v => v.Namespace == job.Namespace && v.JobId == job.JobId && v.Version == job.Version).Select(v => v.SpecJson).SingleAsync(ct);
            if (current == specJson) return new RegisterOutcome(evalId, job.JobModifyIndex, job.Version, false, null);
        }
        var admission = rollback ? FreezeAdmission.None : await freezes.AdmitAsync(w.Db, FreezeTarget(spec.Namespace, spec.ID), freezeOverride, ct);

        if (job is null)
        {
            job = new CanaryJob { Namespace = spec.Namespace, JobId = spec.ID, Name = spec.Name, CreateIndex = w.Index, Version = 0 };
            w.Db.CanaryJobs.Add(job);
        }
        else
        {
            job.Version++;
        }
        job.Name = spec.Name;
        job.Type = spec.Type;
        job.Stop = false;
        job.Status = "pending";
        job.JobModifyIndex = w.Index;
        job.SubmitTime = w.Now;
        w.Touch(job);
        w.Db.CanaryJobVersions.Add(new CanaryJobVersion
        {
            Namespace = job.Namespace, JobId = job.JobId, Version = job.Version, SpecJson = specJson,
            CreateIndex = w.Index, ModifyIndex = w.Index, JobModifyIndex = w.Index, SubmitTime = w.Now,
        });

        foreach (var running in await ActiveDeploymentsAsync(w, job, ct))
            await states.MoveAsync(w, running, DeploymentStatuses.Cancelled, DeploymentDescriptions.NewerJob, actor, ct);

        var allocs = await LiveAllocationsAsync(w, job, ct);
        var nodes = await NodesAsync(w, spec.Namespace, ct);
        CanaryDeployment? deployment = null;
        var groups = new Dictionary<string, DeploymentGroupState>();
        foreach (var group in spec.TaskGroups)
        {
            // Unpromoted canaries of an older version are extra to the count: they simply go.
            foreach (var stale in allocs.Where(a => a.TaskGroup == group.Name && a.Canary && a.JobVersion != job.Version).ToList())
            {
                Stop(w, stale, "alloc not needed due to job update");
                allocs.Remove(stale);
            }
            if (group.Update.MaxParallel == 0) continue;
            var hasOld = allocs.Any(a => a.TaskGroup == group.Name);
            groups[group.Name] = new DeploymentGroupState
            {
                DesiredTotal = group.Count,
                // A rollback goes straight back to the stable version: no canaries to wait for.
                DesiredCanaries = hasOld && !rollback ? group.Update.Canary : 0,
                AutoRevert = group.Update.AutoRevert,
                AutoPromote = group.Update.AutoPromote,
                ProgressDeadline = group.Update.ProgressDeadline,
                MaxParallel = group.Update.MaxParallel,
                HealthCheck = group.Update.HealthCheck,
                MinHealthyTime = group.Update.MinHealthyTime,
                HealthyDeadline = group.Update.HealthyDeadline,
            };
        }
        // Groups removed from the job stop at once.
        foreach (var gone in allocs.Where(a => spec.Group(a.TaskGroup) is null).ToList())
        {
            Stop(w, gone, "alloc not needed as task group was removed");
            allocs.Remove(gone);
        }

        if (groups.Count > 0)
        {
            deployment = new CanaryDeployment
            {
                Id = NewId(), Namespace = job.Namespace, JobId = job.JobId, JobVersion = job.Version,
                JobModifyIndex = w.Index, JobSpecModifyIndex = w.Index, JobCreateIndex = job.CreateIndex,
                TaskGroups = groups, CreateIndex = w.Index, CreateTime = w.Now, Actor = actor,
                Hosts = [.. spec.TaskGroups.SelectMany(g => Enumerable.Range(0, Math.Max(g.Count, 1)).Select(i => NodeFor(nodes, i).Hostname)).Distinct().Order()],
                StatusDescription = groups.Values.Any(g => g.DesiredCanaries > 0)
                    ? (groups.Values.Where(g => g.DesiredCanaries > 0).All(g => g.AutoPromote) ? DeploymentDescriptions.RunningAutoPromotion : DeploymentDescriptions.RunningNeedsPromotion)
                    : DeploymentDescriptions.Running,
            };
            await states.CreatedAsync(w, deployment, ct);
            freezes.RecordOverrides(w.Db, admission, DeploymentStateMachine.Subject(deployment));
        }
        else
        {
            freezes.RecordOverrides(w.Db, admission, new RecordedSubject(SubjectKinds.Job, CanaryWrite.JobKey(job.Namespace, job.JobId), TimelineSources.Deployments, job.JobId, Actor: actor));
        }

        foreach (var group in spec.TaskGroups)
        {
            var state = deployment?.TaskGroups.GetValueOrDefault(group.Name);
            Reconcile(w, spec, job.Version, group, state, deployment, allocs, nodes, evalId, hold: false);
        }
        if (deployment is not null)
        {
            // Descriptions count the canaries just placed; a deployment waits for a person only once they are healthy.
            deployment.WaitingSince = null;
            Schedule(w, deployment, allocs);
        }
        else
        {
            job.Status = "running";
        }
        return new RegisterOutcome(evalId, job.JobModifyIndex, job.Version, true, deployment?.Id);
    }

    /// <summary>Stops every allocation of the job and cancels its deployment (Nomad's job deregister).</summary>
    public async Task<string> StopJobAsync(CanaryContext w, CanaryJob job, string? actor, CancellationToken ct)
    {
        foreach (var running in await ActiveDeploymentsAsync(w, job, ct))
            await states.MoveAsync(w, running, DeploymentStatuses.Cancelled, DeploymentDescriptions.StoppedJob, actor, ct);
        foreach (var alloc in await LiveAllocationsAsync(w, job, ct)) Stop(w, alloc, "alloc not needed since job was stopped");
        job.Stop = true;
        job.Status = "dead";
        job.Version++;
        job.JobModifyIndex = w.Index;
        job.SubmitTime = w.Now;
        w.Touch(job);
        var spec = await w.Db.CanaryJobVersions.AsNoTracking()
            .Where(v => v.Namespace == job.Namespace && v.JobId == job.JobId && v.Version == job.Version - 1).Select(v => v.SpecJson).SingleAsync(ct);
        w.Db.CanaryJobVersions.Add(new CanaryJobVersion
        {
            Namespace = job.Namespace, JobId = job.JobId, Version = job.Version, SpecJson = spec, Stop = true,
            CreateIndex = w.Index, ModifyIndex = w.Index, JobModifyIndex = w.Index, SubmitTime = w.Now,
        });
        return NewId();
    }

    /// <summary>
    /// One watcher pass over a deployment at <see cref="CanaryContext.Now"/>. Reentrant: a pass with
    /// nothing due changes nothing, so a redelivered job is harmless.
    /// </summary>
    public async Task StepAsync(CanaryContext w, CanaryDeployment d, CancellationToken ct)
    {
        if (!d.Active) return;
        var job = await w.Db.CanaryJobs.SingleAsync(j => j.Namespace == d.Namespace && j.JobId == d.JobId, ct);
        var spec = JobSpec.FromJson(await w.Db.CanaryJobVersions.AsNoTracking()
            .Where(v => v.Namespace == d.Namespace && v.JobId == d.JobId && v.Version == d.JobVersion).Select(v => v.SpecJson).SingleAsync(ct));
        var allocs = await LiveAllocationsAsync(w, job, ct);
        var mine = allocs.Where(a => a.DeploymentId == d.Id).ToList();

        foreach (var alloc in mine) Advance(w, d, alloc);
        var healthyBefore = d.TaskGroups.ToDictionary(g => g.Key, g => g.Value.HealthyAllocs);
        Count(w, d, await DeploymentAllocationsAsync(w, d.Id, ct));

        DateTime? heldUntil = null;
        var unhealthyGroups = d.TaskGroups.Where(g => g.Value.UnhealthyAllocs > 0).Select(g => g.Key).ToList();
        if (unhealthyGroups.Count > 0)
        {
            await FailAsync(w, d, DeploymentDescriptions.FailedAllocations, d.TaskGroups.Where(g => unhealthyGroups.Contains(g.Key)).Any(g => g.Value.AutoRevert), null, ct);
            return;
        }
        foreach (var (name, state) in d.TaskGroups)
        {
            if (state.HealthyAllocs > healthyBefore[name] && state.ProgressDeadline > TimeSpan.Zero) state.RequireProgressBy = w.Now + state.ProgressDeadline;
        }
        if (d.Status == DeploymentStatuses.Running && DeadlinePassed(d, mine, w.Now))
        {
            await FailAsync(w, d, DeploymentDescriptions.ProgressDeadline, d.TaskGroups.Values.Any(g => g.AutoRevert), null, ct);
            return;
        }
        if (d.Status == DeploymentStatuses.Running)
        {
            if (CanAutoPromote(d, mine)) Promote(w, d, d.TaskGroups.Keys, null);
            var nodes = await NodesAsync(w, d.Namespace, ct);
            var hold = await freezes.HoldAsync(w.Db, FreezeTarget(d.Namespace, d.JobId), d.Id, w.Now, ct);
            var held = false;
            foreach (var group in spec.TaskGroups)
                held |= Reconcile(w, spec, d.JobVersion, group, d.TaskGroups.GetValueOrDefault(group.Name), d, allocs, nodes, NewId(), hold is not null);
            if (held)
            {
                await freezes.RecordWaitAsync(w.Db, DeploymentStateMachine.Subject(d), hold!, $"Deployment {DeploymentStateMachine.ShortId(d.Id)} of {d.JobId}: next allocations", ct);
                heldUntil = hold!.Until;
                // The freeze is nobody's lack of progress: the deadline counts again from its end.
                foreach (var state in d.TaskGroups.Values.Where(g => g.ProgressDeadline > TimeSpan.Zero && g.RequireProgressBy != DateTime.MinValue))
                {
                    if (state.RequireProgressBy < heldUntil.Value + state.ProgressDeadline) { state.RequireProgressBy = heldUntil.Value + state.ProgressDeadline; w.Touch(d); }
                }
            }
            else
            {
                await FreezeService.ReleaseAsync(w.Db, SubjectKinds.Deployment, d.Id, ct);
            }
            Describe(w, d, mine);
            if (IsComplete(d, allocs))
            {
                await states.MoveAsync(w, d, DeploymentStatuses.Successful, DeploymentDescriptions.Successful, null, ct);
                var version = await w.Db.CanaryJobVersions.SingleAsync(v => v.Namespace == d.Namespace && v.JobId == d.JobId && v.Version == d.JobVersion, ct);
                version.Stable = true;
                version.ModifyIndex = w.Index;
                if (job.Version == d.JobVersion) { job.Status = "running"; w.Touch(job); }
                return;
            }
        }
        Schedule(w, d, allocs, heldUntil);
    }

    /// <summary>Marks the deployment failed and, when asked to and possible, registers the latest stable version again.</summary>
    public async Task<long?> FailAsync(CanaryContext w, CanaryDeployment d, string reason, bool revert, string? actor, CancellationToken ct)
    {
        var description = reason;
        JobSpec? target = null;
        long? targetVersion = null;
        if (revert)
        {
            var stable = await w.Db.CanaryJobVersions.AsNoTracking()
                .Where(v => v.Namespace == d.Namespace && v.JobId == d.JobId && v.Stable && v.Version != d.JobVersion && !v.Stop)
                .OrderByDescending(v => v.Version).FirstOrDefaultAsync(ct);
            var current = await w.Db.CanaryJobVersions.AsNoTracking()
                .Where(v => v.Namespace == d.Namespace && v.JobId == d.JobId && v.Version == d.JobVersion).Select(v => v.SpecJson).SingleAsync(ct);
            if (stable is null) description = DeploymentDescriptions.NoRollbackTarget(reason);
            else if (stable.SpecJson == current) description = DeploymentDescriptions.RollbackNoop(reason, stable.Version);
            else
            {
                description = DeploymentDescriptions.Rollback(reason, stable.Version);
                target = JobSpec.FromJson(stable.SpecJson);
                targetVersion = stable.Version;
            }
        }
        await states.MoveAsync(w, d, DeploymentStatuses.Failed, description, actor, ct);
        if (target is not null) await RegisterAsync(w, target, actor ?? "auto-revert", ct, rollback: true);
        return targetVersion;
    }

    public void Promote(CanaryContext w, CanaryDeployment d, IEnumerable<string> groups, string? actor)
    {
        foreach (var name in groups)
        {
            var state = d.TaskGroups[name];
            if (state.DesiredCanaries == 0) continue;
            state.Promoted = true;
            if (state.ProgressDeadline > TimeSpan.Zero && state.RequireProgressBy != DateTime.MinValue) state.RequireProgressBy = w.Now + state.ProgressDeadline;
        }
        d.NextCheckAt = w.Now;
        w.Touch(d);
        if (!d.TaskGroups.Values.Any(g => g.NeedsPromotion)) states.Describe(w, d, DeploymentDescriptions.Running, actor);
    }

    public static string RunningDescription(CanaryDeployment d)
    {
        var waiting = d.TaskGroups.Values.Where(g => g.NeedsPromotion).ToList();
        if (waiting.Count == 0) return DeploymentDescriptions.Running;
        return waiting.All(g => g.AutoPromote) ? DeploymentDescriptions.RunningAutoPromotion : DeploymentDescriptions.RunningNeedsPromotion;
    }

    public static void Stop(CanaryContext w, CanaryAllocation alloc, string why)
    {
        alloc.DesiredStatus = AllocationStatuses.DesiredStop;
        alloc.DesiredDescription = why;
        if (!AllocationStatuses.IsTerminal(alloc.ClientStatus)) alloc.ClientStatus = AllocationStatuses.Complete;
        w.Touch(alloc);
    }

    // ---- placement ----------------------------------------------------------------------------

    /// <summary>
    /// Places and stops allocations toward the group's count. With <paramref name="hold"/> (a freeze)
    /// nothing new is placed; returns true when it held back a placement it would have made.
    /// </summary>
    private bool Reconcile(CanaryContext w, JobSpec spec, long version, TaskGroupSpec group, DeploymentGroupState? state,
        CanaryDeployment? d, List<CanaryAllocation> allocs, List<Device> nodes, string evalId, bool hold)
    {
        var mine = allocs.Where(a => a.TaskGroup == group.Name && a.JobVersion == version).ToList();
        var old = allocs.Where(a => a.TaskGroup == group.Name && a.JobVersion != version).OrderByDescending(a => a.Index).ToList();
        if (state is null)
        {
            // No update block: replace everything at once, no deployment to watch.
            if (hold) return mine.Count < group.Count;
            foreach (var a in old) { Stop(w, a, "alloc is being updated due to job update"); allocs.Remove(a); }
            while (mine.Count < group.Count) Place(w, spec, version, group, d: null, canary: false, mine, allocs, nodes, evalId);
            return false;
        }
        if (state.NeedsPromotion)
        {
            if (hold) return mine.Count(a => a.Canary) < state.DesiredCanaries;
            while (mine.Count(a => a.Canary) < state.DesiredCanaries) Place(w, spec, version, group, d, canary: true, mine, allocs, nodes, evalId);
            return false;
        }
        // Destructive updates are limited to max_parallel in flight; first placements are not.
        var inFlight = mine.Count(a => a.Healthy != true);
        var heldBack = false;
        while (mine.Count < group.Count && (old.Count == 0 || inFlight < state.MaxParallel))
        {
            if (hold) { heldBack = true; break; }
            Place(w, spec, version, group, d, canary: false, mine, allocs, nodes, evalId);
            inFlight++;
            while (old.Count > Math.Max(0, group.Count - mine.Count))
            {
                Stop(w, old[0], "alloc is being updated due to job update");
                allocs.Remove(old[0]);
                old.RemoveAt(0);
            }
        }
        while (old.Count > Math.Max(0, group.Count - mine.Count))
        {
            Stop(w, old[0], "alloc is being updated due to job update");
            allocs.Remove(old[0]);
            old.RemoveAt(0);
        }
        // Scaled down: the highest indexes go.
        foreach (var extra in mine.OrderByDescending(a => a.Index).Take(Math.Max(0, mine.Count - group.Count)).ToList())
        {
            Stop(w, extra, "alloc not needed due to job update");
            allocs.Remove(extra);
        }
        return heldBack;
    }

    private void Place(CanaryContext w, JobSpec spec, long version, TaskGroupSpec group, CanaryDeployment? d, bool canary,
        List<CanaryAllocation> mine, List<CanaryAllocation> allocs, List<Device> nodes, string evalId)
    {
        var used = mine.Select(a => a.Index).ToHashSet();
        var index = Enumerable.Range(0, int.MaxValue).First(i => !used.Contains(i));
        var node = NodeFor(nodes, index);
        var name = $"{spec.ID}.{group.Name}[{index}]";
        var (startsAt, healthy) = driver.Plan(spec, group, name, version, w.Now);
        var alloc = new CanaryAllocation
        {
            Id = NewId(), EvalId = evalId, Namespace = spec.Namespace, JobId = spec.ID, JobVersion = version, TaskGroup = group.Name,
            Name = name, Index = index, NodeId = node.Id, NodeName = node.Hostname, DeploymentId = d?.Id, Canary = canary,
            StartsAt = startsAt, SimulatedHealthy = healthy, Tasks = [.. group.Tasks.Select(t => t.Name)],
            ClientStatus = startsAt is null ? AllocationStatuses.Running : AllocationStatuses.Pending,
            StartedAt = startsAt is null ? w.Now : null,
            CreateIndex = w.Index, CreateTime = w.Now,
        };
        w.Db.CanaryAllocations.Add(alloc);
        w.Touch(alloc);
        mine.Add(alloc);
        allocs.Add(alloc);
        if (d is null) return;
        var state = d.TaskGroups[group.Name];
        state.PlacedAllocs++;
        if (canary) state.PlacedCanaries.Add(alloc.Id);
        if (state.RequireProgressBy == DateTime.MinValue && state.ProgressDeadline > TimeSpan.Zero) state.RequireProgressBy = w.Now + state.ProgressDeadline;
        w.Touch(d);
    }

    private static Device NodeFor(List<Device> nodes, int index) => nodes[index % nodes.Count];

    // ---- watching -----------------------------------------------------------------------------

    /// <summary>The simulated driver's clock: tasks start, then turn healthy after min_healthy_time, or fail.</summary>
    private static void Advance(CanaryContext w, CanaryDeployment d, CanaryAllocation a)
    {
        var state = d.TaskGroups.GetValueOrDefault(a.TaskGroup);
        if (state is null || a.DesiredStatus != AllocationStatuses.DesiredRun) return;
        if (a.ClientStatus == AllocationStatuses.Pending && a.StartsAt <= w.Now)
        {
            if (a.SimulatedHealthy == false)
            {
                a.ClientStatus = AllocationStatuses.Failed;
                a.ClientDescription = "Failed tasks";
                if (state.HealthCheck != HealthChecks.Manual) SetHealth(w, a, false);
            }
            else
            {
                a.ClientStatus = AllocationStatuses.Running;
                a.StartedAt = a.StartsAt;
            }
            w.Touch(a);
        }
        if (a.ClientStatus != AllocationStatuses.Running || a.Healthy is not null || state.HealthCheck == HealthChecks.Manual) return;
        if (a.SimulatedHealthy == true && a.StartedAt + state.MinHealthyTime <= w.Now) SetHealth(w, a, true);
        else if (a.CreateTime + state.HealthyDeadline <= w.Now) SetHealth(w, a, false);
    }

    public static void SetHealth(CanaryContext w, CanaryAllocation a, bool healthy)
    {
        a.Healthy = healthy;
        a.HealthTimestamp = w.Now;
        w.Touch(a);
    }

    /// <summary>Recounts the per-group figures from the allocations (placed ever, healthy, unhealthy).</summary>
    public static void Count(CanaryContext w, CanaryDeployment d, List<CanaryAllocation> deploymentAllocs)
    {
        foreach (var (name, state) in d.TaskGroups)
        {
            var group = deploymentAllocs.Where(a => a.TaskGroup == name).ToList();
            var healthy = group.Count(a => a.Healthy == true);
            var unhealthy = group.Count(a => a.Healthy == false);
            if (state.HealthyAllocs == healthy && state.UnhealthyAllocs == unhealthy && state.PlacedAllocs == group.Count) continue;
            state.HealthyAllocs = healthy;
            state.UnhealthyAllocs = unhealthy;
            state.PlacedAllocs = group.Count;
            w.Touch(d);
        }
    }

    private static bool DeadlinePassed(CanaryDeployment d, List<CanaryAllocation> mine, DateTime now) =>
        d.TaskGroups.Any(g => DeadlineApplies(g.Key, g.Value, mine) && g.Value.RequireProgressBy < now);

    private static bool DeadlineApplies(string group, DeploymentGroupState state, List<CanaryAllocation> mine) =>
        state.RequireProgressBy != DateTime.MinValue && !WaitingForPerson(group, state, mine)
        && !(state.HealthyAllocs >= state.DesiredTotal && !state.NeedsPromotion);

    /// <summary>Healthy canaries that only a promotion can move on: the clock is not theirs to lose.</summary>
    private static bool WaitingForPerson(string group, DeploymentGroupState state, List<CanaryAllocation> mine) =>
        state.NeedsPromotion && !state.AutoPromote && mine.Count(a => a.TaskGroup == group && a.Canary && a.Healthy == true) >= state.DesiredCanaries;

    private static bool CanAutoPromote(CanaryDeployment d, List<CanaryAllocation> mine)
    {
        var withCanaries = d.TaskGroups.Where(g => g.Value.DesiredCanaries > 0).ToList();
        if (withCanaries.Count == 0 || !withCanaries.Any(g => !g.Value.Promoted)) return false;
        return withCanaries.All(g => g.Value.AutoPromote
            && mine.Count(a => a.TaskGroup == g.Key && a.Canary && a.Healthy == true) >= g.Value.DesiredCanaries);
    }

    private void Describe(CanaryContext w, CanaryDeployment d, List<CanaryAllocation> mine)
    {
        var description = RunningDescription(d);
        states.Describe(w, d, description);
        if (description == DeploymentDescriptions.RunningNeedsPromotion)
        {
            var ready = d.TaskGroups.Where(g => g.Value.NeedsPromotion).All(g => WaitingForPerson(g.Key, g.Value, mine));
            var waitingSince = ready ? d.WaitingSince ?? w.Now : (DateTime?)null;
            if (waitingSince != d.WaitingSince) { d.WaitingSince = waitingSince; w.Touch(d); }
        }
    }

    private static bool IsComplete(CanaryDeployment d, List<CanaryAllocation> allocs) =>
        d.TaskGroups.All(g => !g.Value.NeedsPromotion
            && allocs.Count(a => a.TaskGroup == g.Key && a.JobVersion == d.JobVersion && a.Healthy == true) >= g.Value.DesiredTotal
            && !allocs.Any(a => a.TaskGroup == g.Key && a.JobVersion != d.JobVersion));

    /// <summary>When the watcher must look again: the earliest start, health decision or deadline.</summary>
    private static void Schedule(CanaryContext w, CanaryDeployment d, List<CanaryAllocation> allocs, DateTime? heldUntil = null)
    {
        DateTime? next = null;
        void Consider(DateTime? at) { if (at is { } t && (next is null || t < next)) next = t; }
        Consider(heldUntil);
        foreach (var a in allocs.Where(a => a.DeploymentId == d.Id))
        {
            var state = d.TaskGroups.GetValueOrDefault(a.TaskGroup);
            if (state is null) continue;
            if (a.ClientStatus == AllocationStatuses.Pending) Consider(a.StartsAt);
            else if (a.ClientStatus == AllocationStatuses.Running && a.Healthy is null && state.HealthCheck != HealthChecks.Manual)
            {
                Consider(a.SimulatedHealthy == true ? a.StartedAt + state.MinHealthyTime : null);
                Consider(a.CreateTime + state.HealthyDeadline);
            }
        }
        if (d.Status == DeploymentStatuses.Running)
        {
            var mine = allocs.Where(a => a.DeploymentId == d.Id).ToList();
            foreach (var (name, state) in d.TaskGroups.Where(g => DeadlineApplies(g.Key, g.Value, mine)))
                Consider(state.RequireProgressBy.AddMilliseconds(1));
        }
        if (next != d.NextCheckAt) { d.NextCheckAt = next; w.Touch(d); }
        if (next is { } due) w.RunStep(d.Id, due < w.Now ? w.Now : due, $"Watch deployment {DeploymentStateMachine.ShortId(d.Id)} of {d.JobId}");
    }

    // ---- queries inside a write -------------------------------------------------------------------

    private static async Task<List<CanaryDeployment>> ActiveDeploymentsAsync(CanaryContext w, CanaryJob job, CancellationToken ct)
    {
        var found = await w.Db.CanaryDeployments.Where(d => d.Namespace == job.Namespace && d.JobId == job.JobId && d.Active).ToListAsync(ct);
        // A deployment failed earlier in this same write is still active in the database.
        return [.. found.Where(d => d.Active)];
    }

    private static Task<List<CanaryAllocation>> LiveAllocationsAsync(CanaryContext w, CanaryJob job, CancellationToken ct) =>
        w.Db.CanaryAllocations.Where(a => a.Namespace == job.Namespace && a.JobId == job.JobId && a.DesiredStatus == AllocationStatuses.DesiredRun)
            .OrderBy(a => a.Index).ToListAsync(ct);

    public static Task<List<CanaryAllocation>> DeploymentAllocationsAsync(CanaryContext w, string deploymentId, CancellationToken ct) =>
        w.Db.CanaryAllocations.Where(a => a.DeploymentId == deploymentId).ToListAsync(ct);

    private static async Task<Project> ProjectAsync(CanaryContext w, string ns, CancellationToken ct) =>
        await w.Db.Projects.AsNoTracking().FirstOrDefaultAsync(p => p.Slug == ns, ct)
        ?? throw new ValidationException("Namespace", $"job \"{ns}\" namespace does not exist");

    private static async Task<List<Device>> NodesAsync(CanaryContext w, string ns, CancellationToken ct)
    {
        var project = await ProjectAsync(w, ns, ct);
        var nodes = await w.Db.Devices.AsNoTracking().Where(d => d.ProjectId == project.Id && d.State == DeviceStates.Active)
            .OrderBy(d => d.Hostname).Take(10_000).ToListAsync(ct);
        return nodes.Count > 0 ? nodes : throw new ValidationException("Namespace", $"namespace \"{ns}\" has no ready nodes to place allocations on");
    }
}
