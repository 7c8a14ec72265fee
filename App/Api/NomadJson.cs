using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Dashboard.Data;
using Dashboard.Data.Canaries;

namespace Dashboard.App.Api;

/// <summary>
/// Nomad's JSON, as its Go api client decodes it: Nomad's field names (so a filter expression
/// evaluates against these objects by the names people write), unsigned indexes, Unix-nanosecond
/// times, integer-nanosecond durations, RFC 3339 timestamps.
/// </summary>
public static class NomadJson
{
    public static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = null,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
        Converters = { new Rfc3339Converter() },
    };

    public static long Nanos(DateTime t) => t == DateTime.MinValue ? 0 : (t.ToUniversalTime() - DateTime.UnixEpoch).Ticks * 100;

    public static long Nanos(TimeSpan t) => t.Ticks * 100;

    public static ulong U(long v) => v < 0 ? 0 : (ulong)v;

    public static NomadDeployment Deployment(CanaryDeployment d) => new()
    {
        ID = d.Id,
        Namespace = d.Namespace,
        JobID = d.JobId,
        JobVersion = U(d.JobVersion),
        JobModifyIndex = U(d.JobModifyIndex),
        JobSpecModifyIndex = U(d.JobSpecModifyIndex),
        JobCreateIndex = U(d.JobCreateIndex),
        TaskGroups = d.TaskGroups.ToDictionary(g => g.Key, g => new NomadDeploymentState
        {
            PlacedCanaries = g.Value.PlacedCanaries.Count == 0 ? null : [.. g.Value.PlacedCanaries],
            AutoRevert = g.Value.AutoRevert,
            AutoPromote = g.Value.AutoPromote,
            ProgressDeadline = Nanos(g.Value.ProgressDeadline),
            RequireProgressBy = DateTime.SpecifyKind(g.Value.RequireProgressBy, DateTimeKind.Utc),
            Promoted = g.Value.Promoted,
            DesiredCanaries = g.Value.DesiredCanaries,
            DesiredTotal = g.Value.DesiredTotal,
            PlacedAllocs = g.Value.PlacedAllocs,
            HealthyAllocs = g.Value.HealthyAllocs,
            UnhealthyAllocs = g.Value.UnhealthyAllocs,
        }),
        Status = d.Status,
        StatusDescription = d.StatusDescription,
        CreateIndex = U(d.CreateIndex),
        ModifyIndex = U(d.ModifyIndex),
        CreateTime = Nanos(d.CreateTime),
        ModifyTime = Nanos(d.ModifyTime),
    };

    public static NomadAllocation Allocation(CanaryAllocation a) => new()
    {
        ID = a.Id,
        EvalID = a.EvalId,
        Name = a.Name,
        Namespace = a.Namespace,
        NodeID = a.NodeId,
        NodeName = a.NodeName,
        JobID = a.JobId,
        JobVersion = U(a.JobVersion),
        TaskGroup = a.TaskGroup,
        DesiredStatus = a.DesiredStatus,
        DesiredDescription = a.DesiredDescription,
        ClientStatus = a.ClientStatus,
        ClientDescription = a.ClientDescription,
        DeploymentID = a.DeploymentId ?? "",
        TaskStates = a.Tasks.ToDictionary(t => t, _ => new NomadTaskState
        {
            State = a.ClientStatus switch { AllocationStatuses.Running => "running", AllocationStatuses.Pending => "pending", _ => "dead" },
            Failed = a.ClientStatus == AllocationStatuses.Failed,
            StartedAt = DateTime.SpecifyKind(a.StartedAt ?? DateTime.MinValue, DateTimeKind.Utc),
            FinishedAt = AllocationStatuses.IsTerminal(a.ClientStatus) ? DateTime.SpecifyKind(a.ModifyTime, DateTimeKind.Utc) : DateTime.SpecifyKind(DateTime.MinValue, DateTimeKind.Utc),
        }),
        DeploymentStatus = a.DeploymentId is null ? null : new NomadAllocDeploymentStatus
        {
            Healthy = a.Healthy,
            Timestamp = DateTime.SpecifyKind(a.HealthTimestamp ?? DateTime.MinValue, DateTimeKind.Utc),
            Canary = a.Canary,
            ModifyIndex = U(a.ModifyIndex),
        },
        CreateIndex = U(a.CreateIndex),
        ModifyIndex = U(a.ModifyIndex),
        CreateTime = Nanos(a.CreateTime),
        ModifyTime = Nanos(a.ModifyTime),
    };

    public static NomadUpdate Update(UpdateSpec u) => new()
    {
        Stagger = Nanos(u.Stagger), MaxParallel = u.MaxParallel, HealthCheck = u.HealthCheck, MinHealthyTime = Nanos(u.MinHealthyTime),
        HealthyDeadline = Nanos(u.HealthyDeadline), ProgressDeadline = Nanos(u.ProgressDeadline), Canary = u.Canary, AutoRevert = u.AutoRevert, AutoPromote = u.AutoPromote,
    };

    public static Dictionary<string, object?> Job(JobSpec spec, CanaryJob job, CanaryJobVersion version) => new()
    {
        ["Region"] = "global",
        ["Namespace"] = spec.Namespace,
        ["ID"] = spec.ID,
        ["ParentID"] = "",
        ["Name"] = spec.Name,
        ["Type"] = spec.Type,
        ["Priority"] = spec.Priority,
        ["AllAtOnce"] = false,
        ["Datacenters"] = spec.Datacenters,
        ["Meta"] = spec.Meta,
        ["TaskGroups"] = spec.TaskGroups.Select(g => new Dictionary<string, object?>
        {
            ["Name"] = g.Name,
            ["Count"] = g.Count,
            ["Update"] = Update(g.Update),
            ["Meta"] = g.Meta,
            ["Tasks"] = g.Tasks.Select(t => new Dictionary<string, object?> { ["Name"] = t.Name, ["Driver"] = t.Driver, ["Config"] = t.Config, ["Env"] = t.Env }).ToList(),
        }).ToList(),
        ["Update"] = Update(spec.TaskGroups.FirstOrDefault()?.Update ?? UpdateSpec.Default),
        ["Stop"] = version.Stop,
        ["Status"] = version.Version == job.Version ? job.Status : "dead",
        ["StatusDescription"] = "",
        ["Stable"] = version.Stable,
        ["Version"] = U(version.Version),
        ["SubmitTime"] = Nanos(version.SubmitTime),
        ["CreateIndex"] = U(job.CreateIndex),
        ["ModifyIndex"] = U(version.Version == job.Version ? job.ModifyIndex : version.ModifyIndex),
        ["JobModifyIndex"] = U(version.JobModifyIndex),
    };

    public static NomadJobStub JobStub(CanaryJob job, IReadOnlyList<CanaryAllocation> allocs) => new()
    {
        ID = job.JobId, Name = job.Name, Namespace = job.Namespace, Type = job.Type, Stop = job.Stop, Status = job.Status,
        JobSummary = new NomadJobSummary
        {
            JobID = job.JobId, Namespace = job.Namespace,
            Summary = allocs.GroupBy(a => a.TaskGroup).ToDictionary(g => g.Key, g => new NomadGroupSummary
            {
                Starting = g.Count(a => a.ClientStatus == AllocationStatuses.Pending && a.DesiredStatus == AllocationStatuses.DesiredRun),
                Running = g.Count(a => a.ClientStatus == AllocationStatuses.Running && a.DesiredStatus == AllocationStatuses.DesiredRun),
                Complete = g.Count(a => a.ClientStatus == AllocationStatuses.Complete),
                Failed = g.Count(a => a.ClientStatus == AllocationStatuses.Failed),
            }),
            CreateIndex = U(job.CreateIndex), ModifyIndex = U(job.ModifyIndex),
        },
        CreateIndex = U(job.CreateIndex), ModifyIndex = U(job.ModifyIndex), JobModifyIndex = U(job.JobModifyIndex), SubmitTime = Nanos(job.SubmitTime),
    };

    /// <summary>Go's time.Time JSON: RFC 3339 in UTC, the zero time as <c>0001-01-01T00:00:00Z</c>.</summary>
    private sealed class Rfc3339Converter : JsonConverter<DateTime>
    {
        public override DateTime Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            DateTime.Parse(reader.GetString()!, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal);

        public override void Write(Utf8JsonWriter writer, DateTime value, JsonSerializerOptions options) =>
            writer.WriteStringValue(DateTime.SpecifyKind(value.Kind == DateTimeKind.Local ? value.ToUniversalTime() : value, DateTimeKind.Utc)
                .ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'", CultureInfo.InvariantCulture));
    }
}

#pragma warning disable CA1707 // Nomad's field names, as its clients and filter expressions spell them.
public sealed class NomadDeployment
{
    public string ID { get; init; } = "";
    public string Namespace { get; init; } = "";
    public string JobID { get; init; } = "";
    public ulong JobVersion { get; init; }
    public ulong JobModifyIndex { get; init; }
    public ulong JobSpecModifyIndex { get; init; }
    public ulong JobCreateIndex { get; init; }
    public bool IsMultiregion { get; init; }
    public Dictionary<string, NomadDeploymentState> TaskGroups { get; init; } = [];
    public string Status { get; init; } = "";
    public string StatusDescription { get; init; } = "";
    public int EvalPriority { get; init; } = 50;
    public ulong CreateIndex { get; init; }
    public ulong ModifyIndex { get; init; }
    public long CreateTime { get; init; }
    public long ModifyTime { get; init; }
}

public sealed class NomadDeploymentState
{
    public List<string>? PlacedCanaries { get; init; }
    public bool AutoRevert { get; init; }
    public bool AutoPromote { get; init; }
    public long ProgressDeadline { get; init; }
    public DateTime RequireProgressBy { get; init; }
    public bool Promoted { get; init; }
    public int DesiredCanaries { get; init; }
    public int DesiredTotal { get; init; }
    public int PlacedAllocs { get; init; }
    public int HealthyAllocs { get; init; }
    public int UnhealthyAllocs { get; init; }
}

public sealed class NomadAllocation
{
    public string ID { get; init; } = "";
    public string EvalID { get; init; } = "";
    public string Name { get; init; } = "";
    public string Namespace { get; init; } = "";
    public string NodeID { get; init; } = "";
    public string NodeName { get; init; } = "";
    public string JobID { get; init; } = "";
    public string JobType { get; init; } = "service";
    public ulong JobVersion { get; init; }
    public string TaskGroup { get; init; } = "";
    public string DesiredStatus { get; init; } = "";
    public string DesiredDescription { get; init; } = "";
    public string ClientStatus { get; init; } = "";
    public string ClientDescription { get; init; } = "";
    public string DeploymentID { get; init; } = "";
    public Dictionary<string, NomadTaskState> TaskStates { get; init; } = [];
    public NomadAllocDeploymentStatus? DeploymentStatus { get; init; }
    public string FollowupEvalID { get; init; } = "";
    public ulong CreateIndex { get; init; }
    public ulong ModifyIndex { get; init; }
    public long CreateTime { get; init; }
    public long ModifyTime { get; init; }
}

public sealed class NomadTaskState
{
    public string State { get; init; } = "";
    public bool Failed { get; init; }
    public ulong Restarts { get; init; }
    public DateTime StartedAt { get; init; }
    public DateTime FinishedAt { get; init; }
    public List<object> Events { get; init; } = [];
}

public sealed class NomadAllocDeploymentStatus
{
    public bool? Healthy { get; init; }
    public DateTime Timestamp { get; init; }
    public bool Canary { get; init; }
    public ulong ModifyIndex { get; init; }
}

public sealed class NomadUpdate
{
    public long Stagger { get; init; }
    public int MaxParallel { get; init; }
    public string HealthCheck { get; init; } = "";
    public long MinHealthyTime { get; init; }
    public long HealthyDeadline { get; init; }
    public long ProgressDeadline { get; init; }
    public int Canary { get; init; }
    public bool AutoRevert { get; init; }
    public bool AutoPromote { get; init; }
}

public sealed class NomadJobStub
{
    public string ID { get; init; } = "";
    public string ParentID { get; init; } = "";
    public string Name { get; init; } = "";
    public string Namespace { get; init; } = "";
    public List<string> Datacenters { get; init; } = ["*"];
    public string Type { get; init; } = "service";
    public int Priority { get; init; } = 50;
    public bool Periodic { get; init; }
    public bool ParameterizedJob { get; init; }
    public bool Stop { get; init; }
    public string Status { get; init; } = "";
    public string StatusDescription { get; init; } = "";
    public NomadJobSummary? JobSummary { get; init; }
    public ulong CreateIndex { get; init; }
    public ulong ModifyIndex { get; init; }
    public ulong JobModifyIndex { get; init; }
    public long SubmitTime { get; init; }
}

public sealed class NomadJobSummary
{
    public string JobID { get; init; } = "";
    public string Namespace { get; init; } = "";
    public Dictionary<string, NomadGroupSummary> Summary { get; init; } = [];
    public ulong CreateIndex { get; init; }
    public ulong ModifyIndex { get; init; }
}

public sealed class NomadGroupSummary
{
    public int Queued { get; init; }
    public int Complete { get; init; }
    public int Failed { get; init; }
    public int Running { get; init; }
    public int Starting { get; init; }
    public int Lost { get; init; }
    public int Unknown { get; init; }
}

public sealed record NomadDeploymentUpdateResponse(
    string EvalID, ulong EvalCreateIndex, ulong DeploymentModifyIndex,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] ulong? RevertedJobVersion,
    ulong Index);

public sealed record NomadJobRegisterResponse(string EvalID, ulong EvalCreateIndex, ulong JobModifyIndex, string Warnings, ulong Index, ulong LastContact, bool KnownLeader);
#pragma warning restore CA1707
