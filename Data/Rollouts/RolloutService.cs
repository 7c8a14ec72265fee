using Dashboard.Data.Freezes;
using Dashboard.Data.Audit;
using Dashboard.Data.Timeline;
using Dashboard.Data.Work;
using Microsoft.EntityFrameworkCore;

namespace Dashboard.Data.Rollouts;

/// <summary>What to roll out, to whom, and how: Mender's v1 and v2 create bodies, and the wizard's.</summary>
public sealed record RolloutRequest
{
    public string? Name { get; init; }
    public string? ArtifactName { get; init; }
    /// <summary>A saved filter (v2 create).</summary>
    public string? FilterId { get; init; }
    /// <summary>A static group (v1 group create).</summary>
    public string? Group { get; init; }
    /// <summary>Explicit device ids (v1 create).</summary>
    public IReadOnlyList<string>? DeviceIds { get; init; }
    /// <summary>Every accepted device (v1 <c>all_devices</c>).</summary>
    public bool AllDevices { get; init; }
    public IReadOnlyList<PhaseRequest> Phases { get; init; } = [];
    public int Retries { get; init; }
    public int? MaxDevices { get; init; }
    /// <summary>The failure guard: stop when more than this percent of a phase's devices failed.</summary>
    public double? FailureThresholdPercent { get; init; }
}

/// <summary>How a request would run: the devices it targets, how many have a compatible artifact, and the phases.</summary>
public sealed record RolloutPreview(int DeviceCount, int CompatibleCount, IReadOnlyList<PhasePlan> Phases);

/// <summary>Mender's 422: the request is fine but there is nothing to deploy.</summary>
public sealed class UnprocessableException(string message) : Exception(message);

public sealed record DeviceDeploymentView(DeviceDeployment Deployment, string Hostname);

public sealed record RolloutListQuery(string? Status = null, string? Search = null, DateTime? CreatedAfter = null, DateTime? CreatedBefore = null, bool Ascending = false);

/// <summary>
/// Phased rollouts, the operator's side: plan and create, start phases when due, watch for the end
/// (every device final, or <c>max_devices</c> reached), abort, resume after the failure guard, and the
/// reads behind Mender's management API and the pages. The device side is <see cref="DeviceDeploymentService"/>.
/// </summary>
public sealed class RolloutService(
    IDbContextFactory<DashboardDbContext> dbFactory,
    MenderInventoryService inventory,
    StateRecorder recorder,
    ProgressNotifier progress,
    IWorkScheduler scheduler,
    IdleDeviceCache idle,
    TimeProvider clock,
    FreezeService freezes,
    AuditLog audit)
{
    public const string PhaseWork = "rollout.phase";
    public const string WatchWork = "rollout.watch";
    /// <summary>How often a running rollout is checked for its end (device reports also check at once).</summary>
    public static readonly TimeSpan WatchEvery = TimeSpan.FromSeconds(15);

    private DateTime Now => clock.GetUtcNow().UtcDateTime;

    /// <summary>What <see cref="CreateAsync"/> would do, with the same validation and messages (the wizard's live preview).</summary>
    public async Task<RolloutPreview> PreviewAsync(RolloutRequest request, CancellationToken ct = default)
    {
        Validate(request);
        var targets = await TargetsAsync(request, ct);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var artifacts = await ArtifactsAsync(db, request.ArtifactName!, ct);
        var plans = RolloutPlanner.Plan(targets.Count, request.Phases, Now);
        return new RolloutPreview(targets.Count, targets.Count(t => Compatible(artifacts, t.DeviceType)), plans);
    }

    /// <summary>Creates the rollout; a freeze on it refuses (<see cref="FrozenException"/>) unless an administrator overrides it.</summary>
    public async Task<Rollout> CreateAsync(RolloutRequest request, string? actor, CancellationToken ct = default, FreezeOverrideRequest? freezeOverride = null)
    {
        audit.Attempt(AuditActions.RolloutCreate, AuditTargets.Rollout, request.Name);
        Validate(request);
        var targets = await TargetsAsync(request, ct);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var artifacts = await ArtifactsAsync(db, request.ArtifactName!, ct);
        var admission = await freezes.AdmitAsync(db, FreezeTarget(request.ArtifactName!), freezeOverride, ct);
        var now = Now;
        var plans = RolloutPlanner.Plan(targets.Count, request.Phases, now);

        var rollout = new Rollout
        {
            Id = Guid.NewGuid().ToString(),
            Name = request.Name!.Trim(),
            ArtifactName = request.ArtifactName!,
            TargetKind = request.FilterId is not null ? "filter" : request.Group is not null ? "group" : request.DeviceIds is not null ? "devices" : "all",
            FilterId = request.FilterId,
            Group = request.Group,
            DeviceCount = targets.Count,
            Retries = request.Retries,
            MaxDevices = request.MaxDevices,
            FailureThresholdPercent = request.FailureThresholdPercent,
            Actor = actor,
            CreatedAt = now,
            UpdatedAt = now,
            Phases = [.. plans.Select(p => new RolloutPhase { RolloutId = "", Index = p.Index, BatchSize = p.BatchSize, StartAt = p.StartAt, DeviceCount = p.DeviceCount })],
        };
        foreach (var phase in rollout.Phases) phase.RolloutId = rollout.Id;

        var rows = new List<DeviceDeployment>(targets.Count);
        var phaseIndex = 0;
        var left = plans[0].DeviceCount;
        foreach (var target in targets)
        {
            while (left == 0) left = plans[++phaseIndex].DeviceCount;
            left--;
            // A device whose type is not known yet (accepted, first inventory still on its way) waits:
            // `next` decides with the device_type it sends, as Mender does.
            var compatible = target.DeviceType is null || Compatible(artifacts, target.DeviceType);
            rows.Add(new DeviceDeployment
            {
                RolloutId = rollout.Id,
                DeviceId = target.Id,
                PhaseIndex = phaseIndex,
                // Devices of a known type that no artifact of that name fits are done at once.
                Status = compatible ? DeviceDeploymentStatuses.Pending : DeviceDeploymentStatuses.NoArtifact,
                DeviceType = target.DeviceType,
                CreatedAt = now,
                FinishedAt = compatible ? null : now,
            });
        }

        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        foreach (var status in DeviceDeploymentStatuses.All)
        {
            db.RolloutStatusCounts.Add(new RolloutStatusCount { RolloutId = rollout.Id, Status = status, Count = rows.Count(r => r.Status == status) });
        }
        RolloutStateMachine.Created(db, recorder, rollout,
            $"Rollout {rollout.Name} of {rollout.ArtifactName} to {targets.Count} device{(targets.Count == 1 ? "" : "s")} created ({plans.Count} phase{(plans.Count == 1 ? "" : "s")})");
        freezes.RecordOverrides(db, admission, RolloutStateMachine.Subject(rollout));
        audit.Add(db, AuditActions.RolloutCreate, AuditTargets.Rollout, rollout.Id, $"{rollout.Name}: {rollout.ArtifactName} to {targets.Count} devices in {plans.Count} phases.");
        await db.SaveChangesAsync(ct);
        await DeviceDeploymentRows.InsertAsync(db, rows, ct);
        if (rollout.Phases[0].StartAt <= now) await StartDuePhasesAsync(db, rollout, now, ct);
        await db.SaveChangesAsync(ct);
        await transaction.CommitAsync(ct);
        idle.Invalidate();

        ScheduleAll(rollout, now);
        progress.Notify(SubjectKinds.Rollout, rollout.Id);
        return rollout;
    }

    /// <summary>The phase-start job: starts the phase (and any earlier one) once its time has come, unless the rollout is stopped or over.</summary>
    public Task StartPhaseAsync(string rolloutId, int index, CancellationToken ct = default) =>
        // Another phase's job (both due after a long wait), a resume or the watcher may change the
        // rollout between the read and the write, on this node or another: a phase that other job
        // started is then seen as started, not started twice.
        RereadOnConflictAsync(async () => { await TryStartPhaseAsync(rolloutId, index, ct); return true; });

    /// <summary>
    /// Runs <paramref name="attempt"/> again (it reads afresh) when the rollout's concurrency token shows
    /// another writer got there first; PostgreSQL does not serialise two nodes' transactions as SQLite does.
    /// </summary>
    private static async Task<T> RereadOnConflictAsync<T>(Func<Task<T>> attempt)
    {
        for (var tries = 1; ; tries++)
        {
            try { return await attempt(); }
            catch (DbUpdateConcurrencyException) when (tries < 3) { }
        }
    }

    private async Task TryStartPhaseAsync(string rolloutId, int index, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        var rollout = await db.Rollouts.Include(r => r.Phases).FirstOrDefaultAsync(r => r.Id == rolloutId, ct);
        if (rollout is null || rollout.State is not (RolloutStates.Scheduled or RolloutStates.InProgress)) return;
        var phase = rollout.Phases.FirstOrDefault(p => p.Index == index);
        if (phase is null || phase.StartedAt is not null) return;
        var now = Now;
        if (phase.StartAt > now)
        {
            // Delivered early (a clock change, a replayed job): try again when it is due.
            scheduler.Schedule(PhaseItem(rollout, phase), phase.StartAt);
            return;
        }
        await StartDuePhasesAsync(db, rollout, now, ct);
        await db.SaveChangesAsync(ct);
        await transaction.CommitAsync(ct);
        idle.Invalidate();
        progress.Notify(SubjectKinds.Rollout, rollout.Id);
    }

    /// <summary>What a freeze must name to hold a rollout: the artifact, or the Mender devices' project.</summary>
    public static FreezeTarget FreezeTarget(string artifactName) => new(SubjectKinds.Rollout, MenderDeviceService.ProjectId, artifactName);

    /// <summary>
    /// Starts every phase that is due, unless a freeze holds the rollout: then the phases wait, the
    /// timeline says until when, and the phase job is scheduled again for the freeze's end.
    /// </summary>
    private async Task StartDuePhasesAsync(DashboardDbContext db, Rollout rollout, DateTime now, CancellationToken ct)
    {
        var due = rollout.Phases.OrderBy(p => p.Index).Where(p => p.StartedAt is null && p.StartAt <= now).ToList();
        if (due.Count == 0) return;
        if (await freezes.HoldAsync(db, FreezeTarget(rollout.ArtifactName), rollout.Id, now, ct) is { } hold)
        {
            await freezes.RecordWaitAsync(db, RolloutStateMachine.Subject(rollout), hold, $"Rollout {rollout.Name}: phase {due[0].Index + 1} of {rollout.Phases.Count}", ct);
            scheduler.Schedule(PhaseItem(rollout, due[0]), hold.Until);
            return;
        }
        await FreezeService.ReleaseAsync(db, SubjectKinds.Rollout, rollout.Id, ct);
        foreach (var phase in due) phase.StartedAt = now;
        var which = due.Count == 1 ? $"phase {due[0].Index + 1} of {rollout.Phases.Count}" : $"phases {due[0].Index + 1}-{due[^1].Index + 1} of {rollout.Phases.Count}";
        var devices = due.Sum(p => p.DeviceCount);
        if (rollout.State == RolloutStates.Scheduled)
        {
            await RolloutStateMachine.MoveAsync(db, recorder, rollout, RolloutStates.InProgress, $"Rollout {rollout.Name} started: {which} ({devices} devices)", ct: ct);
        }
        else
        {
            // The state does not move, so the concurrency token is bumped here: of two jobs starting
            // the same phase at once (PostgreSQL reads committed data, it does not serialise them), one commits.
            rollout.Version++;
            RolloutStateMachine.Note(db, recorder, rollout, TimelineStatuses.InProgress, $"Rollout {rollout.Name}: {which} started ({devices} devices)");
        }
    }

    /// <summary>
    /// The watcher: finishes a rollout whose devices are all final (failures with retries left are
    /// not), or that reached <c>max_devices</c> finished devices. Reschedules itself while the rollout runs.
    /// </summary>
    public async Task WatchAsync(string rolloutId, CancellationToken ct = default)
    {
        if (!await FinishIfDoneAsync(rolloutId, ct) && await IsRunningAsync(rolloutId, ct))
        {
            scheduler.Schedule(WatchItem(rolloutId), Now + WatchEvery);
        }
    }

    /// <summary>Finishes the rollout if nothing is left to do. Returns true when it is (now or already) finished.</summary>
    public Task<bool> FinishIfDoneAsync(string rolloutId, CancellationToken ct = default) =>
        // Two devices' last reports on two nodes (or a report and the watcher) may both find the
        // rollout done: one moves it, the other reads it again and finds it finished.
        RereadOnConflictAsync(() => TryFinishIfDoneAsync(rolloutId, ct));

    private async Task<bool> TryFinishIfDoneAsync(string rolloutId, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        var rollout = await db.Rollouts.Include(r => r.Phases).FirstOrDefaultAsync(r => r.Id == rolloutId, ct);
        if (rollout is null || RolloutStates.IsFinished(rollout.State)) return true;
        var counts = await CountsAsync(db, rolloutId, ct);
        var active = counts.Where(c => !DeviceDeploymentStatuses.IsFinal(c.Key)).Sum(c => c.Value);
        var retrying = rollout.Retries == 0 ? 0 : await db.DeviceDeployments
            .CountAsync(d => d.RolloutId == rolloutId && d.Status == DeviceDeploymentStatuses.Failure && d.Attempts <= rollout.Retries, ct);
        var finished = counts[DeviceDeploymentStatuses.Success] + counts[DeviceDeploymentStatuses.Failure] + counts[DeviceDeploymentStatuses.AlreadyInstalled];
        var limitReached = rollout.MaxDevices is { } max && finished >= max;
        if ((active > 0 || retrying > 0) && !limitReached) return false;

        var failed = counts[DeviceDeploymentStatuses.Failure];
        var to = failed > 0 ? RolloutStates.Failed : RolloutStates.Succeeded;
        var summary = $"{counts[DeviceDeploymentStatuses.Success]} succeeded, {failed} failed, {counts[DeviceDeploymentStatuses.AlreadyInstalled]} already installed, {counts[DeviceDeploymentStatuses.NoArtifact]} without a compatible artifact";
        if (limitReached) rollout.StateReason = $"max_devices ({rollout.MaxDevices}) reached";
        await RolloutStateMachine.MoveAsync(db, recorder, rollout, to,
            $"Rollout {rollout.Name} {(to == RolloutStates.Succeeded ? "succeeded" : "failed")}{(limitReached ? $" (max_devices {rollout.MaxDevices} reached)" : "")}", summary, ct: ct);
        await db.SaveChangesAsync(ct);
        await transaction.CommitAsync(ct);
        progress.Notify(SubjectKinds.Rollout, rollout.Id);
        return true;
    }

    /// <summary>Mender's abort: devices that have not finished become <c>aborted</c> (and get 409 on their next report).</summary>
    public async Task AbortAsync(string rolloutId, string actor, CancellationToken ct = default)
    {
        audit.Attempt(AuditActions.RolloutAbort, AuditTargets.Rollout, rolloutId);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        var rollout = await db.Rollouts.FirstOrDefaultAsync(r => r.Id == rolloutId, ct) ?? throw new NotFoundException("Deployment", rolloutId);
        if (RolloutStates.IsFinished(rollout.State)) throw new UnprocessableException($"the deployment is already finished ({rollout.State}); it cannot be aborted");
        var now = Now;
        var aborted = await db.DeviceDeployments
            .Where(d => d.RolloutId == rolloutId && d.Status != DeviceDeploymentStatuses.Success && d.Status != DeviceDeploymentStatuses.Failure
                && d.Status != DeviceDeploymentStatuses.AlreadyInstalled && d.Status != DeviceDeploymentStatuses.NoArtifact && d.Status != DeviceDeploymentStatuses.Aborted)
            .ExecuteUpdateAsync(s => s.SetProperty(d => d.Status, DeviceDeploymentStatuses.Aborted).SetProperty(d => d.FinishedAt, now), ct);
        await RecountAsync(db, rolloutId, ct);
        rollout.StateReason = $"aborted by {actor}";
        await RolloutStateMachine.MoveAsync(db, recorder, rollout, RolloutStates.Aborted, $"Rollout {rollout.Name} aborted ({aborted} device{(aborted == 1 ? "" : "s")} not finished)", actor: actor, ct: ct);
        audit.Add(db, AuditActions.RolloutAbort, AuditTargets.Rollout, rolloutId, $"{rollout.Name}: {aborted} devices not finished.");
        await db.SaveChangesAsync(ct);
        await transaction.CommitAsync(ct);
        progress.Notify(SubjectKinds.Rollout, rollout.Id);
    }

    /// <summary>Resumes a rollout the failure guard stopped: due phases start now, later ones at their time.</summary>
    public async Task ResumeAsync(string rolloutId, string actor, CancellationToken ct = default)
    {
        audit.Attempt(AuditActions.RolloutResume, AuditTargets.Rollout, rolloutId);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        var rollout = await db.Rollouts.Include(r => r.Phases).FirstOrDefaultAsync(r => r.Id == rolloutId, ct) ?? throw new NotFoundException("Deployment", rolloutId);
        if (rollout.State != RolloutStates.Stopped) throw new ConflictException($"Rollout {rollout.Name} is {rollout.State}; only a stopped rollout can be resumed.");
        var now = Now;
        rollout.StateReason = null;
        await RolloutStateMachine.MoveAsync(db, recorder, rollout, RolloutStates.InProgress, $"Rollout {rollout.Name} resumed", actor: actor, ct: ct);
        audit.Add(db, AuditActions.RolloutResume, AuditTargets.Rollout, rolloutId, rollout.Name);
        await StartDuePhasesAsync(db, rollout, now, ct);
        await db.SaveChangesAsync(ct);
        await transaction.CommitAsync(ct);
        idle.Invalidate();
        ScheduleAll(rollout, now);
        progress.Notify(SubjectKinds.Rollout, rollout.Id);
    }

    /// <summary>Whether <see cref="ReconcileAsync"/> would find a rollout, without its query (see <see cref="ReconcileCheck"/>).</summary>
    public Task<bool> HasUnfinishedAsync(CancellationToken ct = default) =>
        ReconcileCheck.AnyAsync(dbFactory,
            $"""SELECT 1 FROM "Rollouts" WHERE "State" IN ('{RolloutStates.Scheduled}', '{RolloutStates.InProgress}', '{RolloutStates.Stopped}')""", ct);

    /// <summary>After a restart: phase starts and watchers of every unfinished rollout, from the database.</summary>
    public async Task<int> ReconcileAsync(CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var open = await db.Rollouts.AsNoTracking().Include(r => r.Phases)
            .Where(r => r.State == RolloutStates.Scheduled || r.State == RolloutStates.InProgress || r.State == RolloutStates.Stopped).ToListAsync(ct);
        var now = Now;
        foreach (var rollout in open) ScheduleAll(rollout, now);
        return open.Count;
    }

    private void ScheduleAll(Rollout rollout, DateTime now)
    {
        if (rollout.State != RolloutStates.Stopped)
        {
            foreach (var phase in rollout.Phases.Where(p => p.StartedAt is null)) scheduler.Schedule(PhaseItem(rollout, phase), phase.StartAt);
        }
        scheduler.Schedule(WatchItem(rollout.Id), now);
    }

    public static WorkItem PhaseItem(Rollout rollout, RolloutPhase phase) =>
        new(PhaseWork, $"{rollout.Id}/{phase.Index}", $"Start phase {phase.Index + 1} of rollout {rollout.Name} ({phase.DeviceCount} devices)");

    public static WorkItem WatchItem(string rolloutId) => new(WatchWork, rolloutId, $"Watch rollout {rolloutId}");

    // ---- reads ----

    public async Task<(List<Rollout> Rollouts, int Total)> ListAsync(RolloutListQuery query, int page, int perPage, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var q = db.Rollouts.AsNoTracking().Include(r => r.Phases).AsQueryable();
        q = query.Status switch
        {
            null or "" => q,
            "pending" or "scheduled" => q.Where(r => r.State == RolloutStates.Scheduled),
            "inprogress" => q.Where(r => r.State == RolloutStates.InProgress || r.State == RolloutStates.Stopped),
            "finished" => q.Where(r => r.State == RolloutStates.Succeeded || r.State == RolloutStates.Failed || r.State == RolloutStates.Aborted),
            _ => throw new ValidationException("status", $"invalid status '{query.Status}': use pending, inprogress or finished"),
        };
        if (!string.IsNullOrWhiteSpace(query.Search)) q = q.Where(r => r.Name.Contains(query.Search) || r.ArtifactName.Contains(query.Search) || r.Id == query.Search);
        if (query.CreatedAfter is { } after) q = q.Where(r => r.CreatedAt >= after);
        if (query.CreatedBefore is { } before) q = q.Where(r => r.CreatedAt <= before);
        var total = await q.CountAsync(ct);
        q = query.Ascending ? q.OrderBy(r => r.CreatedAt) : q.OrderByDescending(r => r.CreatedAt);
        return (await q.Skip((page - 1) * perPage).Take(perPage).ToListAsync(ct), total);
    }

    public async Task<Rollout> GetAsync(string rolloutId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.Rollouts.AsNoTracking().Include(r => r.Phases.OrderBy(p => p.Index)).FirstOrDefaultAsync(r => r.Id == rolloutId, ct)
            ?? throw new NotFoundException("Deployment", rolloutId);
    }

    /// <summary>The twelve counters, read from their own rows (never counted over devices).</summary>
    public async Task<Dictionary<string, int>> StatisticsAsync(string rolloutId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var counts = await CountsAsync(db, rolloutId, ct);
        return counts.Count == 0 ? throw new NotFoundException("Deployment", rolloutId) : counts;
    }

    public async Task<(List<DeviceDeploymentView> Devices, int Total)> DevicesAsync(string rolloutId, string? status, int page, int perPage, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        if (!await db.Rollouts.AnyAsync(r => r.Id == rolloutId, ct)) throw new NotFoundException("Deployment", rolloutId);
        var q = WithStatus(db.DeviceDeployments.AsNoTracking().Where(d => d.RolloutId == rolloutId), status);
        var total = await q.CountAsync(ct);
        var page_ = await (from d in q
                           join device in db.Devices on d.DeviceId equals device.Id
                           orderby d.PhaseIndex, d.DeviceId
                           select new { d, device.Hostname }).Skip((page - 1) * perPage).Take(perPage).ToListAsync(ct);
        return ([.. page_.Select(x => new DeviceDeploymentView(x.d, x.Hostname))], total);
    }

    public async Task<string> LogAsync(string rolloutId, string deviceId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.DeviceDeploymentLogs.AsNoTracking().Where(l => l.RolloutId == rolloutId && l.DeviceId == deviceId).Select(l => l.Text).FirstOrDefaultAsync(ct)
            ?? throw new NotFoundException("Deployment log", $"{rolloutId}/{deviceId}");
    }

    /// <summary>The rollouts a device took part in, newest first, optionally only those where its status is <paramref name="status"/>.</summary>
    public async Task<List<(DeviceDeployment Deployment, Rollout Rollout)>> DeviceHistoryAsync(string deviceId, string? status = null, int page = 1, int perPage = int.MaxValue, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var devices = WithStatus(db.DeviceDeployments.AsNoTracking().Where(d => d.DeviceId == deviceId), status);
        var rows = await (from d in devices
                          join r in db.Rollouts.AsNoTracking() on d.RolloutId equals r.Id
                          orderby r.CreatedAt descending, r.Id
                          select new { d, r }).Skip((page - 1) * perPage).Take(perPage).ToListAsync(ct);
        return [.. rows.Select(x => (x.d, x.r))];
    }

    /// <summary>Mender's <c>statistics/list</c>: the counters of each named rollout that exists, in the order asked.</summary>
    public async Task<List<(string Id, Dictionary<string, int> Counts)>> StatisticsListAsync(IReadOnlyList<string> rolloutIds, CancellationToken ct = default)
    {
        if (rolloutIds.Count == 0) throw new ValidationException("deployment_ids", "deployment_ids: list at least one deployment id");
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var rows = await db.RolloutStatusCounts.AsNoTracking().Where(c => rolloutIds.Contains(c.RolloutId)).ToListAsync(ct);
        var byRollout = rows.ToLookup(c => c.RolloutId);
        return [.. rolloutIds.Distinct().Where(id => byRollout.Contains(id)).Select(id => (id, byRollout[id].ToDictionary(c => c.Status, c => c.Count)))];
    }

    /// <summary>
    /// Mender's "abort deployments for a device": every unfinished device deployment of the device is
    /// aborted (the device gets 409 on its next report), counters move with it, and rollouts left with
    /// nothing to do finish. Returns how many were aborted.
    /// </summary>
    public async Task<int> AbortDeviceAsync(string deviceId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var open = await db.DeviceDeployments.AsNoTracking().Where(d => d.DeviceId == deviceId && !FinalStatuses.Contains(d.Status))
            .Select(d => new { d.RolloutId, d.Status }).ToListAsync(ct);
        var aborted = new List<string>();
        var now = Now;
        foreach (var row in open)
        {
            await using var transaction = await db.Database.BeginTransactionAsync(ct);
            var changed = await db.DeviceDeployments.Where(d => d.RolloutId == row.RolloutId && d.DeviceId == deviceId && d.Status == row.Status)
                .ExecuteUpdateAsync(s => s.SetProperty(d => d.Status, DeviceDeploymentStatuses.Aborted).SetProperty(d => d.FinishedAt, now), ct);
            // A report that landed in between moved the row on; it is no longer this one to abort.
            if (changed == 0) continue;
            await DeviceDeploymentService.MoveCountAsync(db, row.RolloutId, row.Status, DeviceDeploymentStatuses.Aborted, ct);
            await transaction.CommitAsync(ct);
            aborted.Add(row.RolloutId);
        }
        foreach (var rolloutId in aborted)
        {
            progress.Notify(SubjectKinds.Rollout, rolloutId);
            await FinishIfDoneAsync(rolloutId, ct);
        }
        return aborted.Count;
    }

    /// <summary>Mender's device status filter: one status, or the groups <c>active</c>, <c>finished</c> and <c>pause</c>.</summary>
    private static IQueryable<DeviceDeployment> WithStatus(IQueryable<DeviceDeployment> q, string? status) => status switch
    {
        null or "" => q,
        "active" => q.Where(d => d.Status != DeviceDeploymentStatuses.Pending && !FinalStatuses.Contains(d.Status)),
        "finished" => q.Where(d => FinalStatuses.Contains(d.Status)),
        "pause" => q.Where(d => d.Status.StartsWith("pause_")),
        _ when DeviceDeploymentStatuses.All.Contains(status) => q.Where(d => d.Status == status),
        _ => throw new ValidationException("status", $"invalid status '{status}'"),
    };

    private static readonly string[] FinalStatuses =
        [DeviceDeploymentStatuses.Success, DeviceDeploymentStatuses.Failure, DeviceDeploymentStatuses.AlreadyInstalled, DeviceDeploymentStatuses.NoArtifact, DeviceDeploymentStatuses.Aborted];

    internal static async Task<Dictionary<string, int>> CountsAsync(DashboardDbContext db, string rolloutId, CancellationToken ct) =>
        await db.RolloutStatusCounts.AsNoTracking().Where(c => c.RolloutId == rolloutId).ToDictionaryAsync(c => c.Status, c => c.Count, ct);

    /// <summary>Sets the counters from the device rows (after a bulk change such as an abort).</summary>
    private static async Task RecountAsync(DashboardDbContext db, string rolloutId, CancellationToken ct)
    {
        var actual = await db.DeviceDeployments.Where(d => d.RolloutId == rolloutId).GroupBy(d => d.Status)
            .Select(g => new { g.Key, Count = g.Count() }).ToDictionaryAsync(x => x.Key, x => x.Count, ct);
        foreach (var status in DeviceDeploymentStatuses.All)
        {
            var count = actual.GetValueOrDefault(status);
            await db.RolloutStatusCounts.Where(c => c.RolloutId == rolloutId && c.Status == status).ExecuteUpdateAsync(s => s.SetProperty(c => c.Count, count), ct);
        }
    }

    private async Task<bool> IsRunningAsync(string rolloutId, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.Rollouts.AnyAsync(r => r.Id == rolloutId && (r.State == RolloutStates.Scheduled || r.State == RolloutStates.InProgress || r.State == RolloutStates.Stopped), ct);
    }

    private static void Validate(RolloutRequest request)
    {
        if (string.IsNullOrWhiteSpace(request.Name)) throw new ValidationException("name", "name: cannot be blank");
        if (request.Name.Length > 256) throw new ValidationException("name", "name: at most 256 characters");
        if (string.IsNullOrWhiteSpace(request.ArtifactName)) throw new ValidationException("artifact_name", "artifact_name: cannot be blank");
        if (request.Retries is < 0 or > 100) throw new ValidationException("retries", "retries: must be between 0 and 100");
        if (request.MaxDevices is < 1) throw new ValidationException("max_devices", "max_devices: must be a positive number");
        if (request.FailureThresholdPercent is < 0 or > 100 || request.FailureThresholdPercent is double.NaN)
            throw new ValidationException("failure_threshold", "failure_threshold: must be a percentage between 0 and 100");
    }

    private async Task<List<TargetDevice>> TargetsAsync(RolloutRequest request, CancellationToken ct)
    {
        if (request.FilterId is { } filterId)
        {
            InventoryFilter filter;
            try { filter = await inventory.GetFilterAsync(filterId, ct); }
            catch (NotFoundException) { throw new ValidationException("filter_id", $"filter_id: no filter with id '{filterId}'"); }
            return await inventory.MatchAsync(filter.Terms, ct);
        }
        if (request.Group is { } group) return await inventory.AcceptedDevicesAsync(group, null, ct);
        if (request.DeviceIds is { } ids)
        {
            if (ids.Count == 0) throw new ValidationException("devices", "devices: list at least one device");
            var found = await inventory.AcceptedDevicesAsync(null, ids, ct);
            var missing = ids.Except(found.Select(f => f.Id)).ToList();
            if (missing.Count > 0) throw new ValidationException("devices", $"devices: not accepted or unknown: {string.Join(", ", missing.Take(5))}{(missing.Count > 5 ? ", ..." : "")}");
            return found;
        }
        if (request.AllDevices) return await inventory.AcceptedDevicesAsync(null, null, ct);
        throw new ValidationException("devices", "name the devices: filter_id, a group, devices, or all_devices");
    }

    private static async Task<List<List<string>>> ArtifactsAsync(DashboardDbContext db, string name, CancellationToken ct)
    {
        var types = await db.Artifacts.AsNoTracking().Where(a => a.Name == name).Select(a => a.DeviceTypes).ToListAsync(ct);
        return types.Count == 0 ? throw new UnprocessableException($"no artifact named '{name}': upload one before deploying it") : types;
    }

    private static bool Compatible(List<List<string>> artifacts, string? deviceType) =>
        deviceType is not null && artifacts.Any(types => types.Contains(deviceType));
}
