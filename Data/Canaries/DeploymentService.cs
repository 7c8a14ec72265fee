using Dashboard.Data.Audit;
using System.Globalization;
using System.Linq.Expressions;
using Dashboard.Data.Work;
using Microsoft.EntityFrameworkCore;

namespace Dashboard.Data.Canaries;

/// <summary>Nomad's answer to a deployment write.</summary>
public sealed record DeploymentUpdate(string EvalId, long EvalCreateIndex, long DeploymentModifyIndex, long? RevertedJobVersion, long Index);

/// <summary>What a deployments list asks for, as Nomad's query parameters say it.</summary>
/// <param name="Allowed">With <c>Namespace = "*"</c>, the namespaces the caller may read (null: every one).</param>
public sealed record DeploymentListQuery(string Namespace = "default", string? Prefix = null, string? NextToken = null, int PerPage = 0, bool Reverse = false,
    IReadOnlyCollection<string>? Allowed = null);

/// <summary>
/// Which deployments a list keeps: <paramref name="Matches"/> decides, in memory; <paramref name="Narrowing"/>,
/// when there is one, is a condition every match satisfies, tested by the database first so a rare match
/// does not read the whole namespace.
/// </summary>
public sealed record DeploymentFilter(Func<CanaryDeployment, bool> Matches, Expression<Func<CanaryDeployment, bool>>? Narrowing = null);

public sealed record DeploymentPage(IReadOnlyList<CanaryDeployment> Items, string? NextToken, long Index);

public sealed record DeploymentDetail(CanaryDeployment Deployment, IReadOnlyList<CanaryAllocation> Allocations, long? RevertTarget, string? ImageOf);

/// <summary>
/// Deployments: reads (with Nomad's paging) and the actions people and tools take on them
/// (promote, pause/resume, fail, allocation health, unblock) plus one watcher step. Every action
/// runs in one <see cref="CanaryWriter"/> write, which serialises it against the watcher and other
/// actions; the deployment's ModifyIndex is its concurrency token besides, so a transition is
/// applied once however many callers race for it, and the losers are told why (409 or 400).
/// </summary>
public sealed class DeploymentService(
    IDbContextFactory<DashboardDbContext> dbFactory, CanaryWriter writer, CanaryEngine engine, IWorkScheduler scheduler, TimeProvider clock, AuditLog audit)
{
    /// <summary>A step this close to its time runs now: timers may fire a little early.</summary>
    private static readonly TimeSpan EarlyTolerance = TimeSpan.FromMilliseconds(50);

    public const int MaxPerPage = 10_000;

    // ---- reads --------------------------------------------------------------------------------

    public async Task<long> DeploymentsIndexAsync(CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.CanaryDeployments.MaxAsync(d => (long?)d.ModifyIndex, ct) ?? 1;
    }

    /// <summary>
    /// One page, in Nomad's order: by create index (or by id with a prefix), <paramref name="matches"/>
    /// (the filter expression) applied while paging, so a page is full whenever enough match.
    /// The filter's narrowing only drops rows the filter would drop, in the same order, so pages and
    /// tokens are the same as without it.
    /// </summary>
    public async Task<DeploymentPage> ListAsync(DeploymentListQuery q, DeploymentFilter? filter = null, CancellationToken ct = default)
    {
        var matches = filter?.Matches;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var index = await db.CanaryDeployments.MaxAsync(d => (long?)d.ModifyIndex, ct) ?? 1;
        var query = db.CanaryDeployments.AsNoTracking();
        var byId = !string.IsNullOrEmpty(q.Prefix);
        if (q.Namespace != "*")
        {
            // With a prefix the id range is the selective part: `|| ''` keeps SQLite's planner off the
            // namespace index, which would read every deployment of the namespace and sort them.
            query = byId ? query.Where(d => d.Namespace + "" == q.Namespace) : query.Where(d => d.Namespace == q.Namespace);
        }
        else if (q.Allowed is { } allowed)
        {
            var names = allowed.ToList();
            query = query.Where(d => names.Contains(d.Namespace));
        }
        if (filter?.Narrowing is { } narrowing) query = query.Where(narrowing);
        if (byId)
        {
            // A range on the key, which an index serves (LIKE 'ab%' is case-insensitive on SQLite and scans).
            // Ids are lowercase hex and dashes, all below '~'.
            var from = q.Prefix!;
            var to = from + "~";
            query = query.Where(d => string.Compare(d.Id, from) >= 0 && string.Compare(d.Id, to) < 0);
        }

        var wanted = q.PerPage > 0 ? q.PerPage : int.MaxValue;
        var items = new List<CanaryDeployment>();
        string? next = null;
        var token = q.NextToken;
        var chunk = Math.Clamp(q.PerPage > 0 ? q.PerPage + 1 : 500, 1, 2000);
        if (matches is not null) chunk = Math.Max(chunk, 500);
        while (true)
        {
            var page = await Window(query, byId, q.Reverse, token).Take(chunk).ToListAsync(ct);
            foreach (var d in page)
            {
                if (matches is not null && !matches(d)) continue;
                if (items.Count == wanted) { next = TokenOf(d, byId); break; }
                items.Add(d);
            }
            if (next is not null || page.Count < chunk) break;
            token = TokenOf(page[^1], byId) + "\0"; // strictly after the last one read
            if (!byId) token = AfterToken(page[^1], q.Reverse);
        }
        return new DeploymentPage(items, next, index);
    }

    private static string TokenOf(CanaryDeployment d, bool byId) => byId ? d.Id : d.CreateIndex.ToString(CultureInfo.InvariantCulture) + "." + d.Id;

    // An internal continuation token for the next window: same shape, one step beyond the last row.
    private static string AfterToken(CanaryDeployment d, bool reverse) => $"{d.CreateIndex}.{d.Id}{(reverse ? "<" : ">")}";

    private static IQueryable<CanaryDeployment> Window(IQueryable<CanaryDeployment> query, bool byId, bool reverse, string? token)
    {
        if (byId)
        {
            if (!string.IsNullOrEmpty(token))
            {
                var strict = token.EndsWith('\0');
                var t = token.TrimEnd('\0');
                query = reverse
                    ? (strict ? query.Where(d => string.Compare(d.Id, t) < 0) : query.Where(d => string.Compare(d.Id, t) <= 0))
                    : (strict ? query.Where(d => string.Compare(d.Id, t) > 0) : query.Where(d => string.Compare(d.Id, t) >= 0));
            }
            return reverse ? query.OrderByDescending(d => d.Id) : query.OrderBy(d => d.Id);
        }
        if (!string.IsNullOrEmpty(token))
        {
            var strict = token.EndsWith('>') || token.EndsWith('<');
            var raw = strict ? token[..^1] : token;
            var dot = raw.IndexOf('.');
            if (dot > 0 && long.TryParse(raw[..dot], NumberStyles.None, CultureInfo.InvariantCulture, out var ci))
            {
                var id = raw[(dot + 1)..];
                query = reverse
                    ? (strict
                        ? query.Where(d => d.CreateIndex < ci || (d.CreateIndex == ci && string.Compare(d.Id, id) < 0))
                        : query.Where(d => d.CreateIndex < ci || (d.CreateIndex == ci && string.Compare(d.Id, id) <= 0)))
                    : (strict
                        ? query.Where(d => d.CreateIndex > ci || (d.CreateIndex == ci && string.Compare(d.Id, id) > 0))
                        : query.Where(d => d.CreateIndex > ci || (d.CreateIndex == ci && string.Compare(d.Id, id) >= 0)));
            }
        }
        return reverse ? query.OrderByDescending(d => d.CreateIndex).ThenByDescending(d => d.Id) : query.OrderBy(d => d.CreateIndex).ThenBy(d => d.Id);
    }

    public async Task<CanaryDeployment?> GetAsync(string id, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.CanaryDeployments.AsNoTracking().FirstOrDefaultAsync(d => d.Id == id, ct);
    }

    /// <summary>The namespace allocation <paramref name="allocationId"/> runs in, for the caller's namespace policy; null when there is no such allocation.</summary>
    public async Task<string?> AllocationNamespaceAsync(string allocationId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.CanaryAllocations.AsNoTracking().Where(a => a.Id == allocationId).Select(a => a.Namespace).FirstOrDefaultAsync(ct);
    }

    public async Task<List<CanaryAllocation>> AllocationsAsync(string id, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.CanaryAllocations.AsNoTracking().Where(a => a.DeploymentId == id).OrderBy(a => a.CreateIndex).ThenBy(a => a.Name).ToListAsync(ct);
    }

    /// <summary>The deployment with its allocations and what a failure would revert to, for the detail page.</summary>
    public async Task<DeploymentDetail?> DetailAsync(string id, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var d = await db.CanaryDeployments.AsNoTracking().FirstOrDefaultAsync(x => x.Id == id, ct);
        if (d is null) return null;
        var allocs = await db.CanaryAllocations.AsNoTracking().Where(a => a.DeploymentId == id).OrderBy(a => a.TaskGroup).ThenBy(a => a.Index).ThenBy(a => a.CreateIndex).ToListAsync(ct);
        var versions = await db.CanaryJobVersions.AsNoTracking().Where(v => v.Namespace == d.Namespace && v.JobId == d.JobId).ToListAsync(ct);
        var current = versions.FirstOrDefault(v => v.Version == d.JobVersion);
        var stable = versions.Where(v => v.Stable && v.Version != d.JobVersion && !v.Stop).MaxBy(v => v.Version);
        long? revert = d.TaskGroups.Values.Any(g => g.AutoRevert) && stable is not null && stable.SpecJson != current?.SpecJson ? stable.Version : null;
        var image = current is null ? null : JobSpec.FromJson(current.SpecJson).TaskGroups.Select(g => g.Image).FirstOrDefault(i => i is not null);
        return new DeploymentDetail(d, allocs, revert, image);
    }

    /// <summary>Running and paused deployments the watcher must look at by <paramref name="until"/>.</summary>
    public async Task<List<string>> DueAsync(DateTime until, int take = 1000, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.CanaryDeployments.AsNoTracking().Where(d => d.Active && d.NextCheckAt != null && d.NextCheckAt <= until)
            .OrderBy(d => d.NextCheckAt).Select(d => d.Id).Take(take).ToListAsync(ct);
    }

    /// <summary>Whether <see cref="ActiveAsync"/> would find a deployment, without its query (see <see cref="ReconcileCheck"/>).</summary>
    public Task<bool> HasActiveAsync(CancellationToken ct = default) =>
        ReconcileCheck.AnyAsync(dbFactory, """SELECT 1 FROM "CanaryDeployments" WHERE "Active" = TRUE""", ct);

    public async Task<List<CanaryDeployment>> ActiveAsync(CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.CanaryDeployments.AsNoTracking().Where(d => d.Active).OrderBy(d => d.CreateIndex).ToListAsync(ct);
    }

    // ---- actions ------------------------------------------------------------------------------

    public Task<DeploymentUpdate> PromoteAsync(string id, bool all, IReadOnlyList<string>? groups, string? actor, CancellationToken ct = default) =>
        writer.WriteAsync(async w =>
        {
            audit.Attempt(AuditActions.DeploymentPromote, AuditTargets.Deployment, id);
            var d = await LoadActiveAsync(w, id, "can't promote terminal deployment", ct);
            var names = all ? d.TaskGroups.Keys.ToList() : [.. (groups ?? []).Distinct()];
            if (names.Count == 0) throw new ValidationException("Groups", "must specify All or at least one task group to promote");
            foreach (var name in names)
                if (!d.TaskGroups.ContainsKey(name)) throw new ValidationException("Groups", $"Task group \"{name}\" is not part of the deployment");
            var withCanaries = names.Where(n => d.TaskGroups[n].DesiredCanaries > 0).ToList();
            if (withCanaries.Count == 0) throw new ValidationException("Groups", "no canaries to promote");
            if (withCanaries.All(n => d.TaskGroups[n].Promoted)) throw new ConflictException("deployment already promoted");
            var allocs = await CanaryEngine.DeploymentAllocationsAsync(w, d.Id, ct);
            var unhealthy = withCanaries
                .Select(n => (Name: n, Have: allocs.Count(a => a.TaskGroup == n && a.Canary && a.Healthy == true && a.DesiredStatus == AllocationStatuses.DesiredRun), Need: d.TaskGroups[n].DesiredCanaries))
                .Where(x => x.Have < x.Need).ToList();
            if (unhealthy.Count > 0)
                throw new ValidationException("Groups", string.Join("; ", unhealthy.Select(x => $"Task group \"{x.Name}\" has {x.Have}/{x.Need} healthy allocations")));
            engine.Promote(w, d, withCanaries, actor);
            audit.Add(w.Db, AuditActions.DeploymentPromote, AuditTargets.Deployment, id, $"{d.JobId}: promoted {string.Join(", ", withCanaries)}.");
            Step(w, d, "Promote");
            return Answer(w, d, null);
        }, ct);

    public Task<DeploymentUpdate> PauseAsync(string id, bool pause, string? actor, CancellationToken ct = default) =>
        writer.WriteAsync(async w =>
        {
            var action = pause ? AuditActions.DeploymentPause : AuditActions.DeploymentResume;
            audit.Attempt(action, AuditTargets.Deployment, id);
            var d = await LoadActiveAsync(w, id, pause ? "can't pause terminal deployment" : "can't resume terminal deployment", ct);
            audit.Add(w.Db, action, AuditTargets.Deployment, id, $"{d.JobId} {(pause ? "paused" : "resumed")}.");
            if (pause && d.Status == DeploymentStatuses.Paused) throw new ConflictException("deployment is already paused");
            if (!pause && d.Status != DeploymentStatuses.Paused) throw new ConflictException("deployment is not paused");
            if (pause)
            {
                await engine.States.MoveAsync(w, d, DeploymentStatuses.Paused, DeploymentDescriptions.Paused, actor, ct);
                return new DeploymentUpdate("", 0, w.Index, null, w.Index);
            }
            await engine.States.MoveAsync(w, d, DeploymentStatuses.Running, CanaryEngine.RunningDescription(d), actor, ct);
            // Time spent paused is not the deployment's fault: its progress clock starts again.
            foreach (var state in d.TaskGroups.Values.Where(s => s.RequireProgressBy != DateTime.MinValue && s.ProgressDeadline > TimeSpan.Zero))
                state.RequireProgressBy = w.Now + state.ProgressDeadline;
            d.NextCheckAt = w.Now;
            Step(w, d, "Resume");
            return Answer(w, d, null);
        }, ct);

    public Task<DeploymentUpdate> FailAsync(string id, string? actor, CancellationToken ct = default) =>
        writer.WriteAsync(async w =>
        {
            audit.Attempt(AuditActions.DeploymentFail, AuditTargets.Deployment, id);
            var d = await LoadActiveAsync(w, id, "can't fail terminal deployment", ct);
            audit.Add(w.Db, AuditActions.DeploymentFail, AuditTargets.Deployment, id, $"{d.JobId} marked as failed.");
            var reverted = await engine.FailAsync(w, d, DeploymentDescriptions.FailedByUser, d.TaskGroups.Values.Any(g => g.AutoRevert), actor, ct);
            return Answer(w, d, reverted);
        }, ct);

    public Task<DeploymentUpdate> SetAllocationHealthAsync(string id, IReadOnlyList<string> healthy, IReadOnlyList<string> unhealthy, string? actor, CancellationToken ct = default) =>
        writer.WriteAsync(async w =>
        {
            audit.Attempt(AuditActions.DeploymentHealth, AuditTargets.Deployment, id);
            if (healthy.Count + unhealthy.Count == 0) throw new ValidationException("HealthyAllocationIDs", "must specify at least one healthy/unhealthy allocation ID");
            var both = healthy.Intersect(unhealthy).FirstOrDefault();
            if (both is not null) throw new ValidationException("UnhealthyAllocationIDs", $"Allocation \"{both}\" is marked both healthy and unhealthy");
            var d = await LoadActiveAsync(w, id, "can't set health of allocations for a terminal deployment", ct);
            var allocs = (await CanaryEngine.DeploymentAllocationsAsync(w, d.Id, ct)).ToDictionary(a => a.Id);
            foreach (var allocId in healthy.Concat(unhealthy))
            {
                if (!allocs.TryGetValue(allocId, out var alloc)) throw new ValidationException("HealthyAllocationIDs", $"Allocation \"{allocId}\" is not part of deployment \"{d.Id}\"");
                var check = d.TaskGroups.GetValueOrDefault(alloc.TaskGroup)?.HealthCheck;
                if (check != HealthChecks.Manual)
                    throw new ValidationException("HealthyAllocationIDs", $"Allocation \"{allocId}\" is in task group \"{alloc.TaskGroup}\" whose health_check is \"{check}\"; only \"manual\" groups take health from this endpoint");
                if (alloc.DesiredStatus != AllocationStatuses.DesiredRun) throw new ValidationException("HealthyAllocationIDs", $"Allocation \"{allocId}\" is stopped");
            }
            var changed = false;
            foreach (var allocId in healthy) changed |= Mark(w, allocs[allocId], true);
            foreach (var allocId in unhealthy) changed |= Mark(w, allocs[allocId], false);
            if (!changed) throw new ConflictException("allocation health is already as requested");
            audit.Add(w.Db, AuditActions.DeploymentHealth, AuditTargets.Deployment, id,
                $"Healthy: {(healthy.Count == 0 ? "none" : string.Join(", ", healthy))}; unhealthy: {(unhealthy.Count == 0 ? "none" : string.Join(", ", unhealthy))}.");
            return await ApplyHealthAsync(w, d, [.. allocs.Values], unhealthy.Count > 0 ? unhealthy : null, actor, ct);
        }, ct);

    /// <summary>
    /// Our endpoint for real agents (driver <c>external</c>): the health the agent observed for one
    /// allocation, for any health_check but <c>manual</c>, which only people and the Nomad API set.
    /// </summary>
    public Task<DeploymentUpdate> ReportAllocationHealthAsync(string allocationId, bool healthy, string? actor, CancellationToken ct = default) =>
        writer.WriteAsync(async w =>
        {
            audit.Attempt(AuditActions.AllocationHealth, AuditTargets.Allocation, allocationId);
            var alloc = await w.Db.CanaryAllocations.FirstOrDefaultAsync(a => a.Id == allocationId, ct) ?? throw new NotFoundException("Allocation", allocationId);
            if (alloc.DeploymentId is null) throw new ValidationException("allocation", "the allocation is not part of a deployment");
            var d = await LoadActiveAsync(w, alloc.DeploymentId, "can't set health of allocations for a terminal deployment", ct);
            if (d.TaskGroups.GetValueOrDefault(alloc.TaskGroup)?.HealthCheck == HealthChecks.Manual)
                throw new ValidationException("healthy", "the task group's health_check is \"manual\": set its health through the deployment (allocation-health)");
            if (alloc.Healthy is not null) throw new ConflictException($"allocation health was already reported ({(alloc.Healthy == true ? "healthy" : "unhealthy")})");
            if (alloc.ClientStatus == AllocationStatuses.Pending) { alloc.ClientStatus = AllocationStatuses.Running; alloc.StartedAt = w.Now; }
            Mark(w, alloc, healthy);
            audit.Add(w.Db, AuditActions.AllocationHealth, AuditTargets.Allocation, allocationId, healthy ? "Reported healthy." : "Reported unhealthy.");
            var allocs = await CanaryEngine.DeploymentAllocationsAsync(w, d.Id, ct);
            return await ApplyHealthAsync(w, d, allocs, healthy ? null : [allocationId], actor, ct);
        }, ct);

    public Task<DeploymentUpdate> UnblockAsync(string id, string? actor, CancellationToken ct = default) =>
        writer.WriteAsync(async w =>
        {
            audit.Attempt(AuditActions.DeploymentUnblock, AuditTargets.Deployment, id);
            var d = await LoadActiveAsync(w, id, "can't unblock terminal deployment", ct);
            if (d.Status != DeploymentStatuses.Blocked) throw new ValidationException("DeploymentID", $"can't unblock {d.Status} deployment");
            audit.Add(w.Db, AuditActions.DeploymentUnblock, AuditTargets.Deployment, id, $"{d.JobId} unblocked.");
            await engine.States.MoveAsync(w, d, DeploymentStatuses.Successful, DeploymentDescriptions.Successful, actor, ct);
            return Answer(w, d, null);
        }, ct);

    /// <summary>One watcher pass (the job the watcher enqueues); false when the deployment is finished or gone.</summary>
    public async Task<bool> StepAsync(string id, CancellationToken ct = default)
    {
        // A pass with nothing due (a duplicate or early delivery) costs one read, not a write.
        var current = await GetAsync(id, ct);
        if (current is null || !current.Active) return false;
        var now = clock.GetUtcNow().UtcDateTime;
        if (current.NextCheckAt is { } next && next > now + EarlyTolerance)
        {
            // Early (a timer that fired a little soon, a replaced schedule): keep the one pending step.
            scheduler.Schedule(new WorkItem(CanaryWriter.StepKind, id, $"Watch deployment {DeploymentStateMachine.ShortId(id)} of {current.JobId}"), next);
            return true;
        }
        return await writer.WriteAsync(async w =>
        {
            var d = await w.Db.CanaryDeployments.FirstOrDefaultAsync(x => x.Id == id, ct);
            if (d is null || !d.Active) return false;
            await engine.StepAsync(w, d, ct);
            return d.Active;
        }, ct);
    }

    private async Task<DeploymentUpdate> ApplyHealthAsync(CanaryContext w, CanaryDeployment d, List<CanaryAllocation> allocs, IReadOnlyList<string>? unhealthy, string? actor, CancellationToken ct)
    {
        CanaryEngine.Count(w, d, allocs);
        long? reverted = null;
        if (unhealthy is not null)
        {
            var groups = allocs.Where(a => unhealthy.Contains(a.Id)).Select(a => a.TaskGroup).ToHashSet();
            reverted = await engine.FailAsync(w, d, DeploymentDescriptions.FailedAllocations, groups.Any(g => d.TaskGroups[g].AutoRevert), actor, ct);
        }
        else
        {
            d.NextCheckAt = w.Now;
            w.Touch(d);
            Step(w, d, "Roll");
        }
        return Answer(w, d, reverted);
    }

    private static bool Mark(CanaryContext w, CanaryAllocation alloc, bool healthy)
    {
        if (alloc.Healthy == healthy) return false;
        CanaryEngine.SetHealth(w, alloc, healthy);
        return true;
    }



    private static void Step(CanaryContext w, CanaryDeployment d, string verb) =>
        w.RunStep(d.Id, w.Now, $"{verb} deployment {DeploymentStateMachine.ShortId(d.Id)} of {d.JobId}");

    private static DeploymentUpdate Answer(CanaryContext w, CanaryDeployment d, long? reverted) =>
        new(CanaryEngine.NewId(), w.Index, d.ModifyIndex, reverted, w.Index);

    private static async Task<CanaryDeployment> LoadActiveAsync(CanaryContext w, string id, string terminalMessage, CancellationToken ct)
    {
        var d = await w.Db.CanaryDeployments.FirstOrDefaultAsync(x => x.Id == id, ct) ?? throw new NotFoundException("deployment", id);
        if (!d.Active) throw new ValidationException("DeploymentID", terminalMessage);
        w.Touch(d);
        return d;
    }
}
