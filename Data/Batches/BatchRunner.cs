using System.Threading.Channels;
using Dashboard.Data.Fleet;
using Dashboard.Data.Timeline;
using Dashboard.Data.Work;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace Dashboard.Data.Batches;

/// <summary>
/// The job-facing steps of a batch: reserve (place it and take its capacity and hostnames in one
/// transaction), provision the devices still pending, finish. <see cref="RunAsync"/> carries a batch
/// on from wherever it is, so a redelivered job or a restart in the middle is harmless.
/// </summary>
public sealed class BatchRunner(
    IDbContextFactory<DashboardDbContext> dbFactory,
    TimeProvider clock,
    IProvisioner provisioner,
    ProvisionerSettings provisionerSettings,
    ProgressNotifier progress,
    StateRecorder recorder,
    ILogger<BatchRunner> logger) : IWorkRunner
{
    public const string WorkKind = "batch.provision";

    public string Kind => WorkKind;

    /// <summary>The work item that provisions <paramref name="batch"/>, named for the job dashboard.</summary>
    public static WorkItem Work(Batch batch) =>
        new(WorkKind, batch.Id, $"Provision batch {batch.Id[..Math.Min(8, batch.Id.Length)]}: {batch.Quantity} {batch.PlanSlug} device{(batch.Quantity == 1 ? "" : "s")}");

    /// <summary>
    /// Carries a batch on from wherever it is. Safe to run again at any point (a redelivered job, a
    /// restart): finished batches are left alone, placed batches are not placed again, and only
    /// devices still provisioning are worked on.
    /// </summary>
    public async Task RunAsync(string batchId, CancellationToken ct)
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
        try
        {
            return await TryReserveAsync(batchId, ct);
        }
        catch (Exception ex) when (IsUniqueViolation(ex))
        {
            logger.LogInformation(ex, "Batch {Batch}: a hostname was taken meanwhile", batchId);
            return await FailQueuedAsync(batchId, "A hostname of this batch was taken by another device in the project meanwhile.", ct);
        }
    }

    private async Task<bool> TryReserveAsync(string batchId, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        // Placement, the devices (which hold the capacity) and the move to in_progress commit together;
        // the claim keeps concurrent reservations of the same plan from both counting the same servers.
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var batch = await db.Batches.SingleOrDefaultAsync(b => b.Id == batchId, ct);
        if (batch is null) return false;
        if (batch.State != BatchStates.Queued) return batch.State == BatchStates.InProgress;

        var now = clock.GetUtcNow().UtcDateTime;
        var availability = await FleetCapacityService.ClaimAsync(db, batch.PlanSlug, ct);
        var placement = PlacementService.Place(new PlacementRequest(batch.Quantity, batch.Facilities, batch.FacilityDiversityLevel, batch.SpotPriceMax), availability);
        if (!placement.Succeeded)
        {
            batch.ErrorMessages = [placement.Error!];
            await MoveAsync(db, batch, BatchStates.Failed, $"Batch of {batch.Quantity} {batch.PlanSlug} failed: no room", placement.Error, ct);
            await db.SaveChangesAsync(ct);
            await tx.CommitAsync(ct);
            return false;
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
        await FleetCapacityService.AddDevicesAsync(db, devices, ct);
        var summary = string.Join(", ", placement.Allocations.Select(a => $"{a.Count} in {a.Facility}"));
        await MoveAsync(db, batch, BatchStates.InProgress, $"Batch of {batch.Quantity} {batch.PlanSlug} provisioning: {summary}", summary, ct);
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
        await MoveAsync(db, batch, BatchStates.Failed, $"Batch of {batch.Quantity} {batch.PlanSlug} failed", message, ct);
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
            progress.Notify(SubjectKinds.Batch, batchId);
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
                batch.ErrorMessages = [.. batch.ErrorMessages, .. failed.Select(x => x.Result.Error ?? $"{x.Device.Hostname}: provisioning failed")];
                batch.UpdatedAt = now;
            }
            FleetCapacityService.Release(db, devices);
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
        if (batch.ErrorMessages.Count == 0 && active == batch.Quantity)
        {
            await MoveAsync(db, batch, BatchStates.Completed, $"Batch of {batch.Quantity} {batch.PlanSlug} completed", null, ct);
        }
        else
        {
            var missing = batch.Quantity - active;
            await MoveAsync(db, batch, BatchStates.Failed,
                $"Batch of {batch.Quantity} {batch.PlanSlug} failed: {missing} of {batch.Quantity} devices could not be created",
                string.Join(Environment.NewLine, batch.ErrorMessages), ct);
        }
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
    }

    private Task MoveAsync(DashboardDbContext db, Batch batch, string to, string title, string? details, CancellationToken ct) =>
        BatchStateMachine.MoveAsync(db, recorder, batch, to, title, details, ct);

    private static bool IsUniqueViolation(Exception ex) => ex switch
    {
        Microsoft.Data.Sqlite.SqliteException { SqliteErrorCode: 19 } sqlite => sqlite.Message.Contains("UNIQUE", StringComparison.OrdinalIgnoreCase),
        DbUpdateException { InnerException: { } inner } => IsUniqueViolation(inner) || inner.GetType().Name == "PostgresException" && inner.Message.Contains("23505", StringComparison.Ordinal),
        _ => false,
    };
}
