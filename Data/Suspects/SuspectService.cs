using System.Globalization;
using Dashboard.Data.Attention;
using Dashboard.Data.Batches;
using Dashboard.Data.Canaries;
using Dashboard.Data.Changes;
using Dashboard.Data.Rollouts;
using Dashboard.Data.Timeline;
using Microsoft.EntityFrameworkCore;

namespace Dashboard.Data.Suspects;

/// <summary>What went wrong (or is being looked at): its hosts, component and when it ran.</summary>
public sealed record SuspectSubject(string Kind, string Id, string Title, string Status, bool Failed, string? Component,
    IReadOnlyList<string> Hosts, DateTime StartedAt, DateTime? EndedAt);

public sealed record SuspectMarkView(string Verdict, string MarkedBy, DateTime MarkedAt);

/// <summary>One change that may have caused the subject's failure, with why it is suspected.</summary>
public sealed record Suspect(Guid ChangeId, string Component, string Version, string Status, string? Source, string? Owner,
    DateTime StartedAt, DateTime? EndedAt, IReadOnlyList<string> SharedHosts, bool SameComponent, int Score, string Reason, SuspectMarkView? Mark);

/// <summary>The suspects of one subject, best first, and the time window they were looked for in.</summary>
public sealed record SuspectReport(SuspectSubject Subject, DateTime WindowStart, DateTime WindowEnd, IReadOnlyList<Suspect> Suspects);

/// <summary>
/// Suspect changes, as BigPanda marks them: for a failed batch, rollout, deployment or change, the
/// change events that overlapped it in time (from <see cref="AttentionSettings.SuspectWindowMinutes"/>
/// before it started until it ended) and touched the same hosts or the same component. The subject's own
/// change event (the one its capability recorded) is left out.
/// <para>
/// Score, 0 to 100: 50 x host overlap (shared hosts / the smaller of the two host sets, so a change on
/// one of our hosts counts fully), + 30 for the same component, + 20 x closeness in time (1 for a change
/// that began while the subject ran, falling linearly to 0 at the window's start). Ties: newest first.
/// </para>
/// A person's verdicts (<see cref="SuspectMark"/>) are stored per subject and change.
/// </summary>
public sealed class SuspectService(IDbContextFactory<DashboardDbContext> dbFactory, AttentionSettings settings, TimeProvider clock, Audit.AuditLog audit)
{
    /// <summary>The best this many are shown; more would bury the few that matter.</summary>
    public const int MaxSuspects = 25;

    /// <summary>Candidates read per subject: the changes of the window, newest first.</summary>
    private const int MaxCandidates = 2000;

    /// <summary>Hosts read for a large rollout: enough to overlap with any change.</summary>
    private const int MaxSubjectHosts = 5000;

    public static readonly IReadOnlyList<string> Kinds = [SubjectKinds.Batch, SubjectKinds.Rollout, SubjectKinds.Deployment, SubjectKinds.Change];

    public async Task<SuspectReport> ListAsync(string kind, string id, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var (subject, own) = await SubjectAsync(db, kind, id, ct);
        var windowStart = subject.StartedAt - settings.SuspectWindow;
        var windowEnd = subject.EndedAt ?? clock.GetUtcNow().UtcDateTime;

        var candidates = await db.Changes.AsNoTracking()
            .Where(c => c.StartedAt <= windowEnd && (c.EndedAt == null || c.EndedAt >= windowStart) && c.Status != ChangeStatuses.Planned)
            .OrderByDescending(c => c.StartedAt).Take(MaxCandidates).ToListAsync(ct);
        var marks = (await db.SuspectMarks.AsNoTracking().Where(m => m.SubjectKind == kind && m.SubjectId == id).ToListAsync(ct))
            .ToDictionary(m => m.ChangeId);

        var hosts = new HashSet<string>(subject.Hosts, StringComparer.OrdinalIgnoreCase);
        List<Suspect> suspects = [];
        foreach (var c in candidates.Where(c => !own(c)))
        {
            var shared = c.Hosts.Where(hosts.Contains).Distinct(StringComparer.OrdinalIgnoreCase).ToList();
            var sameComponent = subject.Component is not null && string.Equals(c.Component, subject.Component, StringComparison.OrdinalIgnoreCase);
            if (shared.Count == 0 && !sameComponent) continue;
            var overlap = shared.Count == 0 ? 0 : (double)shared.Count / Math.Max(1, Math.Min(hosts.Count, c.Hosts.Count));
            var before = c.StartedAt < subject.StartedAt ? subject.StartedAt - c.StartedAt : TimeSpan.Zero;
            var closeness = settings.SuspectWindow <= TimeSpan.Zero ? (before == TimeSpan.Zero ? 1 : 0)
                : Math.Clamp(1 - before / settings.SuspectWindow, 0, 1);
            var score = (int)Math.Round(50 * overlap + (sameComponent ? 30 : 0) + 20 * closeness);
            suspects.Add(new Suspect(c.Id, c.Component, c.Version, c.Status, c.Source, c.Owner, c.StartedAt, c.EndedAt, shared, sameComponent, score,
                Reason(shared, sameComponent, before), marks.TryGetValue(c.Id, out var m) ? new SuspectMarkView(m.Verdict, m.MarkedBy, m.MarkedAt) : null));
        }
        return new SuspectReport(subject, windowStart, windowEnd,
            [.. suspects.OrderByDescending(s => s.Score).ThenByDescending(s => s.StartedAt).ThenBy(s => s.ChangeId).Take(MaxSuspects)]);
    }

    /// <summary>Records (or replaces) a person's verdict on one suspect of one subject.</summary>
    public async Task<SuspectMarkView> MarkAsync(string kind, string id, Guid changeId, string? verdict, string actor, CancellationToken ct = default)
    {
        audit.Attempt(Audit.AuditActions.SuspectMark, kind, id);
        if (verdict is null || !SuspectVerdicts.All.Contains(verdict))
            throw new ValidationException("verdict", $"'verdict' must be one of: {string.Join(", ", SuspectVerdicts.All)}.");
        var report = await ListAsync(kind, id, ct);
        if (report.Suspects.All(s => s.ChangeId != changeId))
            throw new ValidationException("changeId", $"Change {changeId} is not a suspect of {kind} {id}.");

        var now = clock.GetUtcNow().UtcDateTime;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var mark = await db.SuspectMarks.FirstOrDefaultAsync(m => m.SubjectKind == kind && m.SubjectId == id && m.ChangeId == changeId, ct);
        if (mark is null)
        {
            mark = new SuspectMark { SubjectKind = kind, SubjectId = id, ChangeId = changeId, Verdict = verdict, MarkedBy = actor, MarkedAt = now };
            db.SuspectMarks.Add(mark);
        }
        else
        {
            mark.Verdict = verdict;
            mark.MarkedBy = actor;
            mark.MarkedAt = now;
        }
        audit.Add(db, Audit.AuditActions.SuspectMark, kind, id, $"Change {changeId} marked {verdict}.");
        await db.SaveChangesAsync(ct);
        return new SuspectMarkView(mark.Verdict, mark.MarkedBy, mark.MarkedAt);
    }

    private static string Reason(List<string> shared, bool sameComponent, TimeSpan before)
    {
        List<string> parts = [];
        if (shared.Count > 0)
            parts.Add(shared.Count == 1 ? $"shares host {shared[0]}" : $"shares {shared.Count} hosts ({string.Join(", ", shared.Take(3))}{(shared.Count > 3 ? ", ..." : "")})");
        if (sameComponent) parts.Add("same component");
        parts.Add(before == TimeSpan.Zero ? "began while it ran" : $"began {Ago(before)} before it");
        return string.Join("; ", parts);
    }

    private static string Ago(TimeSpan t) => t.TotalMinutes < 1 ? $"{(int)t.TotalSeconds}s"
        : t.TotalHours < 1 ? $"{(int)t.TotalMinutes}m" : $"{(int)t.TotalHours}h {t.Minutes:00}m";

    /// <summary>The subject and a test for its own change event (recorded by its capability, so not a suspect of itself).</summary>
    private static async Task<(SuspectSubject Subject, Func<Change, bool> Own)> SubjectAsync(DashboardDbContext db, string kind, string id, CancellationToken ct)
    {
        switch (kind)
        {
            case SubjectKinds.Batch:
            {
                var b = await db.Batches.AsNoTracking().FirstOrDefaultAsync(x => x.Id == id, ct) ?? throw new NotFoundException("Batch", id);
                var title = $"Batch of {b.Quantity} {b.PlanSlug}";
                return (new SuspectSubject(kind, id, title, b.State, b.State == BatchStates.Failed, BatchStateMachine.ChangeComponent, b.Hostnames,
                        b.CreatedAt, BatchStates.IsFinished(b.State) ? b.UpdatedAt : null),
                    c => c.Source == TimelineSources.Batches && c.Component == BatchStateMachine.ChangeComponent && c.Version == b.Id);
            }
            case SubjectKinds.Rollout:
            {
                var r = await db.Rollouts.AsNoTracking().FirstOrDefaultAsync(x => x.Id == id, ct) ?? throw new NotFoundException("Rollout", id);
                var started = await db.RolloutPhases.AsNoTracking().Where(p => p.RolloutId == id && p.StartedAt != null).MinAsync(p => p.StartedAt, ct);
                var hosts = await (from dd in db.DeviceDeployments
                                   join d in db.Devices on dd.DeviceId equals d.Id
                                   where dd.RolloutId == id
                                   orderby d.Hostname
                                   select d.Hostname).Take(MaxSubjectHosts).ToListAsync(ct);
                return (new SuspectSubject(kind, id, $"Rollout {r.Name}", r.State, r.State == RolloutStates.Failed, r.ArtifactName, hosts,
                        started ?? r.CreatedAt, r.FinishedAt),
                    c => c.Source == TimelineSources.Rollouts && c.Component == r.ArtifactName && c.Version == r.Id);
            }
            case SubjectKinds.Deployment:
            {
                var d = await db.CanaryDeployments.AsNoTracking().FirstOrDefaultAsync(x => x.Id == id, ct) ?? throw new NotFoundException("Deployment", id);
                var version = d.JobVersion.ToString(CultureInfo.InvariantCulture);
                return (new SuspectSubject(kind, id, $"Deployment {DeploymentStateMachine.ShortId(d.Id)} of {d.JobId} v{d.JobVersion}", d.Status,
                        d.Status == DeploymentStatuses.Failed, d.JobId, d.Hosts, d.CreateTime, d.Active ? null : d.ModifyTime),
                    c => c.Source == TimelineSources.Deployments && c.Component == d.JobId && c.Version == version);
            }
            case SubjectKinds.Change:
            {
                var change = Guid.TryParse(id, out var changeId) ? await db.Changes.AsNoTracking().FirstOrDefaultAsync(x => x.Id == changeId, ct) : null;
                if (change is null) throw new NotFoundException("Change", id);
                return (new SuspectSubject(kind, id, $"{change.Component} {change.Version}", change.Status, change.Status == ChangeStatuses.Failure,
                        change.Component, change.Hosts, change.StartedAt, change.EndedAt),
                    c => c.Id == changeId);
            }
            default:
                throw new NotFoundException("Subject kind", kind);
        }
    }
}
