using Dashboard.Data.Audit;
using Dashboard.Data.Fleet;
using Dashboard.Data.Freezes;
using Dashboard.Data.Timeline;
using Dashboard.Data.Work;
using Microsoft.EntityFrameworkCore;

namespace Dashboard.Data.Batches;

public sealed record BatchDetail(Batch Batch, IReadOnlyList<Device> Devices);

/// <summary>
/// Batch provisioning, the commands and reads: submit (validate, record, hand to the worker), list,
/// read, preview and delete. The Packet API and the pages call it; <see cref="BatchRunner"/> does
/// the work itself.
/// </summary>
public sealed class BatchService(
    IDbContextFactory<DashboardDbContext> dbFactory,
    TimeProvider clock,
    IWorkScheduler scheduler,
    StateRecorder recorder,
    FleetCapacityService capacity,
    FreezeService freezes,
    AuditLog audit)
{
    /// <summary>The component under which batches appear on the Changes view and the timeline lanes.</summary>
    public const string ChangeComponent = BatchStateMachine.ChangeComponent;

    public async Task<BatchCatalog> CatalogAsync(CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var plans = await db.Plans.Select(p => p.Slug).ToListAsync(ct);
        var systems = await db.OperatingSystems.Select(o => o.Slug).ToListAsync(ct);
        var facilities = await db.Facilities.OrderBy(f => f.Code).Select(f => f.Code).ToListAsync(ct);
        return new BatchCatalog(plans.ToHashSet(), systems.ToHashSet(), facilities);
    }

    public async Task<HashSet<string>> HostnamesInProjectAsync(string projectId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var names = await db.Devices.Where(d => d.ProjectId == projectId).Select(d => d.Hostname).ToListAsync(ct);
        // Queued batches have no devices yet, but their names are spoken for.
        var queued = await db.Batches.Where(b => b.ProjectId == projectId && b.State == BatchStates.Queued).Select(b => b.Hostnames).ToListAsync(ct);
        return names.Concat(queued.SelectMany(h => h)).ToHashSet(StringComparer.OrdinalIgnoreCase);
    }

    /// <summary>What every facility can offer for <paramref name="plan"/> now (0 where it has no such servers).</summary>
    public Task<List<FacilityAvailability>> AvailabilityAsync(string plan, CancellationToken ct = default) => capacity.AvailabilityAsync(plan, ct);

    /// <summary>The placement the worker would choose if it ran now: for previews.</summary>
    public async Task<Placement> PreviewAsync(BatchRequest request, CancellationToken ct = default) =>
        PlacementService.Place(new PlacementRequest(request.Quantity, request.Facilities, request.FacilityDiversityLevel, request.SpotInstance ? request.SpotPriceMax : null),
            await AvailabilityAsync(request.Plan, ct));

    /// <summary>
    /// Validates every batch of a request and queues them all, or none: the first mistake throws
    /// <see cref="ValidationException"/> before anything is written. A freeze on the project refuses
    /// them (<see cref="FrozenException"/>) unless an administrator overrides it.
    /// </summary>
    public async Task<IReadOnlyList<Batch>> SubmitAsync(string projectId, IReadOnlyList<BatchRequest> requests, string actor, CancellationToken ct = default,
        FreezeOverrideRequest? freezeOverride = null)
    {
        audit.Attempt(AuditActions.BatchCreate, AuditTargets.Batch, projectId);
        if (requests.Count == 0) throw new ValidationException("batches", "batches must list at least one batch.");
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var project = await db.Projects.AsNoTracking().Where(p => p.Id == projectId).Select(p => p.Slug).FirstOrDefaultAsync(ct)
            ?? throw new NotFoundException("Project", projectId);

        var catalog = await CatalogAsync(ct);
        var taken = await HostnamesInProjectAsync(projectId, ct);
        var now = clock.GetUtcNow().UtcDateTime;
        var batches = new List<Batch>(requests.Count);
        for (var i = 0; i < requests.Count; i++)
        {
            var r = requests[i];
            var error = BatchValidator.All(r, catalog, taken).FirstOrDefault();
            if (error is not null) throw new ValidationException(error.Field, requests.Count > 1 ? $"batches[{i}]: {error.Message}" : error.Message);
            var hostnames = BatchValidator.ExpandHostnames(r).ToList();
            taken.UnionWith(hostnames);
            batches.Add(new Batch
            {
                Id = Guid.NewGuid().ToString(),
                ProjectId = projectId,
                Quantity = r.Quantity,
                HostnameTemplate = r.Hostnames is { Count: > 0 } ? null : r.Hostname?.Trim(),
                Hostnames = hostnames,
                Description = r.Description,
                PlanSlug = r.Plan,
                OperatingSystemSlug = r.OperatingSystem,
                Facilities = [.. r.Facilities],
                FacilityDiversityLevel = r.FacilityDiversityLevel,
                BillingCycle = string.IsNullOrEmpty(r.BillingCycle) ? "hourly" : r.BillingCycle,
                Tags = [.. r.Tags],
                SpotInstance = r.SpotInstance,
                SpotPriceMax = r.SpotInstance ? r.SpotPriceMax : null,
                Actor = actor,
                CreatedAt = now,
                UpdatedAt = now,
            });
        }

        var admission = await freezes.AdmitAsync(db, FreezeTarget(project), freezeOverride, ct);
        foreach (var batch in batches)
        {
            BatchStateMachine.Created(db, recorder, batch);
            freezes.RecordOverrides(db, admission, BatchStateMachine.Subject(batch));
            audit.Add(db, AuditActions.BatchCreate, AuditTargets.Batch, batch.Id, $"{batch.Quantity} × {batch.PlanSlug} in project {projectId}.");
        }
        await db.SaveChangesAsync(ct);
        foreach (var batch in batches) scheduler.Enqueue(BatchRunner.Work(batch));
        return batches;
    }

    /// <summary>What a freeze must name to hold batches: the project, or the <c>provisioning</c> component.</summary>
    public static FreezeTarget FreezeTarget(string projectSlug) => new(SubjectKinds.Batch, projectSlug, ChangeComponent);

    public async Task<List<Batch>> ListAsync(string? projectId = null, int take = 500, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var query = db.Batches.AsNoTracking();
        if (projectId is not null) query = query.Where(b => b.ProjectId == projectId);
        return await query.OrderByDescending(b => b.CreatedAt).ThenBy(b => b.Id).Take(take).ToListAsync(ct);
    }

    /// <summary>How many batches there are, for a live list's "N more".</summary>
    public async Task<int> CountAsync(CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.Batches.CountAsync(ct);
    }

    public async Task<bool> ProjectExistsAsync(string projectId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.Projects.AnyAsync(p => p.Id == projectId, ct);
    }

    public async Task<BatchDetail?> GetAsync(string batchId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var batch = await db.Batches.AsNoTracking().SingleOrDefaultAsync(b => b.Id == batchId, ct);
        if (batch is null) return null;
        var devices = await db.Devices.AsNoTracking().Where(d => d.BatchId == batchId).OrderBy(d => d.CreatedAt).ThenBy(d => d.Id).ToListAsync(ct);
        // Devices come out in hostname order of the request, not in the order of their random ids.
        var order = batch.Hostnames.Select((h, i) => (h, i)).ToDictionary(x => x.h, x => x.i, StringComparer.OrdinalIgnoreCase);
        return new BatchDetail(batch, [.. devices.OrderBy(d => order.GetValueOrDefault(d.Hostname, int.MaxValue))]);
    }

    /// <summary>
    /// Deletes the batch record; with <paramref name="removeDevices"/> also its devices, whose
    /// capacity goes back to their facilities. Without it the devices stay in the fleet.
    /// </summary>
    public async Task DeleteAsync(string batchId, bool removeDevices, string actor, CancellationToken ct = default)
    {
        audit.Attempt(AuditActions.BatchDelete, AuditTargets.Batch, batchId);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var batch = await db.Batches.SingleOrDefaultAsync(b => b.Id == batchId, ct) ?? throw new NotFoundException("Batch", batchId);
        audit.Add(db, AuditActions.BatchDelete, AuditTargets.Batch, batchId, removeDevices ? "With its devices." : "Devices kept.");
        if (removeDevices)
        {
            var devices = await db.Devices.Where(d => d.BatchId == batchId).ToListAsync(ct);
            FleetCapacityService.Release(db, devices);
        }
        BatchStateMachine.Deleted(db, recorder, batch, actor, removeDevices);
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
    }

    public async Task<Device?> DeviceAsync(string deviceId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.Devices.AsNoTracking().SingleOrDefaultAsync(d => d.Id == deviceId, ct);
    }

    public async Task<List<Device>> ProjectDevicesAsync(string projectId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.Devices.AsNoTracking().Where(d => d.ProjectId == projectId).OrderBy(d => d.Hostname).ToListAsync(ct);
    }

    /// <summary>Whether <see cref="UnfinishedAsync"/> would find a batch, without its query (see <see cref="ReconcileCheck"/>).</summary>
    public Task<bool> HasUnfinishedAsync(CancellationToken ct = default) =>
        ReconcileCheck.AnyAsync(dbFactory, $"""SELECT 1 FROM "Batches" WHERE "State" IN ('{BatchStates.Queued}', '{BatchStates.InProgress}')""", ct);

    /// <summary>Batches the worker has not finished, oldest first: for the reconcile step.</summary>
    public async Task<List<Batch>> UnfinishedAsync(CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.Batches.AsNoTracking().Where(b => b.State == BatchStates.Queued || b.State == BatchStates.InProgress)
            .OrderBy(b => b.CreatedAt).ToListAsync(ct);
    }
}
