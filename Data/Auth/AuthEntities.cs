namespace Dashboard.Data.Auth;

public static class Roles
{
    public const string Admin = "admin";
    public const string Operator = "operator";
    public const string Viewer = "viewer";
}

public sealed class User
{
    public int Id { get; set; }
    public required string UserName { get; set; }
    public required string PasswordHash { get; set; }
    public string Role { get; set; } = Roles.Viewer;
    public DateTime CreatedAt { get; set; }
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
    public string? CreatedBy { get; set; }
}
