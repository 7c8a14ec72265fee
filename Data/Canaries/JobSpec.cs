using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Dashboard.Data.Canaries;

/// <summary>
/// The part of a Nomad job this product runs: task groups with a count, an update block and tasks.
/// Canonical once built by <see cref="Canonical"/>: every default applied (Nomad's), so two specs
/// are the same exactly when their <see cref="ToJson"/> texts are equal.
/// </summary>
public sealed record JobSpec
{
    public required string ID { get; init; }
    public required string Name { get; init; }
    public required string Namespace { get; init; }
    public string Type { get; init; } = "service";
    public int Priority { get; init; } = 50;
    public List<string> Datacenters { get; init; } = ["*"];
    public SortedDictionary<string, string>? Meta { get; init; }
    public List<TaskGroupSpec> TaskGroups { get; init; } = [];

    public static readonly JsonSerializerOptions JsonOptions = new()
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
        WriteIndented = false,
    };

    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);

    public static JobSpec FromJson(string json) => JsonSerializer.Deserialize<JobSpec>(json, JsonOptions)
        ?? throw new InvalidOperationException("A stored job spec is empty.");

    public TaskGroupSpec? Group(string name) => TaskGroups.FirstOrDefault(g => g.Name == name);

    /// <summary>The same job with <paramref name="change"/> applied to one group (the "Deploy new version" dialog).</summary>
    public JobSpec WithGroup(string name, Func<TaskGroupSpec, TaskGroupSpec> change) =>
        this with { TaskGroups = [.. TaskGroups.Select(g => g.Name == name ? change(g) : g)] };
}

public sealed record TaskGroupSpec
{
    public required string Name { get; init; }
    public int Count { get; init; } = 1;
    public UpdateSpec Update { get; init; } = UpdateSpec.Default;
    public SortedDictionary<string, string>? Meta { get; init; }
    public List<TaskSpec> Tasks { get; init; } = [];

    /// <summary>The first task's <c>config.image</c>, what people usually mean by "the version".</summary>
    [JsonIgnore]
    public string? Image => Tasks.Select(t => t.Config?["image"]?.GetValue<string>()).FirstOrDefault(i => i is not null);
}

/// <summary>Nomad's update block with Nomad's defaults (nomad/structs DefaultUpdateStrategy).</summary>
public sealed record UpdateSpec
{
    public static readonly UpdateSpec Default = new();

    public TimeSpan Stagger { get; init; } = TimeSpan.FromSeconds(30);
    public int MaxParallel { get; init; } = 1;
    public string HealthCheck { get; init; } = HealthChecks.Checks;
    public TimeSpan MinHealthyTime { get; init; } = TimeSpan.FromSeconds(10);
    public TimeSpan HealthyDeadline { get; init; } = TimeSpan.FromMinutes(5);
    public TimeSpan ProgressDeadline { get; init; } = TimeSpan.FromMinutes(10);
    public bool AutoRevert { get; init; }
    public bool AutoPromote { get; init; }
    public int Canary { get; init; }
}

public sealed record TaskSpec
{
    public required string Name { get; init; }
    public string Driver { get; init; } = "docker";
    public JsonObject? Config { get; init; }
    public SortedDictionary<string, string>? Env { get; init; }
}

/// <summary>The rules a job must follow before it is stored; errors name the field as Nomad's job spec does.</summary>
public static class JobSpecRules
{
    public static void Validate(JobSpec job)
    {
        if (string.IsNullOrWhiteSpace(job.ID)) throw new ValidationException("ID", "Missing job ID");
        if (job.ID.Length > 128 || job.ID.Any(c => char.IsWhiteSpace(c) || c is '/' or '?' or '#'))
            throw new ValidationException("ID", "Job ID contains a space, a slash or another character that is not allowed");
        if (job.Type != "service") throw new ValidationException("Type", $"Job type \"{job.Type}\" is not supported; only \"service\" jobs are deployed");
        if (job.Priority is < 1 or > 100) throw new ValidationException("Priority", "Job priority must be between [1, 100]");
        if (job.TaskGroups.Count == 0) throw new ValidationException("TaskGroups", "Missing job task groups");
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var group in job.TaskGroups)
        {
            var where = $"Task group \"{group.Name}\"";
            if (string.IsNullOrWhiteSpace(group.Name)) throw new ValidationException("TaskGroups.Name", "Missing task group name");
            if (!names.Add(group.Name)) throw new ValidationException("TaskGroups.Name", $"Job task group {group.Name} redefined");
            if (group.Count is < 0 or > 1000) throw new ValidationException("TaskGroups.Count", $"{where}: count must be between 0 and 1000");
            if (group.Tasks.Count == 0) throw new ValidationException("TaskGroups.Tasks", $"{where}: missing tasks");
            if (group.Tasks.Select(t => t.Name).Distinct().Count() != group.Tasks.Count)
                throw new ValidationException("TaskGroups.Tasks", $"{where}: a task name is used twice");
            if (group.Tasks.Any(t => string.IsNullOrWhiteSpace(t.Name))) throw new ValidationException("TaskGroups.Tasks.Name", $"{where}: missing task name");
            var u = group.Update;
            if (u.MaxParallel < 0) throw new ValidationException("Update.MaxParallel", $"{where}: max_parallel must be >= 0");
            if (u.Canary < 0) throw new ValidationException("Update.Canary", $"{where}: canary must be >= 0");
            if (!HealthChecks.All.Contains(u.HealthCheck)) throw new ValidationException("Update.HealthCheck", $"{where}: invalid health check given \"{u.HealthCheck}\"");
            if (u.MinHealthyTime < TimeSpan.Zero) throw new ValidationException("Update.MinHealthyTime", $"{where}: minimum healthy time must be >= 0");
            if (u.HealthyDeadline <= TimeSpan.Zero) throw new ValidationException("Update.HealthyDeadline", $"{where}: healthy deadline must be > 0");
            if (u.ProgressDeadline < TimeSpan.Zero) throw new ValidationException("Update.ProgressDeadline", $"{where}: progress deadline must be >= 0");
            if (u.MinHealthyTime >= u.HealthyDeadline)
                throw new ValidationException("Update.MinHealthyTime", $"{where}: minimum healthy time must be less than healthy deadline");
            if (u.ProgressDeadline != TimeSpan.Zero && u.HealthyDeadline >= u.ProgressDeadline)
                throw new ValidationException("Update.HealthyDeadline", $"{where}: healthy deadline must be less than progress deadline");
            if (u.Stagger <= TimeSpan.Zero) throw new ValidationException("Update.Stagger", $"{where}: stagger must be greater than zero");
            if (u.AutoPromote && u.Canary == 0) throw new ValidationException("Update.AutoPromote", $"{where}: auto_promote needs canary > 0");
        }
    }
}
