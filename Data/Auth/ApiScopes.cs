namespace Dashboard.Data.Auth;

/// <summary>What an API token may do. A token holds one or more scopes.</summary>
public static class ApiScopes
{
    /// <summary>Read everything: lists, details, the timeline stream.</summary>
    public const string Read = "read";
    /// <summary>Send change events (BigPanda-style start/end, Changes API).</summary>
    public const string ChangesWrite = "changes:write";
    /// <summary>Create and delete batches of devices (Packet-style).</summary>
    public const string BatchesWrite = "batches:write";
    /// <summary>Create and steer phased rollouts (Mender-style).</summary>
    public const string RolloutsWrite = "rollouts:write";
    /// <summary>Steer canary deployments (Nomad-style).</summary>
    public const string DeploymentsWrite = "deployments:write";
    /// <summary>Open the kiosk screen, read-only.</summary>
    public const string Kiosk = "kiosk";
    /// <summary>Everything, including token and fleet administration.</summary>
    public const string Admin = "admin";

    public static readonly IReadOnlyList<string> All = [Read, ChangesWrite, BatchesWrite, RolloutsWrite, DeploymentsWrite, Kiosk, Admin];

    public static bool Grants(IEnumerable<string> held, string wanted) =>
        held.Contains(Admin) || held.Contains(wanted) || (wanted == Read && held.Any(s => s.EndsWith(":write", StringComparison.Ordinal)));
}
