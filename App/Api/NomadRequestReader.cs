using System.Text.Json;
using System.Text.Json.Nodes;
using Dashboard.Data;
using Dashboard.Data.Canaries;

namespace Dashboard.App.Api;

/// <summary>
/// Reads Nomad request bodies the way Nomad's Go server does: keys match case-insensitively (the
/// last duplicate wins), <c>null</c> means unset, and a value of the wrong JSON type is a 400 in
/// Go's words. Unknown keys are ignored.
/// </summary>
public static class NomadRequestReader
{
    public static async Task<JsonElement> ReadBodyAsync(HttpRequest request, CancellationToken ct)
    {
        try
        {
            using var doc = await JsonDocument.ParseAsync(request.Body, new JsonDocumentOptions { MaxDepth = 64 }, ct);
            return doc.RootElement.Clone();
        }
        catch (JsonException ex)
        {
            throw new ValidationException("body", $"Request decode failed: {ex.Message}");
        }
    }

    public static JsonElement? Prop(JsonElement obj, string name)
    {
        if (obj.ValueKind != JsonValueKind.Object) return null;
        JsonElement? found = null;
        foreach (var p in obj.EnumerateObject())
            if (string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase)) found = p.Value;
        return found is { ValueKind: JsonValueKind.Null } ? null : found;
    }

    private static ValidationException TypeError(string field, string goType, JsonElement value) =>
        new(field, $"Request decode failed: json: cannot unmarshal {GoKind(value)} into Go struct field {field} of type {goType}");

    private static string GoKind(JsonElement v) => v.ValueKind switch
    {
        JsonValueKind.String => "string",
        JsonValueKind.Number => "number",
        JsonValueKind.True or JsonValueKind.False => "bool",
        JsonValueKind.Array => "array",
        JsonValueKind.Object => "object",
        _ => "value",
    };

    public static string? String(JsonElement obj, string name, string field)
    {
        if (Prop(obj, name) is not { } v) return null;
        return v.ValueKind == JsonValueKind.String ? v.GetString() : throw TypeError(field, "string", v);
    }

    public static bool? Bool(JsonElement obj, string name, string field)
    {
        if (Prop(obj, name) is not { } v) return null;
        return v.ValueKind switch { JsonValueKind.True => true, JsonValueKind.False => false, _ => throw TypeError(field, "bool", v) };
    }

    public static long? Int(JsonElement obj, string name, string field, string goType = "int")
    {
        if (Prop(obj, name) is not { } v) return null;
        if (v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out var n)) return n;
        throw TypeError(field, goType, v);
    }

    public static ulong? UInt(JsonElement obj, string name, string field)
    {
        if (Prop(obj, name) is not { } v) return null;
        if (v.ValueKind == JsonValueKind.Number && v.TryGetUInt64(out var n)) return n;
        throw TypeError(field, "uint64", v);
    }

    public static TimeSpan? Duration(JsonElement obj, string name, string field)
    {
        var nanos = Int(obj, name, field, "time.Duration");
        return nanos is { } n ? TimeSpan.FromTicks(n / 100) : null;
    }

    public static List<string>? Strings(JsonElement obj, string name, string field)
    {
        if (Prop(obj, name) is not { } v) return null;
        if (v.ValueKind != JsonValueKind.Array) throw TypeError(field, "[]string", v);
        return [.. v.EnumerateArray().Select(e => e.ValueKind == JsonValueKind.String ? e.GetString()! : throw TypeError(field, "string", e))];
    }

    private static SortedDictionary<string, string>? StringMap(JsonElement obj, string name, string field)
    {
        if (Prop(obj, name) is not { } v) return null;
        if (v.ValueKind != JsonValueKind.Object) throw TypeError(field, "map[string]string", v);
        var map = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var p in v.EnumerateObject())
            map[p.Name] = p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString()! : throw TypeError(field, "string", p.Value);
        return map.Count == 0 ? null : map;
    }

    /// <summary>Nomad's job JSON (<c>{"Job":{...}}</c>'s inner object) to our canonical spec, defaults applied as Nomad's canonicalisation does.</summary>
    public static JobSpec Job(JsonElement job, string? queryNamespace)
    {
        if (job.ValueKind != JsonValueKind.Object) throw new ValidationException("Job", "Job must be specified");
        var id = String(job, "ID", "Job.ID") ?? "";
        var ns = String(job, "Namespace", "Job.Namespace");
        if (string.IsNullOrEmpty(ns)) ns = string.IsNullOrEmpty(queryNamespace) ? "default" : queryNamespace;
        var jobUpdate = Prop(job, "Update");
        var groups = new List<TaskGroupSpec>();
        if (Prop(job, "TaskGroups") is { } tgs)
        {
            if (tgs.ValueKind != JsonValueKind.Array) throw TypeError("Job.TaskGroups", "[]*api.TaskGroup", tgs);
            foreach (var tg in tgs.EnumerateArray())
            {
                if (tg.ValueKind != JsonValueKind.Object) throw TypeError("Job.TaskGroups", "api.TaskGroup", tg);
                groups.Add(Group(tg, jobUpdate));
            }
        }
        return new JobSpec
        {
            ID = id,
            Name = String(job, "Name", "Job.Name") is { Length: > 0 } name ? name : id,
            Namespace = ns,
            Type = String(job, "Type", "Job.Type") is { Length: > 0 } type ? type : "service",
            Priority = (int)(Int(job, "Priority", "Job.Priority") ?? 50),
            Datacenters = Strings(job, "Datacenters", "Job.Datacenters") is { Count: > 0 } dcs ? dcs : ["*"],
            Meta = StringMap(job, "Meta", "Job.Meta"),
            TaskGroups = groups,
        };
    }

    private static TaskGroupSpec Group(JsonElement tg, JsonElement? jobUpdate)
    {
        var tasks = new List<TaskSpec>();
        if (Prop(tg, "Tasks") is { } ts)
        {
            if (ts.ValueKind != JsonValueKind.Array) throw TypeError("TaskGroup.Tasks", "[]*api.Task", ts);
            foreach (var t in ts.EnumerateArray())
            {
                JsonObject? config = null;
                if (Prop(t, "Config") is { } c)
                    config = c.ValueKind == JsonValueKind.Object ? JsonNode.Parse(c.GetRawText())!.AsObject() : throw TypeError("Task.Config", "map[string]interface {}", c);
                tasks.Add(new TaskSpec
                {
                    Name = String(t, "Name", "Task.Name") ?? "",
                    Driver = String(t, "Driver", "Task.Driver") ?? "",
                    Config = config,
                    Env = StringMap(t, "Env", "Task.Env"),
                });
            }
        }
        return new TaskGroupSpec
        {
            Name = String(tg, "Name", "TaskGroup.Name") ?? "",
            Count = (int)(Int(tg, "Count", "TaskGroup.Count") ?? 1),
            Update = Update(Prop(tg, "Update"), jobUpdate),
            Meta = StringMap(tg, "Meta", "TaskGroup.Meta"),
            Tasks = tasks,
        };
    }

    /// <summary>The group's update block over the job's over Nomad's defaults, field by field.</summary>
    private static UpdateSpec Update(JsonElement? group, JsonElement? job)
    {
        var u = UpdateSpec.Default;
        foreach (var block in new[] { job, group })
        {
            if (block is not { } b) continue;
            if (b.ValueKind != JsonValueKind.Object) throw TypeError("TaskGroup.Update", "api.UpdateStrategy", b);
            u = u with
            {
                Stagger = Duration(b, "Stagger", "UpdateStrategy.Stagger") ?? u.Stagger,
                MaxParallel = (int)(Int(b, "MaxParallel", "UpdateStrategy.MaxParallel") ?? u.MaxParallel),
                HealthCheck = String(b, "HealthCheck", "UpdateStrategy.HealthCheck") is { Length: > 0 } hc ? hc : u.HealthCheck,
                MinHealthyTime = Duration(b, "MinHealthyTime", "UpdateStrategy.MinHealthyTime") ?? u.MinHealthyTime,
                HealthyDeadline = Duration(b, "HealthyDeadline", "UpdateStrategy.HealthyDeadline") ?? u.HealthyDeadline,
                ProgressDeadline = Duration(b, "ProgressDeadline", "UpdateStrategy.ProgressDeadline") ?? u.ProgressDeadline,
                AutoRevert = Bool(b, "AutoRevert", "UpdateStrategy.AutoRevert") ?? u.AutoRevert,
                AutoPromote = Bool(b, "AutoPromote", "UpdateStrategy.AutoPromote") ?? u.AutoPromote,
                Canary = (int)(Int(b, "Canary", "UpdateStrategy.Canary") ?? u.Canary),
            };
        }
        return u;
    }
}
