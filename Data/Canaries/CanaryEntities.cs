namespace Dashboard.Data.Canaries;

/// <summary>Nomad's deployment statuses, exactly as Nomad spells them.</summary>
public static class DeploymentStatuses
{
    public const string Running = "running";
    public const string Paused = "paused";
    public const string Failed = "failed";
    public const string Successful = "successful";
    public const string Cancelled = "cancelled";
    public const string Initializing = "initializing";
    public const string Pending = "pending";
    public const string Blocked = "blocked";
    public const string Unblocking = "unblocking";

    public static readonly IReadOnlyList<string> All = [Running, Paused, Failed, Successful, Cancelled, Initializing, Pending, Blocked, Unblocking];

    /// <summary>Nomad's <c>Deployment.Active()</c>: the watcher still drives it and actions apply.</summary>
    public static bool IsActive(string status) => status is Running or Paused or Initializing or Pending or Blocked or Unblocking;
}

/// <summary>Nomad's status descriptions, word for word (nomad/structs/deployment.go).</summary>
public static class DeploymentDescriptions
{
    public const string Running = "Deployment is running";
    public const string RunningNeedsPromotion = "Deployment is running but requires manual promotion";
    public const string RunningAutoPromotion = "Deployment is running pending automatic promotion";
    public const string Paused = "Deployment is paused";
    public const string Successful = "Deployment completed successfully";
    public const string StoppedJob = "Cancelled because job is stopped";
    public const string NewerJob = "Cancelled due to newer version of job";
    public const string FailedAllocations = "Failed due to unhealthy allocations";
    public const string ProgressDeadline = "Failed due to progress deadline";
    public const string FailedByUser = "Deployment marked as failed";
    public const string Blocked = "Deployment is complete but waiting for peer region";
    public const string Unblocking = "Deployment is unblocking remaining regions";

    public static string Rollback(string description, long version) => $"{description} - rolling back to job version {version}";

    public static string RollbackNoop(string description, long version) =>
        $"{description} - not rolling back to stable job version {version} as current job has same specification";

    public static string NoRollbackTarget(string description) => $"{description} - no stable job version to auto revert to";
}

public static class AllocationStatuses
{
    public const string DesiredRun = "run";
    public const string DesiredStop = "stop";

    public const string Pending = "pending";
    public const string Running = "running";
    public const string Complete = "complete";
    public const string Failed = "failed";

    public static bool IsTerminal(string clientStatus) => clientStatus is Complete or Failed;
}

public static class HealthChecks
{
    public const string Checks = "checks";
    public const string TaskStates = "task_states";
    public const string Manual = "manual";

    public static readonly IReadOnlyList<string> All = [Checks, TaskStates, Manual];
}

/// <summary>
/// The one monotonic modify index of the capability (Nomad's Raft index). Every write raises it
/// first thing in its transaction, which also serialises the capability's writes on this row.
/// </summary>
public sealed class CanaryIndex
{
    public int Id { get; set; }
    public long Value { get; set; }
}

/// <summary>A Nomad job: the current version of its spec and Nomad's indexes. Keyed by namespace and id.</summary>
public sealed class CanaryJob
{
    public required string Namespace { get; set; }
    public required string JobId { get; set; }
    public required string Name { get; set; }
    public string Type { get; set; } = "service";
    public long Version { get; set; }
    /// <summary>pending, running or dead.</summary>
    public string Status { get; set; } = "pending";
    public bool Stop { get; set; }
    public long CreateIndex { get; set; }
    public long ModifyIndex { get; set; }
    /// <summary>Raised only when the spec changed (Nomad's JobModifyIndex).</summary>
    public long JobModifyIndex { get; set; }
    public DateTime SubmitTime { get; set; }
}

/// <summary>One registered version of a job's spec, kept for revert and diff.</summary>
public sealed class CanaryJobVersion
{
    public required string Namespace { get; set; }
    public required string JobId { get; set; }
    public long Version { get; set; }
    /// <summary>The canonical spec (<see cref="JobSpec"/> as JSON); equal text means equal spec.</summary>
    public required string SpecJson { get; set; }
    public bool Stable { get; set; }
    public bool Stop { get; set; }
    public long CreateIndex { get; set; }
    public long ModifyIndex { get; set; }
    public long JobModifyIndex { get; set; }
    public DateTime SubmitTime { get; set; }
}

/// <summary>One task group's progress within a deployment (Nomad's DeploymentState), plus the update settings the watcher needs.</summary>
public sealed class DeploymentGroupState
{
    public bool Promoted { get; set; }
    public int DesiredCanaries { get; set; }
    public int DesiredTotal { get; set; }
    public int PlacedAllocs { get; set; }
    public int HealthyAllocs { get; set; }
    public int UnhealthyAllocs { get; set; }
    public List<string> PlacedCanaries { get; set; } = [];
    public bool AutoRevert { get; set; }
    public bool AutoPromote { get; set; }
    public TimeSpan ProgressDeadline { get; set; }
    /// <summary>Zero (<see cref="DateTime.MinValue"/>) until the first placement, as in Nomad.</summary>
    public DateTime RequireProgressBy { get; set; }
    public int MaxParallel { get; set; } = 1;
    public string HealthCheck { get; set; } = HealthChecks.Checks;
    public TimeSpan MinHealthyTime { get; set; }
    public TimeSpan HealthyDeadline { get; set; }

    /// <summary>Waiting for a promotion: canaries wanted and not yet promoted.</summary>
    public bool NeedsPromotion => DesiredCanaries > 0 && !Promoted;
}

/// <summary>A deployment of one job version (Nomad's Deployment). Status changes only through <see cref="DeploymentStateMachine"/>.</summary>
public sealed class CanaryDeployment : Work.IStateful
{
    public required string Id { get; set; }
    public required string Namespace { get; set; }
    public required string JobId { get; set; }
    public long JobVersion { get; set; }
    public long JobModifyIndex { get; set; }
    public long JobSpecModifyIndex { get; set; }
    public long JobCreateIndex { get; set; }
    public string Status { get; set; } = DeploymentStatuses.Running;
    public string StatusDescription { get; set; } = DeploymentDescriptions.Running;
    public Dictionary<string, DeploymentGroupState> TaskGroups { get; set; } = [];
    /// <summary>The nodes the deployment places on, for change events (start and end must name the same hosts).</summary>
    public List<string> Hosts { get; set; } = [];
    public bool Active { get; set; } = true;
    /// <summary>When the watcher must look at it again (an allocation starts, turns healthy, a deadline passes).</summary>
    public DateTime? NextCheckAt { get; set; }
    /// <summary>Since when it has waited for a person (promotion or resume); null when it is not waiting.</summary>
    public DateTime? WaitingSince { get; set; }
    public long CreateIndex { get; set; }
    /// <summary>Also the optimistic concurrency token of the deployment's actions.</summary>
    public long ModifyIndex { get; set; }
    public DateTime CreateTime { get; set; }
    public DateTime ModifyTime { get; set; }
    public string? Actor { get; set; }

    // The spine's view of a deployment: its status is the state; its modify index is raised by
    // every write of the capability (CanaryContext.Touch), not by one per move.
    string Work.IStateful.State { get => Status; set => Status = value; }
    DateTime Work.IStateful.UpdatedAt { get => ModifyTime; set => ModifyTime = value; }
    long Work.IStateful.Version { get => ModifyIndex; set { } }
}

/// <summary>One placement of a task group on a node (a fleet device), named <c>job.group[i]</c>.</summary>
public sealed class CanaryAllocation
{
    public required string Id { get; set; }
    public required string EvalId { get; set; }
    public required string Namespace { get; set; }
    public required string JobId { get; set; }
    public long JobVersion { get; set; }
    public required string TaskGroup { get; set; }
    public required string Name { get; set; }
    public int Index { get; set; }
    public required string NodeId { get; set; }
    public required string NodeName { get; set; }
    public string? DeploymentId { get; set; }
    public bool Canary { get; set; }
    public string DesiredStatus { get; set; } = AllocationStatuses.DesiredRun;
    public string DesiredDescription { get; set; } = "";
    public string ClientStatus { get; set; } = AllocationStatuses.Pending;
    public string ClientDescription { get; set; } = "";
    /// <summary>Deployment health: null until decided.</summary>
    public bool? Healthy { get; set; }
    public DateTime? HealthTimestamp { get; set; }
    /// <summary>The simulated driver's plan: when the task starts and whether it turns out healthy (null: a real agent reports).</summary>
    public DateTime? StartsAt { get; set; }
    public bool? SimulatedHealthy { get; set; }
    public DateTime? StartedAt { get; set; }
    public List<string> Tasks { get; set; } = [];
    public long CreateIndex { get; set; }
    public long ModifyIndex { get; set; }
    public DateTime CreateTime { get; set; }
    public DateTime ModifyTime { get; set; }
}
