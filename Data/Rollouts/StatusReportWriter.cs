using System.Threading.Channels;
using Dashboard.Data.Timeline;
using Dashboard.Data.Work;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace Dashboard.Data.Rollouts;

/// <summary>
/// Group commit for device status reports (the pattern of <c>ChangeWriter</c>). Reports that arrive
/// while a commit runs are applied together in one transaction: each moves its device row with a
/// guarded update (<c>WHERE Status = old</c>), the counter changes of the whole batch are summed and
/// written once per (rollout, status), and one commit (one fsync) makes them durable. A caller's task
/// completes only after that commit, so no report is acknowledged before it is stored.
/// <para>
/// A repeat (the same status again) changes nothing and succeeds; a report after an abort or after
/// the device finished fails on its own with a <see cref="ConflictException"/> and writes nothing. If
/// the batch commit fails, every report in it is retried in its own commit.
/// </para>
/// </summary>
internal sealed class StatusReportWriter(IDbContextFactory<DashboardDbContext> dbFactory, StateRecorder recorder, ProgressNotifier progress, TimeProvider clock, ILogger logger)
    : IAsyncDisposable
{
    internal sealed record Report(string DeviceId, string RolloutId, string Status, string? Substate);

    private const int MaxBatch = 500;
    private const int MaxAttempts = 3;

    // Per writer (one per app), not static: a compiled query serves one model, so one provider, only.
    private readonly Func<DashboardDbContext, string, string, Task<string?>> _statusOf =
        EF.CompileAsyncQuery((DashboardDbContext db, string rolloutId, string deviceId) =>
            db.DeviceDeployments.AsNoTracking().Where(d => d.RolloutId == rolloutId && d.DeviceId == deviceId).Select(d => d.Status).FirstOrDefault());

    private readonly Channel<Request> _queue = Channel.CreateBounded<Request>(new BoundedChannelOptions(50_000) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
    private readonly CancellationTokenSource _stopping = new();
    private readonly Lock _gate = new();
    private Task? _loop;

    /// <summary>Stores the report; true when it moved the device to a final status (the rollout may be done).</summary>
    public async Task<bool> WriteAsync(Report report, CancellationToken ct)
    {
        // Started by the first report, but it commits every device's reports after that one: it must not
        // carry the first caller's async-locals (its actor, its activity) into their commits and notifications.
        if (_loop is null) lock (_gate) _loop ??= Detached.Run(RunAsync);
        var request = new Request(report, new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously));
        await _queue.Writer.WriteAsync(request, ct);
        // Once queued it is committed even if the caller stops waiting: it may already be in a batch.
        return await request.Done.Task.WaitAsync(ct);
    }

    private async Task RunAsync()
    {
        var reader = _queue.Reader;
        var batch = new List<Request>(MaxBatch);
        try
        {
            while (await reader.WaitToReadAsync(_stopping.Token))
            {
                batch.Clear();
                while (batch.Count < MaxBatch && reader.TryRead(out var request)) batch.Add(request);
                // Rows are locked in one order on every node (device rows by rollout and device, then
                // counters by rollout and status), so two nodes' batches wait for each other instead
                // of deadlocking on PostgreSQL. The sort is stable: a device's reports keep their order.
                var ordered = batch.OrderBy(r => r.Report.RolloutId, StringComparer.Ordinal).ThenBy(r => r.Report.DeviceId, StringComparer.Ordinal).ToList();
                if (!await TryCommitAsync(ordered, lastAttempt: false))
                {
                    foreach (var request in ordered.Where(r => !r.Done.Task.IsCompleted))
                    {
                        for (var attempt = 1; !await TryCommitAsync([request], lastAttempt: attempt == MaxAttempts); attempt++) { }
                    }
                }
            }
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
            // Shutting down.
        }
        while (reader.TryRead(out var left)) left.Done.TrySetCanceled();
    }

    /// <summary>
    /// Applies and commits the reports; false (and nothing completed but rejections) when the commit
    /// failed and may be tried again: a batch, or one report whose failure was transient (a deadlock
    /// or serialization failure on PostgreSQL) unless <paramref name="lastAttempt"/>.
    /// </summary>
    private async Task<bool> TryCommitAsync(List<Request> batch, bool lastAttempt)
    {
        var results = new bool?[batch.Count];
        var ct = _stopping.Token;
        try
        {
            await using var db = await dbFactory.CreateDbContextAsync(ct);
            await using var transaction = await db.Database.BeginTransactionAsync(ct);
            var now = clock.GetUtcNow().UtcDateTime;
            var counts = new Dictionary<(string RolloutId, string Status), int>();
            for (var i = 0; i < batch.Count; i++)
            {
                if (batch[i].Done.Task.IsCompleted) continue;
                try { results[i] = await ApplyAsync(db, batch[i].Report, counts, now, ct); }
                catch (Exception ex) when (ex is ConflictException or NotFoundException)
                {
                    batch[i].Done.TrySetException(ex);
                }
            }
            foreach (var ((rolloutId, status), delta) in counts.Where(c => c.Value != 0)
                .OrderBy(c => c.Key.RolloutId, StringComparer.Ordinal).ThenBy(c => c.Key.Status, StringComparer.Ordinal))
            {
                await db.RolloutStatusCounts.Where(c => c.RolloutId == rolloutId && c.Status == status)
                    .ExecuteUpdateAsync(s => s.SetProperty(c => c.Count, c => c.Count + delta), ct);
            }
            await db.SaveChangesAsync(ct);
            await transaction.CommitAsync(ct);
            foreach (var rolloutId in counts.Keys.Select(k => k.RolloutId).Distinct()) progress.Notify(SubjectKinds.Rollout, rolloutId);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !_stopping.IsCancellationRequested)
        {
            if (batch.Count == 1 && (lastAttempt || !IsTransient(ex)))
            {
                logger.LogError(ex, "A device status report could not be committed.");
                batch[0].Done.TrySetException(ex);
                return true;
            }
            if (batch.Count == 1) logger.LogWarning(ex, "A device status report failed to commit; trying again.");
            else logger.LogWarning(ex, "A batch of {Count} device status reports failed to commit; retrying them one by one.", batch.Count);
            return false;
        }
        for (var i = 0; i < batch.Count; i++)
        {
            if (results[i] is { } final) batch[i].Done.TrySetResult(final);
        }
        return true;
    }

    /// <summary>One report inside the batch's transaction: it sees the reports before it in the batch.</summary>
    private async Task<bool> ApplyAsync(DashboardDbContext db, Report report, Dictionary<(string, string), int> counts, DateTime now, CancellationToken ct)
    {
        for (var attempt = 0; ; attempt++)
        {
            var from = await _statusOf(db, report.RolloutId, report.DeviceId) ?? throw new NotFoundException("Deployment for this device", report.RolloutId);
            if (from == DeviceDeploymentStatuses.Aborted) throw new ConflictException("deployment was aborted");
            if (from == report.Status) return false;
            if (DeviceDeploymentStatuses.IsFinal(from)) throw new ConflictException($"the deployment already finished on this device ({from})");
            var final = DeviceDeploymentStatuses.IsFinal(report.Status);
            var changed = await db.DeviceDeployments
                .Where(d => d.RolloutId == report.RolloutId && d.DeviceId == report.DeviceId && d.Status == from)
                .ExecuteUpdateAsync(s => s
                    .SetProperty(d => d.Status, report.Status)
                    .SetProperty(d => d.Substate, report.Substate)
                    .SetProperty(d => d.FinishedAt, final ? now : null), ct);
            if (changed == 1)
            {
                Add(counts, (report.RolloutId, from), -1);
                Add(counts, (report.RolloutId, report.Status), +1);
                if (report.Status == DeviceDeploymentStatuses.Failure)
                    await DeviceDeploymentService.RecordFailureAsync(db, recorder, report.RolloutId, report.DeviceId, report.Substate, now, ct);
                return final;
            }
            // Another node moved the row between the read and the update: read it again.
            if (attempt == 5) throw new ConflictException("the device's deployment status changed concurrently; report again");
        }
    }

    private static bool IsTransient(Exception ex)
    {
        for (Exception? e = ex; e is not null; e = e.InnerException)
        {
            if (e is System.Data.Common.DbException { IsTransient: true }) return true;
        }
        return false;
    }

    private static void Add(Dictionary<(string, string), int> counts, (string, string) key, int delta) =>
        counts[key] = counts.GetValueOrDefault(key) + delta;

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        var loop = _loop;
        if (loop is not null)
        {
            if (await Task.WhenAny(loop, Task.Delay(TimeSpan.FromSeconds(5))) != loop) await _stopping.CancelAsync();
            try { await loop; } catch (OperationCanceledException) { }
        }
        _stopping.Dispose();
    }

    private sealed record Request(Report Report, TaskCompletionSource<bool> Done);
}
