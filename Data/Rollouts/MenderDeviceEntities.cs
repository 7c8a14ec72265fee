namespace Dashboard.Data.Rollouts;

/// <summary>Mender's admission states, for a device and for each of its auth sets.</summary>
public static class MenderAuthStatuses
{
    public const string Pending = "pending";
    public const string Accepted = "accepted";
    public const string Rejected = "rejected";
    public const string Preauthorized = "preauthorized";
    /// <summary>Ours: the operator removed the device; its tokens and auth requests are refused.</summary>
    public const string Decommissioned = "decommissioned";

    /// <summary>What an operator may set an auth set to.</summary>
    public static readonly IReadOnlyList<string> Settable = [Accepted, Rejected, Pending];
}

/// <summary>
/// One identity + public key a device has authenticated with (Mender's "auth set"). A device has
/// one per key it ever presented; at most one is accepted, and the device is as admitted as that set.
/// </summary>
public sealed class MenderAuthSet
{
    public required string Id { get; set; }
    public required string DeviceId { get; set; }
    /// <summary>Canonical JSON of the identity (sorted keys).</summary>
    public required string IdentityData { get; set; }
    /// <summary>The public key as PEM, normalised so the same key always compares equal.</summary>
    public required string PublicKey { get; set; }
    public string Status { get; set; } = MenderAuthStatuses.Pending;
    public DateTime CreatedAt { get; set; }
}

/// <summary>Mender attribute scopes.</summary>
public static class AttributeScopes
{
    public const string Inventory = "inventory";
    public const string Identity = "identity";
    public const string System = "system";
    public const string Tags = "tags";

    public static readonly IReadOnlyList<string> All = [Inventory, Identity, System, Tags];
}

/// <summary>
/// One attribute of a device, in one scope. <see cref="Value"/> is JSON: a string, a number or an
/// array of them, exactly as the device or operator sent it. One row per attribute, so an inventory
/// update touches only what changed.
/// </summary>
public sealed class DeviceAttribute
{
    public required string DeviceId { get; set; }
    public required string Scope { get; set; }
    public required string Name { get; set; }
    public required string Value { get; set; }
    public DateTime UpdatedAt { get; set; }
}

/// <summary>A saved dynamic filter (Mender's inventory filters API).</summary>
public sealed class InventoryFilter
{
    public required string Id { get; set; }
    public required string Name { get; set; }
    public List<FilterTerm> Terms { get; set; } = [];
    public DateTime CreatedAt { get; set; }
}

/// <summary>One predicate: <c>{scope, attribute, type, value}</c>; <see cref="Value"/> is JSON (null for <c>$exists</c> without one).</summary>
public sealed record FilterTerm(string Scope, string Attribute, string Type, string? Value);
