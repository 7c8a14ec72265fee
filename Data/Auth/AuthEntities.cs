namespace Dashboard.Data.Auth;

public static class Roles
{
    public const string Admin = "admin";
    public const string Operator = "operator";
    public const string Viewer = "viewer";

    /// <summary>Every role, least first: each one may do what the ones before it may.</summary>
    public static readonly IReadOnlyList<string> All = [Viewer, Operator, Admin];

    /// <summary>Whether a person holding <paramref name="held"/> may do what needs <paramref name="required"/>.</summary>
    public static bool Satisfies(string? held, string required)
    {
        var rank = held is null ? -1 : IndexOf(held);
        return rank >= 0 && rank >= IndexOf(required);
    }

    private static int IndexOf(string role)
    {
        for (var i = 0; i < All.Count; i++) if (All[i] == role) return i;
        return -1;
    }
}

public sealed class User
{
    public int Id { get; set; }
    public required string UserName { get; set; }
    public required string PasswordHash { get; set; }
    public string Role { get; set; } = Roles.Viewer;
    public DateTime CreatedAt { get; set; }
    /// <summary>When set, the person cannot sign in, and sessions already open end at their next request.</summary>
    public DateTime? DisabledAt { get; set; }
    /// <summary>Changes when the password is reset, so sessions signed in with the old password end.</summary>
    public string SecurityStamp { get; set; } = "";
}

/// <summary>An API token. Only a hash of the secret is stored; the secret is shown once.</summary>
public sealed class ApiToken
{
    public int Id { get; set; }
    public required string Name { get; set; }
    /// <summary>The first characters of the secret, so people can tell tokens apart.</summary>
    public required string Prefix { get; set; }
    public required string SecretHash { get; set; }
    public List<string> Scopes { get; set; } = [];
    /// <summary>The Nomad namespaces the token may use (<see cref="NamespacePolicy"/>); null: every namespace.</summary>
    public List<string>? Namespaces { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime? LastUsedAt { get; set; }
    public DateTime? RevokedAt { get; set; }
    /// <summary>When set, the token stops working at this moment (UTC), as if revoked then.</summary>
    public DateTime? ExpiresAt { get; set; }
    public string? CreatedBy { get; set; }
}
