using Dashboard.Data.Auth;

namespace Dashboard.Data.Audit;

/// <summary>
/// The actions the audit log names, <c>capability.verb</c>. The prefix also says who may do it
/// (<see cref="RequiredRole"/>): administrators for users, tokens, webhooks, the fleet and freezes;
/// operators (and administrators) for everything that acts on batches, rollouts and deployments.
/// A new action only needs a constant here (and a prefix below when operators may not do it).
/// </summary>
public static class AuditActions
{
    public const string SignIn = "signin";
    public const string SignOut = "signout";
    /// <summary>A token handed out by a sign-in (mender-cli's login), not created by an administrator.</summary>
    public const string TokenSignIn = "signin.token";
    /// <summary>Too many failed sign-ins (a user name, an address or a device identity): refused for a while.</summary>
    public const string SignInLockout = "signin.lockout";

    public const string UserCreate = "user.create";
    public const string UserRole = "user.role";
    public const string UserDisable = "user.disable";
    public const string UserEnable = "user.enable";
    public const string UserPassword = "user.password";

    public const string TokenCreate = "token.create";
    public const string TokenRevoke = "token.revoke";
    public const string TokenNamespaces = "token.namespaces";

    public const string FreezeCreate = "freeze.create";
    public const string FreezeDelete = "freeze.delete";
    /// <summary>An administrator created a batch, rollout or deployment during a freeze, with a reason.</summary>
    public const string FreezeOverride = "freeze.override";

    public const string SuspectMark = "suspect.mark";
    public const string AttentionAcknowledge = "attention.acknowledge";

    public const string WebhookCreate = "webhook.create";
    public const string WebhookDelete = "webhook.delete";
    public const string WebhookTest = "webhook.test";
    public const string WebhookRotateSecret = "webhook.rotate-secret";

    public const string FleetCapacity = "fleet.capacity";

    public const string BatchCreate = "batch.create";
    public const string BatchDelete = "batch.delete";

    public const string RolloutCreate = "rollout.create";
    public const string RolloutAbort = "rollout.abort";
    public const string RolloutResume = "rollout.resume";
    public const string ArtifactUpload = "artifact.upload";
    public const string ArtifactEdit = "artifact.edit";
    public const string ArtifactDelete = "artifact.delete";
    public const string DeviceAccept = "device.accept";
    public const string DeviceReject = "device.reject";
    public const string DeviceDecommission = "device.decommission";
    public const string DeviceAuthDelete = "device.auth.delete";

    public const string JobRegister = "job.register";
    public const string JobStop = "job.stop";
    public const string JobRevert = "job.revert";
    public const string DeploymentPromote = "deployment.promote";
    public const string DeploymentPause = "deployment.pause";
    public const string DeploymentResume = "deployment.resume";
    public const string DeploymentFail = "deployment.fail";
    public const string DeploymentHealth = "deployment.health";
    public const string DeploymentUnblock = "deployment.unblock";
    public const string AllocationHealth = "allocation.health";

    private static readonly string[] AdminPrefixes = ["user.", "token.", "webhook.", "fleet.", "freeze.", "settings."];

    /// <summary>The least role a person needs for <paramref name="action"/>; null when anyone may (signing in).</summary>
    public static string? RequiredRole(string action) =>
        action is SignIn or SignOut || action.StartsWith("signin.", StringComparison.Ordinal) ? null
        : AdminPrefixes.Any(p => action.StartsWith(p, StringComparison.Ordinal)) ? Roles.Admin
        : Roles.Operator;
}

/// <summary>What an audit entry is about (its <c>TargetKind</c>).</summary>
public static class AuditTargets
{
    public const string User = "user";
    public const string Token = "token";
    public const string Webhook = "webhook";
    public const string Capacity = "capacity";
    public const string Batch = "batch";
    public const string Rollout = "rollout";
    public const string Artifact = "artifact";
    public const string Device = "device";
    public const string Job = "job";
    public const string Deployment = "deployment";
    public const string Allocation = "allocation";
    public const string Freeze = "freeze";
}
