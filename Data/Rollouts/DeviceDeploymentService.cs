using System.Globalization;
using System.Text;
using System.Text.Json;
using Dashboard.Data.Work;
using Dashboard.Data.Timeline;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace Dashboard.Data.Rollouts;

/// <summary>What a device is told to install.</summary>
public sealed record NextDeployment(string RolloutId, Artifact Artifact);

/// <summary>
/// Phased rollouts, the device's side: <c>next</c> (only once the device's phase has started),
/// status reports and log uploads. A status report changes the device's narrow row and two counter
/// rows with a guarded update (<c>WHERE Status = old</c>) so concurrent repeats never count twice,
/// group-committed with the reports that arrive with it (<see cref="StatusReportWriter"/>); device
/// failures reach the timeline, other reports do not. "Nothing for this device" is remembered by
/// <see cref="IdleDeviceCache"/>, so idle polling costs no query.
/// </summary>
public sealed class DeviceDeploymentService(
    IDbContextFactory<DashboardDbContext> dbFactory,
    RolloutService rollouts,
    StateRecorder recorder,
    ProgressNotifier progress,
    IdleDeviceCache idle,
    ILogger<DeviceDeploymentService> logger,
    TimeProvider clock) : IAsyncDisposable
{
    private readonly StatusReportWriter _reports = new(dbFactory, recorder, progress, clock, logger);

    private sealed record Candidate(string RolloutId, string Status, int Attempts, string? ArtifactId, string ArtifactName, int Retries, int? MaxDevices);

    // The poll every device makes: compiled once, untracked. Per instance, not static: a compiled
    // query serves one model only (EF throws on another), and this service lives once per app, so
    // with one provider, while a test process runs SQLite and PostgreSQL apps side by side.
    private readonly Func<DashboardDbContext, string, IAsyncEnumerable<Candidate>> _candidates =
        EF.CompileAsyncQuery((DashboardDbContext db, string deviceId) =>
            from d in db.DeviceDeployments.AsNoTracking()
            where d.DeviceId == deviceId && Open.Contains(d.Status)
            join r in db.Rollouts.AsNoTracking() on d.RolloutId equals r.Id
            where r.State == RolloutStates.InProgress
            join p in db.RolloutPhases.AsNoTracking() on new { d.RolloutId, Index = d.PhaseIndex } equals new { p.RolloutId, p.Index }
            where p.StartedAt != null
            orderby r.CreatedAt
            select new Candidate(d.RolloutId, d.Status, d.Attempts, d.ArtifactId, r.ArtifactName, r.Retries, r.MaxDevices));

    private const int MaxLogBytes = 1024 * 1024;
    private static readonly string[] Open =
    [
        DeviceDeploymentStatuses.Pending, DeviceDeploymentStatuses.Downloading, DeviceDeploymentStatuses.Installing, DeviceDeploymentStatuses.Rebooting,
        DeviceDeploymentStatuses.PauseBeforeInstalling, DeviceDeploymentStatuses.PauseBeforeRebooting, DeviceDeploymentStatuses.PauseBeforeCommitting,
        DeviceDeploymentStatuses.Failure,
    ];

    private DateTime Now => clock.GetUtcNow().UtcDateTime;

    /// <summary>
    /// The deployment the device should run now, or null (204). <paramref name="provides"/> is what the
    /// device says it has (<c>artifact_name</c>, <c>device_type</c>, ...).
    /// </summary>
    public async Task<NextDeployment?> NextAsync(string deviceId, IReadOnlyDictionary<string, string> provides, CancellationToken ct = default)
    {
        if (!provides.TryGetValue("device_type", out var deviceType) || string.IsNullOrWhiteSpace(deviceType))
            throw new ValidationException("device_type", "device_type: cannot be blank");
        provides.TryGetValue("artifact_name", out var installed);

        if (idle.IsIdle(deviceId)) return null;
        var generation = idle.Generation;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var candidates = new List<Candidate>();
        await foreach (var c in _candidates(db, deviceId).WithCancellation(ct)) candidates.Add(c);
        if (candidates.Count == 0)
        {
            idle.RememberIdle(deviceId, generation);
            return null;
        }
        var finishedAny = new List<string>();
        try
        {
            foreach (var c in candidates)
            {
                var retry = c.Status == DeviceDeploymentStatuses.Failure;
                if (retry && c.Attempts > c.Retries) continue;
                var fresh = retry || (c.Status == DeviceDeploymentStatuses.Pending && c.Attempts == 0);
                if (!fresh)
                {
                    // Under way: hand out the same deployment again (the daemon re-polls after a restart).
                    var current = c.ArtifactId is null ? null : await db.Artifacts.AsNoTracking().FirstOrDefaultAsync(a => a.Id == c.ArtifactId, ct);
                    if (current is not null) return new NextDeployment(c.RolloutId, current);
                    continue;
                }
                if (c.MaxDevices is { } max && await db.DeviceDeployments.CountAsync(d => d.RolloutId == c.RolloutId && d.Attempts > 0, ct) >= max) continue;

                if (string.Equals(installed, c.ArtifactName, StringComparison.Ordinal))
                {
                    if (await MoveAsync(db, c.RolloutId, deviceId, c.Status, DeviceDeploymentStatuses.AlreadyInstalled, null, ct)) finishedAny.Add(c.RolloutId);
                    continue;
                }
                var artifacts = await db.Artifacts.AsNoTracking().Where(a => a.Name == c.ArtifactName).OrderByDescending(a => a.ModifiedAt).ToListAsync(ct);
                var artifact = artifacts.FirstOrDefault(a => a.DeviceTypes.Contains(deviceType));
                if (artifact is null)
                {
                    if (await MoveAsync(db, c.RolloutId, deviceId, c.Status, DeviceDeploymentStatuses.NoArtifact, null, ct)) finishedAny.Add(c.RolloutId);
                    continue;
                }
                if (await HandOutAsync(db, c.RolloutId, deviceId, c.Status, c.Attempts, artifact, deviceType, ct)) return new NextDeployment(c.RolloutId, artifact);
            }
            return null;
        }
        finally
        {
            foreach (var id in finishedAny.Distinct()) await FinishAfterDeviceAsync(id);
        }
    }

    private async Task<bool> HandOutAsync(DashboardDbContext db, string rolloutId, string deviceId, string from, int attempts, Artifact artifact, string deviceType, CancellationToken ct)
    {
        var now = Now;
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        var changed = await db.DeviceDeployments
            .Where(d => d.RolloutId == rolloutId && d.DeviceId == deviceId && d.Status == from && d.Attempts == attempts)
            .ExecuteUpdateAsync(s => s
                .SetProperty(d => d.Status, DeviceDeploymentStatuses.Pending)
                .SetProperty(d => d.Attempts, attempts + 1)
                .SetProperty(d => d.ArtifactId, artifact.Id)
                .SetProperty(d => d.DeviceType, deviceType)
                .SetProperty(d => d.StartedAt, now)
                .SetProperty(d => d.FinishedAt, (DateTime?)null), ct);
        if (changed == 0) return false; // a concurrent poll handed it out first
        await MoveCountAsync(db, rolloutId, from, DeviceDeploymentStatuses.Pending, ct);
        await transaction.CommitAsync(ct);
        progress.Notify(SubjectKinds.Rollout, rolloutId);
        return true;
    }

    /// <summary>
    /// A status report. Repeats are normal (the daemon sends <c>downloading</c> three times) and change
    /// nothing; a report after an abort is a <see cref="ConflictException"/> (409, the daemon rolls back).
    /// </summary>
    public async Task ReportStatusAsync(string deviceId, string rolloutId, string status, string? substate, CancellationToken ct = default)
    {
        if (!DeviceDeploymentStatuses.Reportable.Contains(status))
            throw new ValidationException("status", $"invalid status '{status}': use one of {string.Join(", ", DeviceDeploymentStatuses.Reportable)}");
        if (substate is { Length: > 200 }) substate = substate[..200];

        if (await _reports.WriteAsync(new StatusReportWriter.Report(deviceId, rolloutId, status, substate), ct))
        {
            await FinishAfterDeviceAsync(rolloutId);
        }
    }

    /// <summary>
    /// Finishes the rollout if this device was the last one. The device's own change is committed
    /// already, so its answer must not fail for this: when the last reports arrive together, their
    /// finishes race (on PostgreSQL the loser's version check fails, and a 409 would tell the daemon
    /// its deployment was aborted after its success was stored). <see cref="RolloutService.FinishIfDoneAsync"/>
    /// reads again on a conflict; what still fails is left to the rollout's watcher, which finishes it on its next look.
    /// </summary>
    private async Task FinishAfterDeviceAsync(string rolloutId)
    {
        try
        {
            await rollouts.FinishIfDoneAsync(rolloutId, CancellationToken.None);
        }
        catch (Exception ex) when (ex is DbUpdateException or System.Data.Common.DbException or ConflictException)
        {
            logger.LogWarning(ex, "Rollout {Rollout}: finishing after a device's last report failed; the watcher finishes it.", rolloutId);
        }
    }

    /// <summary>Moves one device row and the two counters in one transaction; false when the row was no longer <paramref name="from"/>.</summary>
    private async Task<bool> MoveAsync(DashboardDbContext db, string rolloutId, string deviceId, string from, string to, string? substate, CancellationToken ct)
    {
        var now = Now;
        var final = DeviceDeploymentStatuses.IsFinal(to);
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        var changed = await db.DeviceDeployments
            .Where(d => d.RolloutId == rolloutId && d.DeviceId == deviceId && d.Status == from)
            .ExecuteUpdateAsync(s => s
                .SetProperty(d => d.Status, to)
                .SetProperty(d => d.Substate, substate)
                .SetProperty(d => d.FinishedAt, final ? now : null), ct);
        if (changed == 0) return false;
        await MoveCountAsync(db, rolloutId, from, to, ct);
        if (to == DeviceDeploymentStatuses.Failure) await RecordFailureAsync(db, recorder, rolloutId, deviceId, substate, now, ct);
        await db.SaveChangesAsync(ct);
        await transaction.CommitAsync(ct);
        progress.Notify(SubjectKinds.Rollout, rolloutId);
        return true;
    }

    /// <summary>A device failure reaches the timeline, and may trip the rollout's failure guard.</summary>
    internal static async Task RecordFailureAsync(DashboardDbContext db, StateRecorder recorder, string rolloutId, string deviceId, string? substate, DateTime now, CancellationToken ct)
    {
        var rollout = await db.Rollouts.Include(r => r.Phases).FirstAsync(r => r.Id == rolloutId, ct);
        var hostname = await db.Devices.Where(d => d.Id == deviceId).Select(d => d.Hostname).FirstOrDefaultAsync(ct) ?? deviceId;
        var phaseIndex = await db.DeviceDeployments.Where(d => d.RolloutId == rolloutId && d.DeviceId == deviceId).Select(d => d.PhaseIndex).FirstAsync(ct);
        db.Timeline.Add(new TimelineEntry
        {
            Source = TimelineSources.Rollouts,
            SubjectType = SubjectKinds.Device,
            SubjectId = deviceId,
            Status = TimelineStatuses.Failed,
            Title = $"{hostname} failed to install {rollout.ArtifactName} (rollout {rollout.Name})",
            Component = rollout.ArtifactName,
            Version = rollout.Id,
            Hosts = [hostname],
            OccurredAt = now,
            Details = substate,
        });

        if (rollout.FailureThresholdPercent is not { } threshold || rollout.State != RolloutStates.InProgress) return;
        var phase = rollout.Phases.First(p => p.Index == phaseIndex);
        var failures = await db.DeviceDeployments.CountAsync(d => d.RolloutId == rolloutId && d.PhaseIndex == phaseIndex && d.Status == DeviceDeploymentStatuses.Failure, ct);
        if (failures * 100.0 <= threshold * phase.DeviceCount) return;
        rollout.StateReason = $"failure guard: {failures} of {phase.DeviceCount} devices in phase {phaseIndex + 1} failed, more than {threshold.ToString("0.##", CultureInfo.InvariantCulture)} %";
        await RolloutStateMachine.MoveAsync(db, recorder, rollout, RolloutStates.Stopped,
            $"Rollout {rollout.Name} stopped by its failure guard", rollout.StateReason, ct: ct);
    }

    /// <summary>The log the daemon uploads after a failure: <c>{"messages":[{timestamp, level, message}]}</c>, kept as text.</summary>
    public async Task UploadLogAsync(string deviceId, string rolloutId, JsonElement body, CancellationToken ct = default)
    {
        if (body.ValueKind != JsonValueKind.Object || !body.TryGetProperty("messages", out var messages) || messages.ValueKind != JsonValueKind.Array)
            throw new ValidationException("messages", "failed to decode deployment log: expected {\"messages\": [...]}");
        var text = new StringBuilder();
        foreach (var m in messages.EnumerateArray())
        {
            if (m.ValueKind != JsonValueKind.Object) throw new ValidationException("messages", "each log message must be an object");
            text.Append(Field(m, "timestamp")).Append(' ').Append(Field(m, "level")).Append(' ').Append(Field(m, "message")).Append('\n');
            if (text.Length > MaxLogBytes) break;
        }
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var changed = await db.DeviceDeployments.Where(d => d.RolloutId == rolloutId && d.DeviceId == deviceId).ExecuteUpdateAsync(s => s.SetProperty(d => d.HasLog, true), ct);
        if (changed == 0) throw new NotFoundException("Deployment for this device", rolloutId);
        var log = await db.DeviceDeploymentLogs.FirstOrDefaultAsync(l => l.RolloutId == rolloutId && l.DeviceId == deviceId, ct);
        if (log is null) db.DeviceDeploymentLogs.Add(new DeviceDeploymentLog { RolloutId = rolloutId, DeviceId = deviceId, Text = text.ToString(), UploadedAt = Now });
        else { log.Text = text.ToString(); log.UploadedAt = Now; }
        await db.SaveChangesAsync(ct);
    }

    private static string Field(JsonElement m, string name) =>
        m.TryGetProperty(name, out var v) ? v.ValueKind == JsonValueKind.String ? v.GetString()! : v.GetRawText() : "";

    internal static async Task MoveCountAsync(DashboardDbContext db, string rolloutId, string from, string to, CancellationToken ct)
    {
        if (from == to) return;
        // In status order, as the status report writer does: two transactions moving counters the
        // opposite way wait for each other instead of deadlocking on PostgreSQL.
        foreach (var (status, delta) in new[] { (from, -1), (to, +1) }.OrderBy(x => x.Item1, StringComparer.Ordinal))
        {
            await db.RolloutStatusCounts.Where(c => c.RolloutId == rolloutId && c.Status == status).ExecuteUpdateAsync(s => s.SetProperty(c => c.Count, c => c.Count + delta), ct);
        }
    }

    public ValueTask DisposeAsync() => _reports.DisposeAsync();
}
