using System.Threading.Channels;
using Dashboard.Data.Changes;
using Dashboard.Data.Fleet;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace Dashboard.Data.Batches;

public sealed record BatchDetail(Batch Batch, IReadOnlyList<Device> Devices);

/// <summary>
/// Batch provisioning: submit (validate, queue), process (place and reserve capacity atomically,
/// provision, finish), read and delete. The Packet API, the wizard and the batch worker all call it.
/// </summary>
public sealed class BatchService(
    IDbContextFactory<DashboardDbContext> dbFactory,
    TimeProvider clock,
    IBatchQueue queue,
    IProvisioner provisioner,
    ProvisionerSettings provisionerSettings,
    BatchProgressNotifier progress,
    ChangeService changes,
    ILogger<BatchService> logger)
{
    /// <summary>The component under which batches appear on the Changes view and the timeline lanes.</summary>
    public const string ChangeComponent = "provisioning";

    private const int ReserveAttempts = 5;

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
    public async Task<List<FacilityAvailability>> AvailabilityAsync(string plan, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await AvailabilityAsync(db, plan, ct);
    }

    private static async Task<List<FacilityAvailability>> AvailabilityAsync(DashboardDbContext db, string plan, CancellationToken ct)
    {
        var rows = await db.FacilityCapacities.AsNoTracking().Where(c => c.PlanSlug == plan).ToDictionaryAsync(c => c.FacilityCode, ct);
        var codes = await db.Facilities.OrderBy(f => f.Code).Select(f => f.Code).ToListAsync(ct);
        return [.. codes.Select(code => rows.TryGetValue(code, out var c)
            ? new FacilityAvailability(code, c.Available, c.SpotPrice)
            : new FacilityAvailability(code, 0))];
    }

    /// <summary>The placement the worker would choose if it ran now: for previews.</summary>
    public async Task<Placement> PreviewAsync(BatchRequest request, CancellationToken ct = default) =>
        PlacementService.Place(PlacementFor(request.Quantity, request.Facilities, request.FacilityDiversityLevel, request.SpotInstance ? request.SpotPriceMax : null),
            await AvailabilityAsync(request.Plan, ct));

    private static PlacementRequest PlacementFor(int quantity, IReadOnlyList<string> facilities, int? diversity, double? spotMax) =>
        new(quantity, facilities, diversity, spotMax);

    /// <summary>
    /// Validates every batch of a request and queues them all, or none: the first mistake throws
    /// <see cref="ValidationException"/> before anything is written.
    /// </summary>
    public async Task<IReadOnlyList<Batch>> SubmitAsync(string projectId, IReadOnlyList<BatchRequest> requests, string actor, CancellationToken ct = default)
    {
        if (requests.Count == 0) throw new ValidationException("batches", "batches must list at least one batch.");
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        if (!await db.Projects.AnyAsync(p => p.Id == projectId, ct)) throw new NotFoundException("Project", projectId);

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

        foreach (var batch in batches) BatchStateMachine.Created(db, batch, now);
        await db.SaveChangesAsync(ct);
        foreach (var batch in batches) queue.Enqueue(batch.Id);
        return batches;
    }

    public async Task<List<Batch>> ListAsync(string? projectId = null, int take = 500, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var query = db.Batches.AsNoTracking();
        if (projectId is not null) query = query.Where(b => b.ProjectId == projectId);
        return await query.OrderByDescending(b => b.CreatedAt).ThenBy(b => b.Id).Take(take).ToListAsync(ct);
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
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var batch = await db.Batches.SingleOrDefaultAsync(b => b.Id == batchId, ct) ?? throw new NotFoundException("Batch", batchId);
        if (removeDevices)
        {
            var devices = await db.Devices.Where(d => d.BatchId == batchId).ToListAsync(ct);
            await ReleaseAsync(db, batch.PlanSlug, devices, ct);
            db.Devices.RemoveRange(devices);
        }
        BatchStateMachine.Deleted(db, batch, clock.GetUtcNow().UtcDateTime, actor, removeDevices);
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

    /// <summary>Batches the worker has not finished: for the start-up reconciler.</summary>
    public async Task<List<string>> UnfinishedAsync(CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.Batches.Where(b => b.State == BatchStates.Queued || b.State == BatchStates.InProgress)
            .OrderBy(b => b.CreatedAt).Select(b => b.Id).ToListAsync(ct);
    }

    /// <summary>
    /// The worker's one call: carries a batch on from wherever it is. Safe to run again at any
    /// point (a redelivered job, a restart): finished batches are left alone, placed batches are not
    /// placed again, and only devices still provisioning are worked on.
    /// </summary>
    public async Task ProcessAsync(string batchId, CancellationToken ct = default)
    {
        var state = await StateAsync(batchId, ct);
        if (state is null || BatchStates.IsFinished(state)) return;
        if (state == BatchStates.Queued && !await ReserveAsync(batchId, ct)) return;
        await ProvisionPendingAsync(batchId, ct);
        await FinishAsync(batchId, ct);
    }

    private async Task<string?> StateAsync(string batchId, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.Batches.Where(b => b.Id == batchId).Select(b => b.State).SingleOrDefaultAsync(ct);
    }

    /// <summary>Places the batch and reserves its capacity in one transaction; false when it failed or vanished.</summary>
    private async Task<bool> ReserveAsync(string batchId, CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await TryReserveAsync(batchId, ct);
            }
            catch (CapacityRaceException) when (attempt < ReserveAttempts)
            {
                // Another batch took the capacity between our read and our write: place again.
            }
            catch (Exception ex) when (IsUniqueViolation(ex))
            {
                logger.LogInformation(ex, "Batch {Batch}: a hostname was taken meanwhile", batchId);
                return await FailQueuedAsync(batchId, "A hostname of this batch was taken by another device in the project meanwhile.", ct);
            }
        }
    }

    private async Task<bool> TryReserveAsync(string batchId, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        // On SQLite this is BEGIN IMMEDIATE: reservations are serialised. On PostgreSQL the conditional
        // UPDATE below is what keeps two concurrent reservations from overbooking a facility.
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var batch = await db.Batches.SingleOrDefaultAsync(b => b.Id == batchId, ct);
        if (batch is null) return false;
        if (batch.State != BatchStates.Queued) return batch.State == BatchStates.InProgress;

        var now = clock.GetUtcNow().UtcDateTime;
        var availability = await AvailabilityAsync(db, batch.PlanSlug, ct);
        var placement = PlacementService.Place(PlacementFor(batch.Quantity, batch.Facilities, batch.FacilityDiversityLevel, batch.SpotPriceMax), availability);
        if (!placement.Succeeded)
        {
            batch.ErrorMessages = [placement.Error!];
            await MoveAsync(db, batch, BatchStates.Failed, now, $"Batch of {batch.Quantity} {batch.PlanSlug} failed: no room", placement.Error, ct);
            await db.SaveChangesAsync(ct);
            await tx.CommitAsync(ct);
            return false;
        }

        foreach (var allocation in placement.Allocations)
        {
            var reserved = await db.FacilityCapacities
                .Where(c => c.FacilityCode == allocation.Facility && c.PlanSlug == batch.PlanSlug && c.Available >= allocation.Count)
                .ExecuteUpdateAsync(s => s.SetProperty(c => c.Available, c => c.Available - allocation.Count), ct);
            if (reserved != 1) throw new CapacityRaceException();
        }

        var devices = new List<Device>(batch.Quantity);
        var hostnames = batch.Hostnames.GetEnumerator();
        foreach (var allocation in placement.Allocations)
        {
            for (var i = 0; i < allocation.Count && hostnames.MoveNext(); i++)
            {
                devices.Add(new Device
                {
                    Id = Guid.NewGuid().ToString(),
                    ProjectId = batch.ProjectId,
                    Hostname = hostnames.Current,
                    FacilityCode = allocation.Facility,
                    PlanSlug = batch.PlanSlug,
                    OperatingSystemSlug = batch.OperatingSystemSlug,
                    State = DeviceStates.Provisioning,
                    Tags = [.. batch.Tags],
                    Description = batch.Description,
                    BatchId = batch.Id,
                    CreatedAt = now,
                    UpdatedAt = now,
                });
            }
        }
        await DeviceRows.InsertAsync(db, devices, ct);
        var summary = string.Join(", ", placement.Allocations.Select(a => $"{a.Count} in {a.Facility}"));
        await MoveAsync(db, batch, BatchStates.InProgress, now, $"Batch of {batch.Quantity} {batch.PlanSlug} provisioning: {summary}", summary, ct);
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return true;
    }

    private async Task<bool> FailQueuedAsync(string batchId, string message, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var batch = await db.Batches.SingleOrDefaultAsync(b => b.Id == batchId, ct);
        if (batch is null || batch.State != BatchStates.Queued) return false;
        batch.ErrorMessages = [message];
        await MoveAsync(db, batch, BatchStates.Failed, clock.GetUtcNow().UtcDateTime, $"Batch of {batch.Quantity} {batch.PlanSlug} failed", message, ct);
        await db.SaveChangesAsync(ct);
        return false;
    }

    /// <summary>
    /// Brings up every device still provisioning, several at once, and writes results as they come:
    /// one transaction for whatever has finished since the last write, so a big batch is not a
    /// transaction per device and a small one still shows each device as it comes up.
    /// </summary>
    private async Task ProvisionPendingAsync(string batchId, CancellationToken ct)
    {
        List<Device> pending;
        await using (var db = await dbFactory.CreateDbContextAsync(ct))
        {
            pending = await db.Devices.AsNoTracking().Where(d => d.BatchId == batchId && d.State == DeviceStates.Provisioning).ToListAsync(ct);
        }
        if (pending.Count == 0) return;

        var results = Channel.CreateUnbounded<(Device Device, ProvisionResult Result)>(new UnboundedChannelOptions { SingleReader = true });
        var producer = Task.Run(async () =>
        {
            try
            {
                await Parallel.ForEachAsync(pending, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, provisionerSettings.Parallelism), CancellationToken = ct },
                    async (device, token) =>
                    {
                        ProvisionResult result;
                        try
                        {
                            result = await provisioner.ProvisionAsync(
                                new ProvisionRequest(device.Id, device.Hostname, device.FacilityCode!, device.PlanSlug!, device.OperatingSystemSlug!), token);
                        }
                        catch (Exception ex) when (ex is not OperationCanceledException)
                        {
                            logger.LogWarning(ex, "Provisioning {Host} failed", device.Hostname);
                            result = new ProvisionResult(false, $"{device.Hostname} ({device.FacilityCode}): {ex.Message}");
                        }
                        await results.Writer.WriteAsync((device, result), token);
                    });
                results.Writer.Complete();
            }
            catch (Exception ex)
            {
                results.Writer.Complete(ex);
            }
        }, ct);

        var chunk = new List<(Device Device, ProvisionResult Result)>();
        while (await results.Reader.WaitToReadAsync(ct))
        {
            chunk.Clear();
            while (chunk.Count < 2000 && results.Reader.TryRead(out var item)) chunk.Add(item);
            await WriteResultsAsync(batchId, chunk, ct);
            progress.Notify(batchId);
        }
        await producer;
    }

    private async Task WriteResultsAsync(string batchId, List<(Device Device, ProvisionResult Result)> chunk, CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var succeeded = chunk.Where(x => x.Result.Succeeded).Select(x => x.Device.Id).ToList();
        foreach (var ids in succeeded.Chunk(500))
        {
            await db.Devices.Where(d => ids.Contains(d.Id) && d.State == DeviceStates.Provisioning)
                .ExecuteUpdateAsync(s => s.SetProperty(d => d.State, DeviceStates.Active).SetProperty(d => d.UpdatedAt, now), ct);
        }

        var failed = chunk.Where(x => !x.Result.Succeeded).ToList();
        if (failed.Count > 0)
        {
            // A device that could not be created is not kept: its capacity goes back and its reason is on the batch.
            var ids = failed.Select(x => x.Device.Id).ToList();
            var devices = await db.Devices.Where(d => ids.Contains(d.Id) && d.State == DeviceStates.Provisioning).ToListAsync(ct);
            var batch = await db.Batches.SingleOrDefaultAsync(b => b.Id == batchId, ct);
            if (batch is not null)
            {
                await ReleaseAsync(db, batch.PlanSlug, devices, ct);
                batch.ErrorMessages = [.. batch.ErrorMessages, .. failed.Select(x => x.Result.Error ?? $"{x.Device.Hostname}: provisioning failed")];
                batch.UpdatedAt = now;
            }
            db.Devices.RemoveRange(devices);
            await db.SaveChangesAsync(ct);
        }
        await tx.CommitAsync(ct);
    }

    private async Task FinishAsync(string batchId, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var batch = await db.Batches.SingleOrDefaultAsync(b => b.Id == batchId, ct);
        if (batch is null || batch.State != BatchStates.InProgress) return;
        if (await db.Devices.AnyAsync(d => d.BatchId == batchId && d.State == DeviceStates.Provisioning, ct)) return;

        var active = await db.Devices.CountAsync(d => d.BatchId == batchId && d.State == DeviceStates.Active, ct);
        var now = clock.GetUtcNow().UtcDateTime;
        if (batch.ErrorMessages.Count == 0 && active == batch.Quantity)
        {
            await MoveAsync(db, batch, BatchStates.Completed, now, $"Batch of {batch.Quantity} {batch.PlanSlug} completed", null, ct);
        }
        else
        {
            var missing = batch.Quantity - active;
            await MoveAsync(db, batch, BatchStates.Failed, now,
                $"Batch of {batch.Quantity} {batch.PlanSlug} failed: {missing} of {batch.Quantity} devices could not be created",
                string.Join(Environment.NewLine, batch.ErrorMessages), ct);
        }
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
    }

    /// <summary>
    /// Moves the batch through its state machine and records the matching change event in the same
    /// context, so a batch shows on the Changes view like any other deployment: it starts when the
    /// batch goes in_progress and ends when it completes or fails (a batch that fails while still
    /// queued starts and ends at once). Component <see cref="ChangeComponent"/>, version the batch id,
    /// hosts its hostnames, source "batches".
    /// </summary>
    private async Task MoveAsync(DashboardDbContext db, Batch batch, string to, DateTime now, string title, string? details, CancellationToken ct)
    {
        var from = batch.State;
        BatchStateMachine.Move(db, batch, to, now, title, details);
        if (to == BatchStates.InProgress || from == BatchStates.Queued)
        {
            await changes.RecordStartAsync(db, new DeploymentStart(ChangeComponent, batch.Id, batch.Hostnames, now,
                $"Batch of {batch.Quantity} {batch.PlanSlug}{(string.IsNullOrWhiteSpace(batch.Description) ? "" : ": " + batch.Description)}",
                batch.Actor, Timeline.TimelineSources.Batches), ct);
        }
        if (to is BatchStates.Completed or BatchStates.Failed)
        {
            var failed = to == BatchStates.Failed;
            await changes.RecordEndAsync(db, new DeploymentEnd(ChangeComponent, batch.Id, batch.Hostnames,
                failed ? ChangeStatuses.Failure : ChangeStatuses.Success,
                failed ? Truncate(details ?? title, ChangeRules.MaxTextLength) : null, now, Timeline.TimelineSources.Batches), ct);
        }
    }

    private static string Truncate(string text, int max) => text.Length <= max ? text : text[..(max - 1)] + "…";

    private static async Task ReleaseAsync(DashboardDbContext db, string plan, IEnumerable<Device> devices, CancellationToken ct)
    {
        foreach (var group in devices.Where(d => d.FacilityCode is not null).GroupBy(d => d.FacilityCode!))
        {
            var count = group.Count();
            await db.FacilityCapacities.Where(c => c.FacilityCode == group.Key && c.PlanSlug == plan)
                .ExecuteUpdateAsync(s => s.SetProperty(c => c.Available, c => c.Available + count), ct);
        }
    }

    private static bool IsUniqueViolation(Exception ex) => ex switch
    {
        Microsoft.Data.Sqlite.SqliteException { SqliteErrorCode: 19 } sqlite => sqlite.Message.Contains("UNIQUE", StringComparison.OrdinalIgnoreCase),
        DbUpdateException { InnerException: { } inner } => IsUniqueViolation(inner) || inner.GetType().Name == "PostgresException" && inner.Message.Contains("23505", StringComparison.Ordinal),
        _ => false,
    };

    private sealed class CapacityRaceException : Exception;
}
