using Dashboard.Data.Work;

namespace Dashboard.Data.Rollouts;

/// <summary>
/// An uploaded <c>.mender</c> file. The file itself lives in the data directory
/// (<see cref="FileName"/>); the row keeps what the parser read, for listing and matching.
/// </summary>
public sealed class Artifact
{
    public required string Id { get; set; }
    public required string Name { get; set; }
    public string Description { get; set; } = "";
    public List<string> DeviceTypes { get; set; } = [];
    public int FormatVersion { get; set; }
    public bool Signed { get; set; }
    public long Size { get; set; }
    /// <summary>The parsed header as Mender's list shows it (<c>updates</c>, provides, depends), JSON.</summary>
    public required string Metadata { get; set; }
    /// <summary>File name inside the artifacts directory.</summary>
    public required string FileName { get; set; }
    public DateTime ModifiedAt { get; set; }
}

/// <summary>Rollout states. Mender's own status (<c>scheduled</c>, <c>pending</c>, <c>inprogress</c>, <c>finished</c>) is derived from them.</summary>
public static class RolloutStates
{
    /// <summary>Created; no phase has started yet.</summary>
    public const string Scheduled = "scheduled";
    public const string InProgress = "inprogress";
    /// <summary>The failure guard tripped: later phases wait until an operator resumes or aborts.</summary>
    public const string Stopped = "stopped";
    /// <summary>Every device finished and none failed.</summary>
    public const string Succeeded = "succeeded";
    /// <summary>Every device finished and some failed.</summary>
    public const string Failed = "failed";
    public const string Aborted = "aborted";

    public static bool IsFinished(string state) => state is Succeeded or Failed or Aborted;

    /// <summary>The state in words for people (the API keeps the short form).</summary>
    public static string Label(string state) => state switch
    {
        InProgress => "in progress",
        Stopped => "stopped by the failure guard",
        _ => state,
    };

    /// <summary>The status Mender's API shows.</summary>
    public static string MenderStatus(string state) => state switch
    {
        Scheduled => "scheduled",
        InProgress or Stopped => "inprogress",
        _ => "finished",
    };
}

/// <summary>
/// A phased rollout of one artifact name to a fixed set of devices (Mender's deployment). The device
/// set is decided at creation, each device in one phase; per-status counters live in
/// <see cref="RolloutStatusCount"/> so device reports never rewrite this row.
/// </summary>
public sealed class Rollout : IStateful
{
    public required string Id { get; set; }
    public required string Name { get; set; }
    public required string ArtifactName { get; set; }
    public string State { get; set; } = RolloutStates.Scheduled;
    /// <summary><c>devices</c>, <c>group</c>, <c>all</c> or <c>filter</c>.</summary>
    public required string TargetKind { get; set; }
    public string? Group { get; set; }
    public string? FilterId { get; set; }
    public int DeviceCount { get; set; }
    public int Retries { get; set; }
    public int? MaxDevices { get; set; }
    /// <summary>The failure guard: stop when more than this percentage of a phase's devices failed. Null: no guard.</summary>
    public double? FailureThresholdPercent { get; set; }
    /// <summary>Why the rollout is stopped or ended early (guard, abort, max_devices), for people.</summary>
    public string? StateReason { get; set; }
    public string? Actor { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime UpdatedAt { get; set; }
    public DateTime? FinishedAt { get; set; }
    /// <summary>Optimistic concurrency token, bumped by every state change.</summary>
    public long Version { get; set; }
    public List<RolloutPhase> Phases { get; set; } = [];
}

public sealed class RolloutPhase
{
    public required string RolloutId { get; set; }
    public int Index { get; set; }
    /// <summary>Percent of the devices as requested; null for a last phase that takes the rest.</summary>
    public int? BatchSize { get; set; }
    public DateTime StartAt { get; set; }
    public int DeviceCount { get; set; }
    public DateTime? StartedAt { get; set; }
}

/// <summary>Per-device statuses of a deployment, as Mender reports them.</summary>
public static class DeviceDeploymentStatuses
{
    public const string Pending = "pending";
    public const string Downloading = "downloading";
    public const string Installing = "installing";
    public const string Rebooting = "rebooting";
    public const string PauseBeforeInstalling = "pause_before_installing";
    public const string PauseBeforeRebooting = "pause_before_rebooting";
    public const string PauseBeforeCommitting = "pause_before_committing";
    public const string Success = "success";
    public const string Failure = "failure";
    public const string AlreadyInstalled = "already-installed";
    public const string NoArtifact = "noartifact";
    public const string Aborted = "aborted";

    /// <summary>The twelve counters of Mender's statistics, in its order.</summary>
    public static readonly IReadOnlyList<string> All =
        [Success, Pending, Failure, Downloading, Installing, Rebooting, NoArtifact, AlreadyInstalled, Aborted, PauseBeforeInstalling, PauseBeforeRebooting, PauseBeforeCommitting];

    /// <summary>What a device may report.</summary>
    public static readonly IReadOnlyList<string> Reportable =
        [Downloading, Installing, Rebooting, PauseBeforeInstalling, PauseBeforeRebooting, PauseBeforeCommitting, Success, Failure, AlreadyInstalled];

    public static bool IsFinal(string status) => status is Success or Failure or AlreadyInstalled or NoArtifact or Aborted;
}

/// <summary>One device's part in one rollout: narrow, so a status report rewrites little.</summary>
public sealed class DeviceDeployment
{
    public required string RolloutId { get; set; }
    public required string DeviceId { get; set; }
    public int PhaseIndex { get; set; }
    public string Status { get; set; } = DeviceDeploymentStatuses.Pending;
    public string? Substate { get; set; }
    /// <summary>How many times the device was handed the deployment (1 + retries used).</summary>
    public int Attempts { get; set; }
    public string? ArtifactId { get; set; }
    public string? DeviceType { get; set; }
    public bool HasLog { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime? StartedAt { get; set; }
    public DateTime? FinishedAt { get; set; }
}

/// <summary>One of a rollout's twelve counters; changed in the same transaction as the device row.</summary>
public sealed class RolloutStatusCount
{
    public required string RolloutId { get; set; }
    public required string Status { get; set; }
    public int Count { get; set; }
}

/// <summary>The deployment log a device uploaded after a failure (the latest upload wins).</summary>
public sealed class DeviceDeploymentLog
{
    public required string RolloutId { get; set; }
    public required string DeviceId { get; set; }
    /// <summary>The log as text, one line per message: <c>timestamp level message</c>.</summary>
    public required string Text { get; set; }
    public DateTime UploadedAt { get; set; }
}
