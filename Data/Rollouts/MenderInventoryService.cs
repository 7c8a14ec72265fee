using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Dashboard.Data.Fleet;
using Microsoft.EntityFrameworkCore;

namespace Dashboard.Data.Rollouts;

/// <summary>A device with its attributes, for the inventory APIs and the Fleet page.</summary>
public sealed record InventoryDevice(Device Device, IReadOnlyList<DeviceAttribute> Attributes);

/// <summary>An accepted device a rollout can target.</summary>
public sealed record TargetDevice(string Id, string Hostname, string? DeviceType);

/// <summary>An attribute devices report, and on how many devices (Mender's filterable attributes).</summary>
public sealed record FilterAttribute(string Scope, string Name, int Count);

/// <summary>How many accepted devices a set of terms matches, and the first few of them.</summary>
public sealed record FilterPreview(int Count, IReadOnlyList<TargetDevice> First);

/// <summary>
/// Mender's inventory: attributes devices report, static groups, and saved dynamic filters
/// evaluated over attributes. Only admitted (accepted) Mender devices match filters and groups
/// for rollouts; the listing shows every Mender device.
/// </summary>
public sealed partial class MenderInventoryService(IDbContextFactory<DashboardDbContext> dbFactory, IdleDeviceCache idle, TimeProvider clock)
{
    public static readonly IReadOnlyList<string> TermTypes = ["$eq", "$ne", "$in", "$nin", "$exists", "$gt", "$gte", "$lt", "$lte", "$regex"];
    private const int MaxAttributes = 500;
    /// <summary>Mender lists at most this many filterable attributes.</summary>
    private const int MaxFilterAttributes = 500;

    private DateTime Now => clock.GetUtcNow().UtcDateTime;

    /// <summary>
    /// The device's own report (inventory scope). <paramref name="replace"/> (PUT) drops inventory
    /// attributes it no longer reports; PATCH only adds and updates.
    /// </summary>
    public async Task UpdateDeviceAttributesAsync(string deviceId, IReadOnlyList<(string Name, JsonElement Value)> attributes, bool replace, CancellationToken ct = default)
    {
        if (attributes.Count > MaxAttributes) throw new ValidationException("attributes", $"too many attributes (at most {MaxAttributes})");
        foreach (var (name, value) in attributes)
        {
            if (string.IsNullOrWhiteSpace(name)) throw new ValidationException("name", "attribute name cannot be empty");
            if (!IsAttributeValue(value)) throw new ValidationException(name, $"attribute '{name}': value must be a string, a number or an array of them");
        }
        var byName = attributes.GroupBy(a => a.Name, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Last().Value.GetRawText(), StringComparer.Ordinal);

        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var device = await db.Devices.FirstOrDefaultAsync(d => d.Id == deviceId, ct) ?? throw new NotFoundException("Device", deviceId);
        var existing = await db.DeviceAttributes.Where(a => a.DeviceId == deviceId && a.Scope == AttributeScopes.Inventory).ToListAsync(ct);
        var now = Now;
        foreach (var row in existing)
        {
            if (byName.Remove(row.Name, out var value))
            {
                if (row.Value != value) { row.Value = value; row.UpdatedAt = now; }
            }
            else if (replace) db.DeviceAttributes.Remove(row);
        }
        foreach (var (name, value) in byName)
        {
            db.DeviceAttributes.Add(new DeviceAttribute { DeviceId = deviceId, Scope = AttributeScopes.Inventory, Name = name, Value = value, UpdatedAt = now });
        }
        var deviceType = attributes.LastOrDefault(a => a.Name == "device_type").Value;
        if (deviceType.ValueKind == JsonValueKind.String) device.DeviceType = deviceType.GetString();
        device.UpdatedAt = now;
        await db.SaveChangesAsync(ct);
        idle.Invalidate(deviceId);
    }

    public async Task<(List<InventoryDevice> Devices, int Total)> ListAsync(string? group, bool? hasGroup, int page, int perPage, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var query = MenderDevices(db);
        if (group is not null) query = query.Where(d => d.Group == group);
        if (hasGroup is true) query = query.Where(d => d.Group != null);
        if (hasGroup is false) query = query.Where(d => d.Group == null);
        var total = await query.CountAsync(ct);
        var devices = await query.OrderBy(d => d.CreatedAt).ThenBy(d => d.Id).Skip((page - 1) * perPage).Take(perPage).ToListAsync(ct);
        return (await WithAttributesAsync(db, devices, ct), total);
    }

    public async Task<InventoryDevice> GetAsync(string deviceId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var device = await MenderDevices(db).FirstOrDefaultAsync(d => d.Id == deviceId, ct) ?? throw new NotFoundException("Device", deviceId);
        return (await WithAttributesAsync(db, [device], ct))[0];
    }

    /// <summary>Devices matching every term (Mender's v2 search), newest first by creation, paged.</summary>
    public async Task<(List<InventoryDevice> Devices, int Total)> SearchAsync(IReadOnlyList<FilterTerm> terms, int page, int perPage, CancellationToken ct = default)
    {
        ValidateTerms(terms);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var matching = await MatchAsync(db, terms, acceptedOnly: false, ct);
        var pageIds = matching.Skip((page - 1) * perPage).Take(perPage).Select(m => m.Id).ToList();
        var devices = await db.Devices.AsNoTracking().Where(d => pageIds.Contains(d.Id)).ToListAsync(ct);
        var ordered = pageIds.Select(id => devices.First(d => d.Id == id)).ToList();
        return (await WithAttributesAsync(db, ordered, ct), matching.Count);
    }

    // ---- groups ----

    public async Task SetGroupAsync(string deviceId, string group, CancellationToken ct = default)
    {
        ValidateGroupName(group);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var changed = await MenderDevices(db).Where(d => d.Id == deviceId)
            .ExecuteUpdateAsync(s => s.SetProperty(d => d.Group, group).SetProperty(d => d.UpdatedAt, Now), ct);
        if (changed == 0) throw new NotFoundException("Device", deviceId);
        idle.Invalidate(deviceId);
    }

    public async Task ClearGroupAsync(string deviceId, string group, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var changed = await MenderDevices(db).Where(d => d.Id == deviceId && d.Group == group)
            .ExecuteUpdateAsync(s => s.SetProperty(d => d.Group, (string?)null).SetProperty(d => d.UpdatedAt, Now), ct);
        if (changed == 0) throw new NotFoundException("Device in group", $"{deviceId} / {group}");
        idle.Invalidate(deviceId);
    }

    public async Task<List<string>> GroupsAsync(CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await MenderDevices(db).Where(d => d.Group != null).Select(d => d.Group!).Distinct().OrderBy(g => g).ToListAsync(ct);
    }

    public async Task<(List<string> Ids, int Total)> GroupDevicesAsync(string group, int page, int perPage, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var query = MenderDevices(db).Where(d => d.Group == group);
        var total = await query.CountAsync(ct);
        if (total == 0) throw new NotFoundException("Group", group);
        return (await query.OrderBy(d => d.CreatedAt).ThenBy(d => d.Id).Skip((page - 1) * perPage).Take(perPage).Select(d => d.Id).ToListAsync(ct), total);
    }

    /// <summary>Puts devices into <paramref name="group"/>; returns how many existed and how many changed.</summary>
    public async Task<(int Matched, int Updated)> AddToGroupAsync(string group, IReadOnlyList<string> deviceIds, CancellationToken ct = default)
    {
        ValidateGroupName(group);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var matched = await MenderDevices(db).CountAsync(d => deviceIds.Contains(d.Id), ct);
        var updated = await MenderDevices(db).Where(d => deviceIds.Contains(d.Id) && (d.Group == null || d.Group != group))
            .ExecuteUpdateAsync(s => s.SetProperty(d => d.Group, group).SetProperty(d => d.UpdatedAt, Now), ct);
        foreach (var id in deviceIds) idle.Invalidate(id);
        return (matched, updated);
    }

    public async Task<int> RemoveFromGroupAsync(string group, IReadOnlyList<string> deviceIds, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var removed = await MenderDevices(db).Where(d => deviceIds.Contains(d.Id) && d.Group == group)
            .ExecuteUpdateAsync(s => s.SetProperty(d => d.Group, (string?)null).SetProperty(d => d.UpdatedAt, Now), ct);
        foreach (var id in deviceIds) idle.Invalidate(id);
        return removed;
    }

    // ---- saved filters ----

    public async Task<InventoryFilter> CreateFilterAsync(string? name, IReadOnlyList<FilterTerm>? terms, CancellationToken ct = default)
    {
        name = name?.Trim();
        if (string.IsNullOrEmpty(name)) throw new ValidationException("name", "name: cannot be blank");
        if (name.Length > 200) throw new ValidationException("name", "name: at most 200 characters");
        if (terms is null || terms.Count == 0) throw new ValidationException("terms", "terms: cannot be blank");
        ValidateTerms(terms);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        if (await db.InventoryFilters.AnyAsync(f => f.Name == name, ct)) throw new ConflictException($"a filter named '{name}' already exists");
        var filter = new InventoryFilter { Id = Guid.NewGuid().ToString(), Name = name, Terms = [.. terms], CreatedAt = Now };
        db.InventoryFilters.Add(filter);
        await db.SaveChangesAsync(ct);
        return filter;
    }

    public async Task<List<InventoryFilter>> FiltersAsync(CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.InventoryFilters.AsNoTracking().OrderBy(f => f.Name).ToListAsync(ct);
    }

    /// <summary>Saved filters with how many accepted devices each matches now (the filters page).</summary>
    public async Task<List<(InventoryFilter Filter, int Matching)>> FiltersWithCountsAsync(CancellationToken ct = default)
    {
        var filters = await FiltersAsync(ct);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var result = new List<(InventoryFilter, int)>(filters.Count);
        foreach (var filter in filters) result.Add((filter, (await MatchAsync(db, filter.Terms, acceptedOnly: true, ct)).Count));
        return result;
    }

    public async Task<InventoryFilter> GetFilterAsync(string id, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.InventoryFilters.AsNoTracking().FirstOrDefaultAsync(f => f.Id == id, ct) ?? throw new NotFoundException("Filter", id);
    }

    public async Task DeleteFilterAsync(string id, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        if (await db.InventoryFilters.Where(f => f.Id == id).ExecuteDeleteAsync(ct) == 0) throw new NotFoundException("Filter", id);
    }

    /// <summary>
    /// The attributes a filter can name (Mender's <c>filters/attributes</c>): every (scope, name) some
    /// device reports, most common first, plus the system <c>group</c> when devices have one.
    /// </summary>
    public async Task<List<FilterAttribute>> FilterAttributesAsync(CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var devices = MenderDevices(db).Select(d => d.Id);
        var reported = await db.DeviceAttributes.AsNoTracking().Where(a => devices.Contains(a.DeviceId))
            .GroupBy(a => new { a.Scope, a.Name }).Select(g => new { g.Key.Scope, g.Key.Name, Count = g.Count() }).ToListAsync(ct);
        var all = reported.Select(a => new FilterAttribute(a.Scope, a.Name, a.Count)).ToList();
        var grouped = await MenderDevices(db).CountAsync(d => d.Group != null, ct);
        if (grouped > 0) all.Add(new FilterAttribute(AttributeScopes.System, "group", grouped));
        return [.. all.OrderByDescending(a => a.Count).ThenBy(a => a.Scope, StringComparer.Ordinal).ThenBy(a => a.Name, StringComparer.Ordinal).Take(MaxFilterAttributes)];
    }

    /// <summary>The filter builder's live preview: the same validation and matching a saved filter gets.</summary>
    public async Task<FilterPreview> PreviewFilterAsync(IReadOnlyList<FilterTerm> terms, int first, CancellationToken ct = default)
    {
        var matching = await MatchAsync(terms, ct);
        return new FilterPreview(matching.Count, [.. matching.Take(first)]);
    }

    /// <summary>
    /// A term from what a person typed: <c>$in</c>/<c>$nin</c> take a comma-separated list, <c>$exists</c>
    /// true or false; a number is sent as a JSON number unless quoted, as Mender types values by their JSON form.
    /// </summary>
    public static FilterTerm TermFromText(string scope, string attribute, string type, string? text)
    {
        text = text?.Trim() ?? "";
        string? value = type switch
        {
            "$exists" => text.Length == 0 ? "true" : bool.TryParse(text, out var b) ? (b ? "true" : "false") : JsonSerializer.Serialize(text),
            "$in" or "$nin" => text.Length == 0 ? null : "[" + string.Join(",", text.Split(',').Select(t => ScalarJson(t.Trim()))) + "]",
            "$regex" => text.Length == 0 ? null : JsonSerializer.Serialize(text),
            _ => text.Length == 0 ? null : ScalarJson(text),
        };
        return new FilterTerm(scope, attribute, type, value);
    }

    private static string ScalarJson(string text)
    {
        if (text.Length >= 2 && text[0] == '"' && text[^1] == '"') return JsonSerializer.Serialize(text[1..^1]);
        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var n) && double.IsFinite(n)
            ? n.ToString("R", CultureInfo.InvariantCulture)
            : JsonSerializer.Serialize(text);
    }

    // ---- targets for rollouts ----

    /// <summary>Accepted devices matching every term, ordered by id (the order phases are cut in).</summary>
    public async Task<List<TargetDevice>> MatchAsync(IReadOnlyList<FilterTerm> terms, CancellationToken ct = default)
    {
        ValidateTerms(terms);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await MatchAsync(db, terms, acceptedOnly: true, ct);
    }

    public async Task<List<TargetDevice>> AcceptedDevicesAsync(string? group, IReadOnlyList<string>? ids, CancellationToken ct = default, int? limit = null)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var query = db.Devices.AsNoTracking().Where(d => d.AuthStatus == MenderAuthStatuses.Accepted);
        if (group is not null) query = query.Where(d => d.Group == group);
        if (ids is not null) query = query.Where(d => ids.Contains(d.Id));
        query = query.OrderBy(d => d.Id);
        if (limit is { } take) query = query.Take(take);
        return await query.Select(d => new TargetDevice(d.Id, d.Hostname, d.DeviceType)).ToListAsync(ct);
    }

    private static async Task<List<TargetDevice>> MatchAsync(DashboardDbContext db, IReadOnlyList<FilterTerm> terms, bool acceptedOnly, CancellationToken ct)
    {
        var query = db.Devices.AsNoTracking().Where(d => d.AuthStatus != null && d.AuthStatus != MenderAuthStatuses.Decommissioned);
        if (acceptedOnly) query = query.Where(d => d.AuthStatus == MenderAuthStatuses.Accepted);
        var devices = await query.OrderBy(d => d.Id)
            .Select(d => new { d.Id, d.Hostname, d.DeviceType, d.Group, d.AuthStatus, d.CreatedAt, d.UpdatedAt }).ToListAsync(ct);

        // Attributes are loaded once per (scope, name) a term names, then evaluated in memory:
        // the comparisons ($gt on numbers or strings, arrays on either side) do not translate to SQL portably.
        var values = new Dictionary<(string, string), Dictionary<string, string>>();
        foreach (var (scope, name) in terms.Where(t => t.Scope != AttributeScopes.System).Select(t => (t.Scope, t.Attribute)).Distinct())
        {
            values[(scope, name)] = await db.DeviceAttributes.AsNoTracking().Where(a => a.Scope == scope && a.Name == name)
                .ToDictionaryAsync(a => a.DeviceId, a => a.Value, ct);
        }
        var result = new List<TargetDevice>();
        foreach (var d in devices)
        {
            var all = true;
            foreach (var term in terms)
            {
                string? value;
                if (term.Scope == AttributeScopes.System)
                {
                    value = term.Attribute switch
                    {
                        "group" => d.Group is null ? null : JsonSerializer.Serialize(d.Group),
                        "status" => JsonSerializer.Serialize(d.AuthStatus),
                        "device_type" => d.DeviceType is null ? null : JsonSerializer.Serialize(d.DeviceType),
                        "created_ts" => JsonSerializer.Serialize(d.CreatedAt),
                        "updated_ts" => JsonSerializer.Serialize(d.UpdatedAt),
                        _ => null,
                    };
                }
                else values[(term.Scope, term.Attribute)].TryGetValue(d.Id, out value);
                if (!FilterMatcher.Matches(term, value)) { all = false; break; }
            }
            if (all) result.Add(new TargetDevice(d.Id, d.Hostname, d.DeviceType));
        }
        return result;
    }

    /// <summary>
    /// Mender's rules for a predicate. The field names the term (<c>terms[1].value</c>), so a form can
    /// show the message beside the row it is about.
    /// </summary>
    public static void ValidateTerms(IReadOnlyList<FilterTerm> terms)
    {
        for (var i = 0; i < terms.Count; i++)
        {
            var t = terms[i];
            var at = $"terms[{i}]";
            if (!AttributeScopes.All.Contains(t.Scope)) throw new ValidationException($"{at}.scope", $"{at}: scope must be one of {string.Join(", ", AttributeScopes.All)}");
            if (string.IsNullOrWhiteSpace(t.Attribute)) throw new ValidationException($"{at}.attribute", $"{at}: attribute cannot be blank");
            if (!TermTypes.Contains(t.Type)) throw new ValidationException($"{at}.type", $"{at}: type '{t.Type}' is not supported; use one of {string.Join(", ", TermTypes)}");
            if (t.Type == "$exists") continue;
            if (t.Value is null) throw new ValidationException($"{at}.value", $"{at}: value is required for {t.Type}");
            if (ValueProblem(t) is { } problem) throw new ValidationException($"{at}.value", $"{at}: {problem}");
        }
    }

    private static string? ValueProblem(FilterTerm t)
    {
        JsonElement value;
        try { value = JsonSerializer.Deserialize<JsonElement>(t.Value!); }
        catch (JsonException) { return "value must be JSON"; }
        var isArray = value.ValueKind == JsonValueKind.Array;
        if (t.Type is "$in" or "$nin" && !isArray) return $"{t.Type} needs an array value";
        if (isArray)
        {
            if (t.Type is not ("$in" or "$nin" or "$eq" or "$ne")) return $"{t.Type} needs a single value, not an array";
            var kinds = value.EnumerateArray().Select(e => e.ValueKind).Distinct().ToList();
            if (kinds.Count == 0) return "the list of values cannot be empty";
            if (kinds.Any(k => k is not (JsonValueKind.String or JsonValueKind.Number))) return "values must be strings or numbers";
            if (kinds.Count > 1) return "a list cannot mix strings and numbers";
            return null;
        }
        if (value.ValueKind is not (JsonValueKind.String or JsonValueKind.Number)) return "value must be a string, a number or an array of them";
        if (t.Type == "$regex")
        {
            if (value.ValueKind != JsonValueKind.String) return "$regex needs a string value";
            try { _ = FilterMatcher.RegexFor(value.GetString()!); }
            catch (ArgumentException) { return $"'{value.GetString()}' is not a valid regular expression"; }
        }
        return null;
    }

    private static void ValidateGroupName(string group)
    {
        if (!GroupName().IsMatch(group)) throw new ValidationException("group", "group name can only contain: upper/lowercase alphanum, -(dash), _(underscore)");
    }

    [GeneratedRegex("^[A-Za-z0-9_-]{1,1024}$")]
    private static partial Regex GroupName();

    private static bool IsAttributeValue(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String or JsonValueKind.Number => true,
        JsonValueKind.Array => value.EnumerateArray().All(e => e.ValueKind is JsonValueKind.String or JsonValueKind.Number),
        _ => false,
    };

    private static IQueryable<Device> MenderDevices(DashboardDbContext db) =>
        db.Devices.Where(d => d.AuthStatus != null && d.AuthStatus != MenderAuthStatuses.Decommissioned);

    private static async Task<List<InventoryDevice>> WithAttributesAsync(DashboardDbContext db, List<Device> devices, CancellationToken ct)
    {
        var ids = devices.Select(d => d.Id).ToList();
        var attributes = await db.DeviceAttributes.AsNoTracking().Where(a => ids.Contains(a.DeviceId)).OrderBy(a => a.Scope).ThenBy(a => a.Name).ToListAsync(ct);
        var byDevice = attributes.ToLookup(a => a.DeviceId);
        return [.. devices.Select(d => new InventoryDevice(d, [.. byDevice[d.Id]]))];
    }
}

/// <summary>Evaluates one filter term against one attribute value (both JSON; the attribute may be an array).</summary>
public static class FilterMatcher
{
    public static bool Matches(FilterTerm term, string? attributeJson)
    {
        if (term.Type == "$exists")
        {
            var wanted = term.Value is null || !bool.TryParse(term.Value.Trim('"'), out var b) || b;
            return (attributeJson is not null) == wanted;
        }
        if (attributeJson is null) return term.Type is "$ne" or "$nin";
        var actual = Elements(attributeJson);
        var expected = Elements(term.Value!);
        return term.Type switch
        {
            "$eq" => actual.Any(a => expected.Any(e => Compare(a, e) == 0)),
            "$ne" => !actual.Any(a => expected.Any(e => Compare(a, e) == 0)),
            "$in" => actual.Any(a => expected.Any(e => Compare(a, e) == 0)),
            "$nin" => !actual.Any(a => expected.Any(e => Compare(a, e) == 0)),
            "$gt" => actual.Any(a => Compare(a, expected[0]) > 0),
            "$gte" => actual.Any(a => Compare(a, expected[0]) >= 0),
            "$lt" => actual.Any(a => Compare(a, expected[0]) < 0),
            "$lte" => actual.Any(a => Compare(a, expected[0]) <= 0),
            "$regex" => actual.Any(a => RegexMatches(expected[0], a)),
            _ => false,
        };
    }

    /// <summary>
    /// Mender's <c>$regex</c>: anchored at the start, optionally written as <c>/pattern/flags</c> (i, m, s, x).
    /// Patterns are cached and time-limited: a filter is evaluated over every device.
    /// </summary>
    public static Regex RegexFor(string pattern)
    {
        var options = RegexOptions.CultureInvariant;
        if (pattern.Length > 1 && pattern[0] == '/' && pattern.LastIndexOf('/') is var end and > 0)
        {
            foreach (var flag in pattern[(end + 1)..])
            {
                options |= flag switch
                {
                    'i' => RegexOptions.IgnoreCase,
                    'm' => RegexOptions.Multiline,
                    's' => RegexOptions.Singleline,
                    'x' => RegexOptions.IgnorePatternWhitespace,
                    _ => throw new ArgumentException($"unknown flag '{flag}'"),
                };
            }
            pattern = pattern[1..end];
        }
        return Patterns.GetOrAdd((pattern, options), key => new Regex("^(?:" + key.Pattern + ")", key.Options, TimeSpan.FromMilliseconds(100)));
    }

    /// <summary>A pattern that runs too long matches nothing, as an invalid one does in Mender.</summary>
    private static bool RegexMatches(string pattern, string input)
    {
        try { return RegexFor(pattern).IsMatch(input); }
        catch (Exception ex) when (ex is RegexMatchTimeoutException or ArgumentException) { return false; }
    }

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<(string Pattern, RegexOptions Options), Regex> Patterns = new();

    private static List<string> Elements(string json)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            var root = document.RootElement;
            return root.ValueKind == JsonValueKind.Array ? [.. root.EnumerateArray().Select(Text)] : [Text(root)];
        }
        catch (JsonException) { return [json]; }
    }

    private static string Text(JsonElement e) => e.ValueKind == JsonValueKind.String ? e.GetString()! : e.GetRawText();

    /// <summary>Numbers compare as numbers when both sides are numeric, otherwise ordinally as text.</summary>
    private static int Compare(string a, string b) =>
        double.TryParse(a, NumberStyles.Float, CultureInfo.InvariantCulture, out var x) && double.TryParse(b, NumberStyles.Float, CultureInfo.InvariantCulture, out var y)
            ? x.CompareTo(y)
            : string.CompareOrdinal(a, b);
}
