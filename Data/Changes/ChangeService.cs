using Dashboard.Data.Timeline;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace Dashboard.Data.Changes;

/// <summary>What a reader wants to see of the changes. Empty fields match everything.</summary>
public sealed record ChangeFilter(
    string? Component = null,
    string? Host = null,
    string? Status = null,
    string? Owner = null,
    string? Source = null,
    DateTime? From = null,
    DateTime? To = null)
{
    public static readonly ChangeFilter None = new();

    public bool Matches(Change c) =>
        (string.IsNullOrEmpty(Component) || string.Equals(c.Component, Component, StringComparison.OrdinalIgnoreCase)) &&
        (string.IsNullOrEmpty(Host) || c.Hosts.Contains(Host, StringComparer.OrdinalIgnoreCase)) &&
        (string.IsNullOrEmpty(Status) || c.Status == Status) &&
        (string.IsNullOrEmpty(Owner) || string.Equals(c.Owner, Owner, StringComparison.OrdinalIgnoreCase)) &&
        (string.IsNullOrEmpty(Source) || string.Equals(c.Source, Source, StringComparison.OrdinalIgnoreCase)) &&
        (From is null || c.StartedAt >= From) &&
        (To is null || c.StartedAt <= To);
}

/// <summary>
/// The changes capability: matches deployment start and end events, upserts Changes API changes,
/// and records a timeline entry for every state change in the same commit.
/// <para>
/// Matching rules (see docs/decisions/0004-change-event-matching.md):
/// a start opens a change unless one with the same component, version and host set is in progress
/// (then nothing new is recorded); an end closes the in-progress change with that key; an end with
/// no change of that key records a finished change marked <see cref="Change.StartMissing"/>; an end
/// whose newest change of that key has already ended is a replay: the first end stands.
/// </para>
/// Requests from the API go through one writer that groups concurrent requests into one commit
/// (<see cref="ChangeWriter"/>); each caller is answered only after its commit.
/// </summary>
public sealed class ChangeService : IAsyncDisposable
{
    private readonly IDbContextFactory<DashboardDbContext> _dbFactory;
    private readonly TimeProvider _clock;
    private readonly ChangeWriter _writer;

    public ChangeService(IDbContextFactory<DashboardDbContext> dbFactory, TimeProvider clock, ILogger<ChangeService> logger, TimelinePublisher publisher)
    {
        _dbFactory = dbFactory;
        _clock = clock;
        _writer = new ChangeWriter(dbFactory, clock, logger, publisher);
    }

    private DateTime Now => _clock.GetUtcNow().UtcDateTime;

    /// <summary>Records a deployment start and returns once it is committed.</summary>
    public Task<ChangeResult> StartAsync(DeploymentStart start, CancellationToken ct = default)
    {
        var normalised = Normalise(start);
        return _writer.EnqueueAsync(new(normalised.MatchKey, null), (db, now, token) => ApplyStartAsync(db, normalised, now, token), ct);
    }

    /// <summary>Records a deployment end and returns once it is committed.</summary>
    public Task<ChangeResult> EndAsync(DeploymentEnd end, CancellationToken ct = default)
    {
        var normalised = Normalise(end);
        return _writer.EnqueueAsync(new(normalised.MatchKey, null), (db, now, token) => ApplyEndAsync(db, normalised, now, token), ct);
    }

    /// <summary>Creates or updates a Changes API change by identifier and returns once it is committed.</summary>
    public Task<ChangeResult> UpsertAsync(ChangeUpsert upsert, CancellationToken ct = default)
    {
        var normalised = Normalise(upsert);
        return _writer.EnqueueAsync(new(null, normalised.Identifier), (db, now, token) => ApplyUpsertAsync(db, normalised, now, token), ct);
    }

    /// <summary>
    /// For capabilities that run deployments themselves (batches, rollouts, canaries): records the
    /// start of a change in <paramref name="db"/> without saving, so it commits (or rolls back)
    /// together with the caller's own state change. Pass the capability as <c>Source</c>
    /// (<see cref="TimelineSources"/>) and a version that names the run (for example its id), so the
    /// matching <see cref="RecordEndAsync"/> finds it. The same matching rules apply as for the API.
    /// </summary>
    public Task<ChangeResult> RecordStartAsync(DashboardDbContext db, DeploymentStart start, CancellationToken ct = default) =>
        ApplyStartAsync(db, Normalise(start), Now, ct);

    /// <summary>
    /// The end of a change started with <see cref="RecordStartAsync"/> (same component, version and
    /// hosts), added to <paramref name="db"/> without saving; see <see cref="RecordStartAsync"/>.
    /// </summary>
    public Task<ChangeResult> RecordEndAsync(DashboardDbContext db, DeploymentEnd end, CancellationToken ct = default) =>
        ApplyEndAsync(db, Normalise(end), Now, ct);

    /// <summary>Newest first.</summary>
    public async Task<List<Change>> ListAsync(ChangeFilter filter, int take = 200, CancellationToken ct = default)
    {
        await using var db = await _dbFactory.CreateDbContextAsync(ct);
        var query = Where(db.Changes.AsNoTracking(), filter).OrderByDescending(c => c.StartedAt).ThenByDescending(c => c.Id);
        if (string.IsNullOrEmpty(filter.Host)) return await query.Take(take).ToListAsync(ct);

        // Hosts is a JSON column; filter it in memory over a bounded window.
        var window = await query.Take(take * 20).ToListAsync(ct);
        return [.. window.Where(filter.Matches).Take(take)];
    }

    /// <summary>How many changes match, for a live page's "N more"; null with a host filter (a JSON column, filtered in memory only).</summary>
    public async Task<long?> CountAsync(ChangeFilter filter, CancellationToken ct = default)
    {
        if (!string.IsNullOrEmpty(filter.Host)) return null;
        await using var db = await _dbFactory.CreateDbContextAsync(ct);
        return await Where(db.Changes.AsNoTracking(), filter).LongCountAsync(ct);
    }

    /// <summary>The current state of the given changes (those a live page was just told about).</summary>
    public async Task<List<Change>> GetManyAsync(IReadOnlyCollection<Guid> ids, CancellationToken ct = default)
    {
        if (ids.Count == 0) return [];
        await using var db = await _dbFactory.CreateDbContextAsync(ct);
        return await db.Changes.AsNoTracking().Where(c => ids.Contains(c.Id)).ToListAsync(ct);
    }

    private static IQueryable<Change> Where(IQueryable<Change> query, ChangeFilter filter)
    {
        if (!string.IsNullOrEmpty(filter.Component)) query = query.Where(c => c.Component == filter.Component);
        if (!string.IsNullOrEmpty(filter.Status)) query = query.Where(c => c.Status == filter.Status);
        if (!string.IsNullOrEmpty(filter.Owner)) query = query.Where(c => c.Owner == filter.Owner);
        if (!string.IsNullOrEmpty(filter.Source)) query = query.Where(c => c.Source == filter.Source);
        if (filter.From is { } from) query = query.Where(c => c.StartedAt >= from);
        if (filter.To is { } to) query = query.Where(c => c.StartedAt <= to);
        return query;
    }

    public async Task<Change?> GetAsync(Guid id, CancellationToken ct = default)
    {
        await using var db = await _dbFactory.CreateDbContextAsync(ct);
        return await db.Changes.AsNoTracking().FirstOrDefaultAsync(c => c.Id == id, ct);
    }

    /// <summary>Changes for the lane picture: everything started since <paramref name="since"/>, and anything still open.</summary>
    public async Task<List<Change>> LanesAsync(DateTime since, int take = 2000, CancellationToken ct = default)
    {
        await using var db = await _dbFactory.CreateDbContextAsync(ct);
        return await db.Changes.AsNoTracking()
            .Where(c => c.StartedAt >= since || c.EndedAt >= since || c.Status == ChangeStatuses.InProgress)
            .OrderByDescending(c => c.StartedAt)
            .Take(take)
            .ToListAsync(ct);
    }

    public async Task<int> CountAsync(CancellationToken ct = default)
    {
        await using var db = await _dbFactory.CreateDbContextAsync(ct);
        return await db.Changes.CountAsync(ct);
    }

    public ValueTask DisposeAsync() => _writer.DisposeAsync();

    private static NormalisedStart Normalise(DeploymentStart s)
    {
        var component = ChangeRules.RequiredName(s.Component, "component");
        var version = ChangeRules.RequiredName(s.Version, "version");
        var hosts = ChangeRules.Hosts(s.Hosts);
        return new NormalisedStart(component, version, hosts, ChangeRules.MatchKey(component, version, hosts), s.Timestamp,
            ChangeRules.OptionalText(s.Description, "description"), ChangeRules.OptionalName(s.Owner, "owner"), ChangeRules.OptionalName(s.Source, "source"));
    }

    private static NormalisedEnd Normalise(DeploymentEnd e)
    {
        var component = ChangeRules.RequiredName(e.Component, "component");
        var version = ChangeRules.RequiredName(e.Version, "version");
        var hosts = ChangeRules.Hosts(e.Hosts);
        if (e.Status is not (ChangeStatuses.Success or ChangeStatuses.Failure))
            throw new ValidationException("status", "'status' must be one of: success, failure.");
        return new NormalisedEnd(component, version, hosts, ChangeRules.MatchKey(component, version, hosts), e.Status,
            ChangeRules.OptionalText(e.ErrorMessage, "errorMessage"), e.Timestamp, ChangeRules.OptionalName(e.Source, "source"));
    }

    private static ChangeUpsert Normalise(ChangeUpsert u)
    {
        if (!ChangeStatuses.All.Contains(u.Status))
            throw new ValidationException("status", $"'status' must be one of: {string.Join(", ", ChangeStatuses.All)}.");
        if (u.Start is { } start && u.End is { } end && end < start)
            throw new ValidationException("end", "'end' must not be before 'start'.");
        return u with
        {
            Identifier = ChangeRules.RequiredName(u.Identifier, "identifier"),
            Summary = ChangeRules.OptionalText(u.Summary, "summary"),
            Component = ChangeRules.OptionalName(u.Component, "component"),
            Owner = ChangeRules.OptionalName(u.Owner, "owner"),
            Source = ChangeRules.OptionalName(u.Source, "source"),
            TicketUrl = ChangeRules.OptionalText(u.TicketUrl, "ticket_url"),
        };
    }

    private async Task<ChangeResult> ApplyStartAsync(DashboardDbContext db, NormalisedStart s, DateTime now, CancellationToken ct)
    {
        var open = await FindNewestAsync(db, s.MatchKey, openOnly: true, ct);
        if (open is not null) return new ChangeResult(open, ChangeOutcome.AlreadyInProgress);

        var startedAt = s.Timestamp ?? now;
        var change = NewChange(s.Component, s.Version, s.Hosts, s.MatchKey, ChangeStatuses.InProgress, startedAt, now);
        change.Description = s.Description;
        change.Owner = s.Owner;
        change.Source = s.Source;
        Record(db, change, "started", startedAt);
        return new ChangeResult(change, ChangeOutcome.Started);
    }

    private async Task<ChangeResult> ApplyEndAsync(DashboardDbContext db, NormalisedEnd e, DateTime now, CancellationToken ct)
    {
        var endedAt = e.Timestamp ?? now;
        var newest = await FindNewestAsync(db, e.MatchKey, openOnly: false, ct);
        if (newest is { Status: ChangeStatuses.InProgress })
        {
            newest.Status = e.Status;
            newest.EndedAt = endedAt < newest.StartedAt ? newest.StartedAt : endedAt;
            newest.ErrorMessage = e.ErrorMessage;
            newest.UpdatedAt = now;
            db.Timeline.Add(EntryFor(newest, e.Status == ChangeStatuses.Success ? "succeeded" : "failed", newest.EndedAt.Value));
            return new ChangeResult(newest, ChangeOutcome.Ended);
        }
        if (newest is not null && ChangeStatuses.IsFinal(newest.Status)) return new ChangeResult(newest, ChangeOutcome.AlreadyEnded);

        var change = NewChange(e.Component, e.Version, e.Hosts, e.MatchKey, e.Status, endedAt, now);
        change.EndedAt = endedAt;
        change.ErrorMessage = e.ErrorMessage;
        change.Source = e.Source;
        change.StartMissing = true;
        Record(db, change, (e.Status == ChangeStatuses.Success ? "succeeded" : "failed") + " (no start event)", endedAt);
        return new ChangeResult(change, ChangeOutcome.EndedWithoutStart);
    }

    private static async Task<ChangeResult> ApplyUpsertAsync(DashboardDbContext db, ChangeUpsert u, DateTime now, CancellationToken ct)
    {
        var change = db.Changes.Local.FirstOrDefault(c => c.Identifier == u.Identifier);
        if (change is null && !ChangeWriter.IsPrefetched(db, "id:" + u.Identifier))
            change = await db.Changes.FirstOrDefaultAsync(c => c.Identifier == u.Identifier, ct);
        var component = u.Component ?? change?.Component ?? "change";
        var startedAt = u.Start ?? change?.StartedAt ?? now;
        DateTime? endedAt = u.End ?? (ChangeStatuses.IsFinal(u.Status) ? change?.EndedAt ?? now : null);
        if (change is null)
        {
            change = NewChange(component, u.Identifier, [], ChangeRules.MatchKey(component, "identifier:" + u.Identifier, []), u.Status, startedAt, now);
            change.Identifier = u.Identifier;
            change.EndedAt = endedAt;
            change.Description = u.Summary;
            change.Owner = u.Owner;
            change.Source = u.Source;
            change.TicketUrl = u.TicketUrl;
            change.TagsJson = u.TagsJson;
            change.MetadataJson = u.MetadataJson;
            Record(db, change, StatusVerb(u.Status), startedAt);
            return new ChangeResult(change, ChangeOutcome.Created);
        }

        var statusChanged = change.Status != u.Status;
        var changed = statusChanged
            || change.Component != component || change.StartedAt != startedAt || change.EndedAt != endedAt
            || (u.Summary is not null && change.Description != u.Summary)
            || (u.Owner is not null && change.Owner != u.Owner)
            || (u.Source is not null && change.Source != u.Source)
            || (u.TicketUrl is not null && change.TicketUrl != u.TicketUrl)
            || (u.TagsJson is not null && change.TagsJson != u.TagsJson)
            || (u.MetadataJson is not null && change.MetadataJson != u.MetadataJson);
        if (!changed) return new ChangeResult(change, ChangeOutcome.Unchanged);

        change.Status = u.Status;
        change.Component = component;
        change.StartedAt = startedAt;
        change.EndedAt = endedAt;
        change.Description = u.Summary ?? change.Description;
        change.Owner = u.Owner ?? change.Owner;
        change.Source = u.Source ?? change.Source;
        change.TicketUrl = u.TicketUrl ?? change.TicketUrl;
        change.TagsJson = u.TagsJson ?? change.TagsJson;
        change.MetadataJson = u.MetadataJson ?? change.MetadataJson;
        change.UpdatedAt = now;
        db.Timeline.Add(EntryFor(change, statusChanged ? StatusVerb(u.Status) : "updated", now));
        return new ChangeResult(change, ChangeOutcome.Updated);
    }

    /// <summary>
    /// The newest change with this key, looking first at what this context already tracks (an earlier
    /// request in the same batch, or the caller's own unsaved work), then at the database.
    /// </summary>
    private static async Task<Change?> FindNewestAsync(DashboardDbContext db, string matchKey, bool openOnly, CancellationToken ct)
    {
        var local = db.Changes.Local
            .Where(c => c.MatchKey == matchKey && (!openOnly || c.Status == ChangeStatuses.InProgress))
            .MaxBy(c => (c.StartedAt, c.Id));
        if (ChangeWriter.IsPrefetched(db, matchKey)) return local;
        var query = db.Changes.Where(c => c.MatchKey == matchKey);
        if (openOnly) query = query.Where(c => c.Status == ChangeStatuses.InProgress);
        var stored = await query.OrderByDescending(c => c.StartedAt).ThenByDescending(c => c.Id).FirstOrDefaultAsync(ct);
        // A tracked instance may have changed since it was loaded; the in-memory state is the truth.
        if (stored is not null && openOnly && stored.Status != ChangeStatuses.InProgress) stored = null;
        if (local is null) return stored;
        if (stored is null) return local;
        return (stored.StartedAt, stored.Id).CompareTo((local.StartedAt, local.Id)) > 0 ? stored : local;
    }

    private static Change NewChange(string component, string version, List<string> hosts, string matchKey, string status, DateTime startedAt, DateTime now) => new()
    {
        Id = Guid.CreateVersion7(new DateTimeOffset(startedAt)),
        Component = component,
        Version = version,
        Hosts = hosts,
        MatchKey = matchKey,
        Status = status,
        StartedAt = startedAt,
        UpdatedAt = now,
    };

    private static void Record(DashboardDbContext db, Change change, string verb, DateTime occurredAt)
    {
        db.Changes.Add(change);
        db.Timeline.Add(EntryFor(change, verb, occurredAt));
    }

    private static string StatusVerb(string status) => status switch
    {
        ChangeStatuses.Planned => "planned",
        ChangeStatuses.InProgress => "started",
        ChangeStatuses.Success => "succeeded",
        ChangeStatuses.Failure => "failed",
        ChangeStatuses.Canceled => "canceled",
        _ => status,
    };

    private static TimelineEntry EntryFor(Change change, string verb, DateTime occurredAt) => new()
    {
        Source = TimelineSources.Changes,
        SubjectType = SubjectKinds.Change,
        SubjectId = change.Id.ToString(),
        Status = ChangeStatuses.ToTimeline(change.Status),
        Title = Truncate($"{change.Component} {change.Version} {verb}", 500),
        Component = change.Component,
        Version = change.Version,
        Hosts = [.. change.Hosts],
        Actor = change.Owner ?? change.Source,
        OccurredAt = occurredAt,
        Details = change.Status == ChangeStatuses.Failure && change.ErrorMessage is not null ? change.ErrorMessage : change.Description,
    };

    private static string Truncate(string text, int length) => text.Length <= length ? text : text[..(length - 1)] + "…";

    private sealed record NormalisedStart(string Component, string Version, List<string> Hosts, string MatchKey, DateTime? Timestamp, string? Description, string? Owner, string? Source);

    private sealed record NormalisedEnd(string Component, string Version, List<string> Hosts, string MatchKey, string Status, string? ErrorMessage, DateTime? Timestamp, string? Source);
}
