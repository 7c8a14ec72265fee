using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Microsoft.EntityFrameworkCore;

namespace Dashboard.Data.Auth;

public sealed record CreatedToken(ApiToken Token, string Secret);

/// <param name="Namespaces">The token's Nomad namespace policy (<see cref="NamespacePolicy"/>); null: every namespace.</param>
public sealed record TokenIdentity(int Id, string Name, IReadOnlyList<string> Scopes, IReadOnlyList<string>? Namespaces = null);

/// <summary>Creates, validates and revokes API tokens. Secrets are stored as SHA-256 hashes.</summary>
public sealed class TokenService(IDbContextFactory<DashboardDbContext> dbFactory, TimeProvider clock)
{
    private const string SecretPrefix = "dsh_";
    private static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(30);

    // Validations are on every API request; a short cache keeps the database out of the hot path.
    private readonly ConcurrentDictionary<string, (TokenIdentity? Identity, DateTime Until)> _cache = new();

    public static string HashSecret(string secret) =>
        Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(secret)));

    public static string NewSecret() =>
        SecretPrefix + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    /// <param name="namespaces">Restricts the token to these Nomad namespaces (<see cref="NamespacePolicy"/>); null or empty: every namespace.</param>
    public async Task<CreatedToken> CreateAsync(string name, IEnumerable<string> scopes, string? createdBy, string? secret = null, CancellationToken ct = default,
        IEnumerable<string>? namespaces = null)
    {
        name = name.Trim();
        if (name.Length is 0 or > 100) throw new ValidationException("name", "A token needs a name of 1 to 100 characters.");
        var scopeList = scopes.Distinct().ToList();
        if (scopeList.Count == 0) throw new ValidationException("scopes", "A token needs at least one scope.");
        var unknown = scopeList.Except(ApiScopes.All).ToList();
        if (unknown.Count > 0) throw new ValidationException("scopes", $"Unknown scope(s): {string.Join(", ", unknown)}.");
        var policy = NamespacePolicy.Normalize(namespaces);

        secret ??= NewSecret();
        var token = new ApiToken
        {
            Name = name,
            Prefix = secret[..Math.Min(8, secret.Length)],
            SecretHash = HashSecret(secret),
            Scopes = scopeList,
            Namespaces = policy,
            CreatedAt = clock.GetUtcNow().UtcDateTime,
            CreatedBy = createdBy,
        };
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        db.ApiTokens.Add(token);
        await db.SaveChangesAsync(ct);
        _cache.TryRemove(token.SecretHash, out _);
        return new CreatedToken(token, secret);
    }

    public async Task<TokenIdentity?> ValidateAsync(string secret, CancellationToken ct = default)
    {
        if (string.IsNullOrWhiteSpace(secret) || secret.Length > 512) return null;
        var hash = HashSecret(secret);
        var now = clock.GetUtcNow().UtcDateTime;
        if (_cache.TryGetValue(hash, out var cached) && cached.Until > now) return cached.Identity;

        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var token = await db.ApiTokens.AsNoTracking().FirstOrDefaultAsync(t => t.SecretHash == hash && t.RevokedAt == null, ct);
        var identity = token is null ? null : new TokenIdentity(token.Id, token.Name, token.Scopes, token.Namespaces);
        _cache[hash] = (identity, now + CacheFor);
        return identity;
    }

    public async Task<List<ApiToken>> ListAsync(CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.ApiTokens.AsNoTracking().OrderByDescending(t => t.Id).ToListAsync(ct);
    }

    /// <summary>Replaces the token's namespace policy; it applies from the next request (the validation cache is dropped).</summary>
    public async Task<ApiToken> SetNamespacesAsync(int id, IEnumerable<string>? namespaces, CancellationToken ct = default)
    {
        var policy = NamespacePolicy.Normalize(namespaces);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var token = await db.ApiTokens.FirstOrDefaultAsync(t => t.Id == id, ct) ?? throw new NotFoundException("Token", id.ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (token.RevokedAt is not null) throw new ConflictException("The token is revoked.");
        token.Namespaces = policy;
        await db.SaveChangesAsync(ct);
        _cache.TryRemove(token.SecretHash, out _);
        return token;
    }

    public async Task<bool> RevokeAsync(int id, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var token = await db.ApiTokens.FirstOrDefaultAsync(t => t.Id == id, ct);
        if (token is null || token.RevokedAt is not null) return false;
        token.RevokedAt = clock.GetUtcNow().UtcDateTime;
        await db.SaveChangesAsync(ct);
        _cache.TryRemove(token.SecretHash, out _);
        return true;
    }
}
