using Dashboard.Data.Batches;
using Dashboard.Data.Canaries;
using Dashboard.Data.Changes;
using Dashboard.Data.Rollouts;
using Dashboard.Data.Timeline;
using Microsoft.EntityFrameworkCore;

namespace Dashboard.Data.Attention;

/// <summary>
/// The inbox of everything waiting for a person, across capabilities. Every read derives it from the
/// capabilities' own rows (states, deadlines, device timestamps, open changes), so it cannot drift from
/// them; the only stored part is the acknowledgement of a failure (<see cref="AttentionAcknowledgement"/>).
/// Each rule is one small query over indexed columns (state, status, started-at), bounded by
/// <see cref="PerRule"/>.
/// </summary>
public sealed class AttentionService(IDbContextFactory<DashboardDbContext> dbFactory, AttentionSettings settings, TimeProvider clock, Audit.AuditLog audit)
{
    /// <summary>At most this many items per rule: an inbox of thousands is read as "everything is broken" anyway.</summary>
    public const int PerRule = 200;

    private static readonly string[] FinalDeviceStatuses = [.. DeviceDeploymentStatuses.All.Where(DeviceDeploymentStatuses.IsFinal)];

    private static readonly string[] OwnSources = [TimelineSources.Batches, TimelineSources.Rollouts, TimelineSources.Deployments];

    public AttentionSettings Settings => settings;

    public async Task<AttentionSnapshot> ListAsync(CancellationToken ct = default)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var acknowledged = (await db.AttentionAcknowledgements.AsNoTracking()
                .Where(a => a.AcknowledgedAt >= now - settings.FailedWithin - TimeSpan.FromDays(1))
                .Select(a => new { a.SubjectKind, a.SubjectId }).ToListAsync(ct))
            .Select(a => (a.SubjectKind, a.SubjectId)).ToHashSet();

        List<AttentionItem> items = [];
        items.AddRange(await DeploymentsAsync(db, now, ct));
        items.AddRange(await RolloutsAsync(db, now, ct));
        items.AddRange(await FailedAsync(db, now, ct));
        items.AddRange(await LongChangesAsync(db, now, ct));
        items.RemoveAll(i => i.Acknowledgeable && acknowledged.Contains((i.SubjectKind, i.SubjectId)));
        return new AttentionSnapshot(now, [.. items.OrderBy(i => AttentionSeverities.Rank(i.Severity)).ThenBy(i => i.Since).ThenBy(i => i.Key, StringComparer.Ordinal)]);
    }

    /// <summary>Clears a failure from the inbox for everyone; acknowledging twice keeps the first.</summary>
    public async Task AcknowledgeAsync(string subjectKind, string subjectId, string actor, CancellationToken ct = default)
    {
        audit.Attempt(Audit.AuditActions.AttentionAcknowledge, subjectKind, subjectId);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var failed = subjectKind switch
        {
            SubjectKinds.Batch => await db.Batches.AnyAsync(b => b.Id == subjectId && b.State == BatchStates.Failed, ct),
            SubjectKinds.Rollout => await db.Rollouts.AnyAsync(r => r.Id == subjectId && r.State == RolloutStates.Failed, ct),
            SubjectKinds.Deployment => await db.CanaryDeployments.AnyAsync(d => d.Id == subjectId && d.Status == DeploymentStatuses.Failed, ct),
            _ => throw new NotFoundException(subjectKind, subjectId),
        };
        if (!failed && !await ExistsAsync(db, subjectKind, subjectId, ct)) throw new NotFoundException(subjectKind, subjectId);
        if (!failed) throw new ConflictException($"{subjectKind} {subjectId} is not a failure waiting for acknowledgement.");
        if (await db.AttentionAcknowledgements.AnyAsync(a => a.SubjectKind == subjectKind && a.SubjectId == subjectId, ct)) return;
        db.AttentionAcknowledgements.Add(new AttentionAcknowledgement
        {
            SubjectKind = subjectKind,
            SubjectId = subjectId,
            AcknowledgedBy = actor,
            AcknowledgedAt = clock.GetUtcNow().UtcDateTime,
        });
        audit.Add(db, Audit.AuditActions.AttentionAcknowledge, subjectKind, subjectId, "Failure acknowledged.");
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException)
        {
            // Two people pressed at once: the unique index kept the first, which is all we wanted.
            if (!await IsAcknowledgedAsync(subjectKind, subjectId, ct)) throw;
        }
    }

    private static async Task<bool> ExistsAsync(DashboardDbContext db, string subjectKind, string subjectId, CancellationToken ct) => subjectKind switch
    {
        SubjectKinds.Batch => await db.Batches.AnyAsync(b => b.Id == subjectId, ct),
        SubjectKinds.Rollout => await db.Rollouts.AnyAsync(r => r.Id == subjectId, ct),
        _ => await db.CanaryDeployments.AnyAsync(d => d.Id == subjectId, ct),
    };

    public async Task<bool> IsAcknowledgedAsync(string subjectKind, string subjectId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.AttentionAcknowledgements.AnyAsync(a => a.SubjectKind == subjectKind && a.SubjectId == subjectId, ct);
    }

    /// <summary>Canaries waiting for promotion, paused deployments, and deadlines close or past (Nomad's rules, <see cref="DeploymentRules"/>).</summary>
    private async Task<List<AttentionItem>> DeploymentsAsync(DashboardDbContext db, DateTime now, CancellationToken ct)
    {
        var active = await db.CanaryDeployments.AsNoTracking()
            .Where(d => d.Active && (d.Status == DeploymentStatuses.Running || d.Status == DeploymentStatuses.Paused))
            .OrderBy(d => d.CreateIndex).Take(PerRule).ToListAsync(ct);
        List<AttentionItem> items = [];
        foreach (var d in active)
        {
            var name = $"Deployment {DeploymentStateMachine.ShortId(d.Id)} of {d.JobId} v{d.JobVersion}";
            if (d.Status == DeploymentStatuses.Paused)
            {
                items.Add(new(AttentionKinds.DeploymentPaused, AttentionSeverities.Info, $"{name} is paused", SubjectKinds.Deployment, d.Id,
                    d.WaitingSince ?? d.ModifyTime, "Resume or fail it."));
            }
            else if (d.StatusDescription == DeploymentDescriptions.RunningNeedsPromotion && d.WaitingSince is { } since)
            {
                items.Add(new(AttentionKinds.CanaryPromotion, AttentionSeverities.Info, $"{name} waits for promotion", SubjectKinds.Deployment, d.Id,
                    since, "Its canaries are healthy; promote it or fail it."));
            }
            else if (DeploymentRules.NextDeadline(d) is { } deadline && deadline - now <= settings.NearDeadline)
            {
                var past = deadline <= now;
                items.Add(new(AttentionKinds.DeploymentDeadline, past ? AttentionSeverities.Critical : AttentionSeverities.Warning,
                    past ? $"{name} is past its progress deadline" : $"{name} is close to its progress deadline", SubjectKinds.Deployment, d.Id,
                    d.CreateTime, past ? $"The deadline passed at {deadline:HH:mm:ss} UTC." : $"Healthy allocations are due by {deadline:HH:mm:ss} UTC."));
            }
        }
        return items;
    }

    /// <summary>Rollouts stopped by their failure guard, and running ones whose devices have gone quiet.</summary>
    private async Task<List<AttentionItem>> RolloutsAsync(DashboardDbContext db, DateTime now, CancellationToken ct)
    {
        var open = await db.Rollouts.AsNoTracking()
            .Where(r => r.State == RolloutStates.Stopped || r.State == RolloutStates.InProgress)
            .OrderBy(r => r.CreatedAt).Take(PerRule)
            .Select(r => new { r.Id, r.Name, r.State, r.StateReason, r.UpdatedAt })
            .ToListAsync(ct);
        List<AttentionItem> items = [];
        foreach (var r in open.Where(r => r.State == RolloutStates.Stopped))
        {
            items.Add(new(AttentionKinds.RolloutStopped, AttentionSeverities.Critical, $"Rollout {r.Name} stopped by its failure guard",
                SubjectKinds.Rollout, r.Id, r.UpdatedAt, r.StateReason is null ? "Resume or abort it." : $"{r.StateReason}. Resume or abort it."));
        }

        var running = open.Where(r => r.State == RolloutStates.InProgress).Select(r => r.Id).ToList();
        if (running.Count == 0) return items;
        // Only phases that have started can stall; a rollout between phases is waiting for its schedule, not for a person.
        var started = await db.RolloutPhases.AsNoTracking()
            .Where(p => running.Contains(p.RolloutId) && p.StartedAt != null)
            .Select(p => new { p.RolloutId, p.Index, p.StartedAt }).ToListAsync(ct);
        // Aggregated in the database: a rollout of 10,000 devices is two grouped rows here, not 10,000.
        var activity = (await db.DeviceDeployments.AsNoTracking()
                .Where(d => running.Contains(d.RolloutId))
                .GroupBy(d => d.RolloutId)
                .Select(g => new { RolloutId = g.Key, LastStart = g.Max(d => d.StartedAt), LastFinish = g.Max(d => d.FinishedAt) })
                .ToListAsync(ct))
            .ToDictionary(a => a.RolloutId);
        var unfinished = await db.DeviceDeployments.AsNoTracking()
            .Where(d => running.Contains(d.RolloutId) && !FinalDeviceStatuses.Contains(d.Status))
            .GroupBy(d => new { d.RolloutId, d.PhaseIndex })
            .Select(g => new { g.Key.RolloutId, g.Key.PhaseIndex, Count = g.Count() })
            .ToListAsync(ct);
        foreach (var r in open.Where(r => r.State == RolloutStates.InProgress))
        {
            var phases = started.Where(p => p.RolloutId == r.Id).ToList();
            if (phases.Count == 0) continue;
            var lastPhase = phases.Max(p => p.Index);
            var waiting = unfinished.Where(u => u.RolloutId == r.Id && u.PhaseIndex <= lastPhase).Sum(u => u.Count);
            if (waiting == 0) continue;
            var devices = activity.GetValueOrDefault(r.Id);
            var lastProgress = new[] { r.UpdatedAt, phases.Max(p => p.StartedAt!.Value), devices?.LastStart ?? DateTime.MinValue, devices?.LastFinish ?? DateTime.MinValue }.Max();
            if (now - lastProgress < settings.StalledRollout) continue;
            items.Add(new(AttentionKinds.RolloutStalled, AttentionSeverities.Warning, $"Rollout {r.Name} has made no device progress",
                SubjectKinds.Rollout, r.Id, lastProgress, $"{waiting} device{(waiting == 1 ? "" : "s")} in started phases have not finished."));
        }
        return items;
    }

    /// <summary>Failed batches, rollouts and deployments of the last <see cref="AttentionSettings.FailedWithinDays"/>, until acknowledged.</summary>
    private async Task<List<AttentionItem>> FailedAsync(DashboardDbContext db, DateTime now, CancellationToken ct)
    {
        var since = now - settings.FailedWithin;
        var batches = await db.Batches.AsNoTracking()
            .Where(b => b.State == BatchStates.Failed && b.UpdatedAt >= since)
            .OrderByDescending(b => b.UpdatedAt).Take(PerRule)
            .Select(b => new { b.Id, b.Quantity, b.PlanSlug, b.UpdatedAt, b.ErrorMessages }).ToListAsync(ct);
        var rollouts = await db.Rollouts.AsNoTracking()
            .Where(r => r.State == RolloutStates.Failed && r.UpdatedAt >= since)
            .OrderByDescending(r => r.UpdatedAt).Take(PerRule)
            .Select(r => new { r.Id, r.Name, r.UpdatedAt, r.StateReason }).ToListAsync(ct);
        var deployments = await db.CanaryDeployments.AsNoTracking()
            .Where(d => d.Status == DeploymentStatuses.Failed && d.ModifyTime >= since)
            .OrderByDescending(d => d.ModifyTime).Take(PerRule)
            .Select(d => new { d.Id, d.JobId, d.JobVersion, d.ModifyTime, d.StatusDescription }).ToListAsync(ct);
        return
        [
            .. batches.Select(b => new AttentionItem(AttentionKinds.BatchFailed, AttentionSeverities.Critical, $"Batch of {b.Quantity} {b.PlanSlug} failed",
                SubjectKinds.Batch, b.Id, b.UpdatedAt, b.ErrorMessages.FirstOrDefault())),
            .. rollouts.Select(r => new AttentionItem(AttentionKinds.RolloutFailed, AttentionSeverities.Critical, $"Rollout {r.Name} failed",
                SubjectKinds.Rollout, r.Id, r.UpdatedAt, r.StateReason)),
            .. deployments.Select(d => new AttentionItem(AttentionKinds.DeploymentFailed, AttentionSeverities.Critical,
                $"Deployment {DeploymentStateMachine.ShortId(d.Id)} of {d.JobId} v{d.JobVersion} failed", SubjectKinds.Deployment, d.Id, d.ModifyTime, d.StatusDescription)),
        ];
    }

    /// <summary>
    /// Change events from outside tools that have been in progress too long. The dashboard's own
    /// batches, rollouts and deployments are left out: their own rules above say better what they wait for.
    /// </summary>
    private async Task<List<AttentionItem>> LongChangesAsync(DashboardDbContext db, DateTime now, CancellationToken ct)
    {
        var before = now - settings.LongChange;
        var changes = await db.Changes.AsNoTracking()
            .Where(c => c.Status == ChangeStatuses.InProgress && c.StartedAt <= before && (c.Source == null || !OwnSources.Contains(c.Source)))
            .OrderBy(c => c.StartedAt).Take(PerRule)
            .Select(c => new { c.Id, c.Component, c.Version, c.StartedAt, c.Owner, c.Source }).ToListAsync(ct);
        return [.. changes.Select(c => new AttentionItem(AttentionKinds.ChangeLong, AttentionSeverities.Warning,
            $"{c.Component} {c.Version} has been in progress for long", SubjectKinds.Change, c.Id.ToString(), c.StartedAt,
            $"Started by {c.Owner ?? c.Source ?? "an unknown tool"}; its end event may never have been sent."))];
    }
}
