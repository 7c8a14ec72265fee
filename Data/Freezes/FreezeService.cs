using System.Globalization;
using Dashboard.Data.Timeline;
using Dashboard.Data.Work;
using Microsoft.EntityFrameworkCore;

namespace Dashboard.Data.Freezes;

/// <summary>What a create path or a runner asks about: a batch in a project, a rollout of an artifact, a deployment of a job in a namespace.</summary>
public sealed record FreezeTarget(string SubjectKind, string? Project, string Component)
{
    public bool IsIn(Freeze f) =>
        f.Everything
        || (Project is not null && f.Projects.Contains(Project, StringComparer.OrdinalIgnoreCase))
        || f.Components.Contains(Component, StringComparer.OrdinalIgnoreCase);
}

/// <summary>An operator's wish to start something despite a freeze; honoured only for administrators.</summary>
public sealed record FreezeOverrideRequest(string Reason, string Actor, bool IsAdmin)
{
    /// <summary>The header the compatible APIs read the reason from (admin tokens only).</summary>
    public const string Header = "X-Dashboard-Freeze-Override";
}

/// <summary>One occurrence of a freeze.</summary>
public sealed record FreezeOccurrence(Freeze Freeze, FreezeWindow Window);

/// <summary>What applies to a target: the freezes in effect now (and until when, chained windows included) and those coming.</summary>
public sealed record FreezeOutlook(IReadOnlyList<FreezeOccurrence> Active, DateTime? Until, IReadOnlyList<FreezeOccurrence> Upcoming)
{
    public bool Frozen => Active.Count > 0;
}

/// <summary>A freeze with its current or next occurrence, for the list.</summary>
public sealed record FreezeSummary(Freeze Freeze, FreezeWindow? Active, FreezeWindow? Next);

/// <summary>A phase start or rolling step that must wait until <see cref="Until"/>.</summary>
public sealed record FreezeHold(Guid FreezeId, string FreezeName, DateTime Until);

/// <summary>The freezes a create went through by an administrator's override (empty when none applied).</summary>
public sealed record FreezeAdmission(IReadOnlyList<FreezeOccurrence> Overridden, FreezeOverrideRequest? Request)
{
    public static readonly FreezeAdmission None = new([], null);
}

/// <summary>A create refused by a freeze: each API writes it in its own format with its own status.</summary>
public sealed class FrozenException(string freezeName, DateTime until, string message) : Exception(message)
{
    public string FreezeName { get; } = freezeName;
    public DateTime Until { get; } = until;
}

/// <summary>
/// Freeze windows: administrators define them; create paths ask <see cref="AdmitAsync"/> (refused, or
/// let through by an override that is recorded); runners ask <see cref="HoldAsync"/> before a phase
/// start or a rolling step and wait for the end. Everything is read from the database at the moment
/// of asking, so a new or deleted freeze applies at once and survives restarts.
/// </summary>
public sealed class FreezeService(IDbContextFactory<DashboardDbContext> dbFactory, StateRecorder recorder, TimeProvider clock, Audit.AuditLog audit)
{
    /// <summary>How far ahead the wizards look for an upcoming freeze.</summary>
    public static readonly TimeSpan Horizon = TimeSpan.FromDays(7);

    /// <summary>Windows that touch end to end are one freeze to whoever waits; this bounds the chain.</summary>
    private const int MaxChain = 32;

    private DateTime Now => clock.GetUtcNow().UtcDateTime;

    // ---- administration ----

    public async Task<Freeze> CreateAsync(FreezeRequest request, string? actor, CancellationToken ct = default)
    {
        audit.Attempt(Audit.AuditActions.FreezeCreate, Audit.AuditTargets.Freeze, request.Name);
        var freeze = FreezeValidator.Validate(request, Now);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        if (await db.Freezes.AnyAsync(f => f.Name == freeze.Name, ct))
            throw new ValidationException("name", $"A freeze named '{freeze.Name}' already exists.");
        if (freeze.Projects.Count > 0)
        {
            var slugs = await db.Projects.Select(p => p.Slug).ToListAsync(ct);
            if (freeze.Projects.FirstOrDefault(p => !slugs.Contains(p, StringComparer.OrdinalIgnoreCase)) is { } unknown)
                throw new ValidationException("projects", $"No project or namespace named '{unknown}'; one of {string.Join(", ", slugs.Order())}.");
            freeze.Projects = [.. freeze.Projects.Select(p => slugs.First(s => string.Equals(s, p, StringComparison.OrdinalIgnoreCase)))];
        }
        freeze.Id = Guid.CreateVersion7();
        freeze.CreatedAt = Now;
        freeze.CreatedBy = actor;
        db.Freezes.Add(freeze);
        recorder.Note(db, Subject(freeze, actor), TimelineStatuses.Info,
            $"Freeze {freeze.Name} defined: {FreezeValidator.Describe(freeze)}, {FreezeValidator.Scope(freeze)}", freeze.Description);
        audit.Add(db, Audit.AuditActions.FreezeCreate, Audit.AuditTargets.Freeze, freeze.Id.ToString(), $"{freeze.Name}: {FreezeValidator.Describe(freeze)}, {FreezeValidator.Scope(freeze)}.");
        await db.SaveChangesAsync(ct);
        return freeze;
    }

    public async Task DeleteAsync(Guid id, string? actor, CancellationToken ct = default)
    {
        audit.Attempt(Audit.AuditActions.FreezeDelete, Audit.AuditTargets.Freeze, id.ToString());
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var freeze = await db.Freezes.FirstOrDefaultAsync(f => f.Id == id, ct) ?? throw new NotFoundException("Freeze", id.ToString());
        db.Freezes.Remove(freeze);
        recorder.Note(db, Subject(freeze, actor), TimelineStatuses.Info, $"Freeze {freeze.Name} removed");
        audit.Add(db, Audit.AuditActions.FreezeDelete, Audit.AuditTargets.Freeze, freeze.Id.ToString(), freeze.Name);
        await db.SaveChangesAsync(ct);
    }

    public async Task<List<FreezeSummary>> ListAsync(CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var freezes = await db.Freezes.AsNoTracking().OrderBy(f => f.Name).ToListAsync(ct);
        var now = Now;
        return [.. freezes.Select(f => new FreezeSummary(f, FreezeCalendar.ActiveAt(f, now), FreezeCalendar.Next(f, now, now + Horizon)))];
    }

    public async Task<Freeze> GetAsync(Guid id, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.Freezes.AsNoTracking().FirstOrDefaultAsync(f => f.Id == id, ct) ?? throw new NotFoundException("Freeze", id.ToString());
    }

    /// <summary>The latest overrides, newest first (the settings page's record).</summary>
    public async Task<List<FreezeOverride>> OverridesAsync(int take = 50, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.FreezeOverrides.AsNoTracking().OrderByDescending(o => o.Id).Take(take).ToListAsync(ct);
    }

    // ---- what applies ----

    /// <summary>What the wizards show before submit: freezes in effect for the target now, and those starting within <see cref="Horizon"/>.</summary>
    public async Task<FreezeOutlook> OutlookAsync(FreezeTarget target, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return Outlook(await ApplyingAsync(db, target, null, ct), Now);
    }

    /// <summary>
    /// The create path's gate, inside the caller's context: nothing applies, or an administrator's
    /// override lets it through (recorded later by <see cref="RecordOverrides"/>), or it throws
    /// <see cref="FrozenException"/> naming the freeze and its end.
    /// </summary>
    public async Task<FreezeAdmission> AdmitAsync(DashboardDbContext db, FreezeTarget target, FreezeOverrideRequest? request, CancellationToken ct = default)
    {
        var outlook = Outlook(await ApplyingAsync(db, target, null, ct), Now);
        if (!outlook.Frozen) return FreezeAdmission.None;
        var first = outlook.Active[0];
        var until = outlook.Until!.Value;
        var refusal = $"Deployments are frozen by \"{first.Freeze.Name}\" until {Format(until)} ({FreezeValidator.Describe(first.Freeze)}; {FreezeValidator.Scope(first.Freeze)}).";
        if (request is null) throw new FrozenException(first.Freeze.Name, until, refusal + " An administrator can override the freeze with a reason.");
        if (!request.IsAdmin) throw new FrozenException(first.Freeze.Name, until, refusal + " Only an administrator can override a freeze.");
        var reason = request.Reason.Trim();
        if (reason.Length == 0) throw new ValidationException("freezeOverride", "An override of a freeze needs a reason.");
        if (reason.Length > 500) throw new ValidationException("freezeOverride", "The reason for an override is at most 500 characters.");
        return new FreezeAdmission(outlook.Active, request with { Reason = reason });
    }

    /// <summary>Records who overrode which freeze for the new subject, and says so on its timeline; nothing when no freeze applied.</summary>
    public void RecordOverrides(DashboardDbContext db, FreezeAdmission admission, RecordedSubject subject)
    {
        if (admission.Request is not { } request) return;
        var now = Now;
        foreach (var (freeze, window) in admission.Overridden)
        {
            db.FreezeOverrides.Add(new FreezeOverride
            {
                FreezeId = freeze.Id, FreezeName = freeze.Name, SubjectKind = subject.Kind, SubjectId = subject.Id,
                Actor = request.Actor, Reason = request.Reason, At = now,
            });
            recorder.Note(db, subject, TimelineStatuses.Info, $"Freeze {freeze.Name} (until {Format(window.End)}) overridden by {request.Actor}", request.Reason, request.Actor, now);
            audit.Add(db, Audit.AuditActions.FreezeOverride, subject.Kind, subject.Id, $"Freeze {freeze.Name} (until {Format(window.End)}) overridden: {request.Reason}");
        }
    }

    /// <summary>
    /// A runner's question before it starts a phase or places the next allocations: the hold when a
    /// freeze applies at <paramref name="at"/> (ignoring freezes overridden for this subject), else null.
    /// Pure: nothing is written. <paramref name="at"/> is the runner's own "now", the instant it records
    /// the start at: read again here, a clock that moved meanwhile would start at a frozen instant.
    /// </summary>
    public async Task<FreezeHold?> HoldAsync(DashboardDbContext db, FreezeTarget target, string subjectId, DateTime at, CancellationToken ct = default)
    {
        var outlook = Outlook(await ApplyingAsync(db, target, subjectId, ct), at);
        return outlook.Frozen ? new FreezeHold(outlook.Active[0].Freeze.Id, outlook.Active[0].Freeze.Name, outlook.Until!.Value) : null;
    }

    /// <summary>Remembers that the subject waits (shown on its page) and says so on its timeline once per freeze and end.</summary>
    public async Task RecordWaitAsync(DashboardDbContext db, RecordedSubject subject, FreezeHold hold, string what, CancellationToken ct = default)
    {
        var wait = await db.FreezeWaits.FirstOrDefaultAsync(w => w.SubjectKind == subject.Kind && w.SubjectId == subject.Id, ct);
        if (wait is not null && wait.FreezeId == hold.FreezeId && wait.Until == hold.Until) return;
        if (wait is null)
        {
            wait = new FreezeWait { SubjectKind = subject.Kind, SubjectId = subject.Id, FreezeName = hold.FreezeName, Since = Now };
            db.FreezeWaits.Add(wait);
        }
        wait.FreezeId = hold.FreezeId;
        wait.FreezeName = hold.FreezeName;
        wait.Until = hold.Until;
        recorder.Note(db, subject, TimelineStatuses.Paused, $"{what} waiting for freeze {hold.FreezeName} until {Format(hold.Until)}");
    }

    /// <summary>The subject goes on: it no longer waits.</summary>
    public static async Task ReleaseAsync(DashboardDbContext db, string subjectKind, string subjectId, CancellationToken ct = default)
    {
        var wait = await db.FreezeWaits.FirstOrDefaultAsync(w => w.SubjectKind == subjectKind && w.SubjectId == subjectId, ct);
        if (wait is not null) db.FreezeWaits.Remove(wait);
    }

    /// <summary>What a subject waits for, if anything.</summary>
    public async Task<FreezeWait?> WaitAsync(string subjectKind, string subjectId, CancellationToken ct = default) =>
        (await WaitForPeopleAsync(subjectKind, subjectId, ct))?.Wait;

    /// <summary>What a subject waits for, with the freeze's time zone, so people see the end as the freeze was entered.</summary>
    public async Task<(FreezeWait Wait, string? TimeZone)?> WaitForPeopleAsync(string subjectKind, string subjectId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var found = await (
            from w in db.FreezeWaits.AsNoTracking()
            where w.SubjectKind == subjectKind && w.SubjectId == subjectId
            from f in db.Freezes.Where(f => f.Id == w.FreezeId).DefaultIfEmpty()
            select new { Wait = w, TimeZone = f == null ? null : f.TimeZone }).FirstOrDefaultAsync(ct);
        return found is null ? null : (found.Wait, found.TimeZone);
    }

    public static string Format(DateTime utc) => utc.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture);

    /// <summary>For people: in the freeze's own time zone when it has one (as it was entered), with UTC beside it.</summary>
    public static string Format(DateTime utc, string? timeZone)
    {
        if (!FreezeCalendar.TryZone(timeZone, out var zone) || (zone.BaseUtcOffset == TimeSpan.Zero && !zone.SupportsDaylightSavingTime)) return Format(utc);
        var local = FreezeCalendar.ToLocal(utc, zone);
        return $"{local.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)} {timeZone!.Trim()} ({utc.ToString("HH:mm", CultureInfo.InvariantCulture)} UTC)";
    }

    private static async Task<List<Freeze>> ApplyingAsync(DashboardDbContext db, FreezeTarget target, string? subjectId, CancellationToken ct)
    {
        // Few rows by nature (a handful of policies); matching the scope lists is simpler in memory.
        var freezes = (await db.Freezes.AsNoTracking().ToListAsync(ct)).Where(target.IsIn).ToList();
        if (subjectId is null || freezes.Count == 0) return freezes;
        var overridden = await db.FreezeOverrides.AsNoTracking()
            .Where(o => o.SubjectKind == target.SubjectKind && o.SubjectId == subjectId).Select(o => o.FreezeId).ToListAsync(ct);
        return [.. freezes.Where(f => !overridden.Contains(f.Id))];
    }

    private static FreezeOutlook Outlook(List<Freeze> freezes, DateTime now)
    {
        var active = freezes.Select(f => (f, w: FreezeCalendar.ActiveAt(f, now))).Where(x => x.w is not null)
            .Select(x => new FreezeOccurrence(x.f, x.w!.Value)).OrderByDescending(o => o.Window.End).ThenBy(o => o.Freeze.Name).ToList();
        DateTime? until = null;
        if (active.Count > 0)
        {
            // Back-to-back or overlapping windows (a weekend freeze and a holiday) are one wait.
            var t = active[0].Window.End;
            for (var i = 0; i < MaxChain; i++)
            {
                var next = freezes.Select(f => FreezeCalendar.ActiveAt(f, t)).Where(w => w is not null).Select(w => w!.Value.End).DefaultIfEmpty().Max();
                if (next <= t) break;
                t = next;
            }
            until = t;
        }
        var upcoming = freezes.Select(f => (f, w: FreezeCalendar.Next(f, now, now + Horizon))).Where(x => x.w is not null)
            .Select(x => new FreezeOccurrence(x.f, x.w!.Value)).OrderBy(o => o.Window.Start).ToList();
        return new FreezeOutlook(active, until, upcoming);
    }

    private static RecordedSubject Subject(Freeze freeze, string? actor) => new(SubjectKinds.Freeze, freeze.Id.ToString(), TimelineSources.System, Actor: actor);
}
