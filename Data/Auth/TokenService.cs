using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Dashboard.Data.Audit;
using Microsoft.EntityFrameworkCore;

namespace Dashboard.Data.Auth;

public sealed record CreatedToken(ApiToken Token, string Secret);

/// <param name="Namespaces">The token's Nomad namespace policy (<see cref="NamespacePolicy"/>); null: every namespace.</param>
public sealed record TokenIdentity(int Id, string Name, IReadOnlyList<string> Scopes, IReadOnlyList<string>? Namespaces = null);

/// <summary>Creates, validates and revokes API tokens. Secrets are stored as SHA-256 hashes.</summary>
public sealed class TokenService(IDbContextFactory<DashboardDbContext> dbFactory, TimeProvider clock, AuditLog audit)
{
    private const string SecretPrefix = "dsh_";
    private static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(30);

    // Validations are on every API request; a short cache keeps the database out of the hot path.
    private readonly ConcurrentDictionary<string, (TokenIdentity? Identity, DateTime Until)> _cache = new();
    private readonly ConcurrentDictionary<int, (bool Active, DateTime Until)> _activeCache = new();
    private const int MaxCachedUnknown = 10_000;

    // Bumped whenever cached validations are dropped (a revocation, a changed policy, here or on another
    // node): a lookup that read the database before the drop must not cache what it read after it.
    private long _generation;

    /// <summary>
    /// After a token's revocation or policy change is committed here, with the token's id: the cluster relay
    /// (<c>ClusterSignals</c>) tells the other nodes, which <see cref="Forget"/> it at once instead of after
    /// their cache's <see cref="CacheFor"/>. See docs/decisions/0023-token-validation-on-the-request-path.md.
    /// </summary>
    public event Action<int>? Changed;

    /// <summary>
    /// After this node dropped what it cached about a token, with the token's id: its own revocation or policy
    /// change (<see cref="Changed"/>) or another node's, relayed (<see cref="Forget"/>). What lives longer than a
    /// request on the token's word (an open hub connection) re-checks it now. Raised on the committing or the
    /// relaying thread: handlers only hand off.
    /// </summary>
    public event Action<int>? Dropped;

    public static string HashSecret(string secret) =>
        Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(secret)));

    public static string NewSecret() =>
        SecretPrefix + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    /// <param name="namespaces">Restricts the token to these Nomad namespaces (<see cref="NamespacePolicy"/>); null or empty: every namespace.</param>
    /// <param name="auditAction">How the creation shows on the audit log: an administrator's <see cref="AuditActions.TokenCreate"/>, or a sign-in's.</param>
    public async Task<CreatedToken> CreateAsync(string name, IEnumerable<string> scopes, string? createdBy, string? secret = null, CancellationToken ct = default,
        DateTime? expiresAtUtc = null, IEnumerable<string>? namespaces = null, string auditAction = AuditActions.TokenCreate)
    {
        audit.Attempt(auditAction, AuditTargets.Token, name);
        name = name.Trim();
        if (name.Length is 0 or > 100) throw new ValidationException("name", "A token needs a name of 1 to 100 characters.");
        var scopeList = scopes.Distinct().ToList();
        if (scopeList.Count == 0) throw new ValidationException("scopes", "A token needs at least one scope.");
        var unknown = scopeList.Except(ApiScopes.All).ToList();
        if (unknown.Count > 0) throw new ValidationException("scopes", $"Unknown scope(s): {string.Join(", ", unknown)}.");
        var policy = NamespacePolicy.Normalize(namespaces);

        var now = clock.GetUtcNow().UtcDateTime;
        if (expiresAtUtc is { } expires && expires <= now) throw new ValidationException("expiresAt", "A token's expiry must be in the future.");

        secret ??= NewSecret();
        var token = new ApiToken
        {
            Name = name,
            Prefix = secret[..Math.Min(8, secret.Length)],
            SecretHash = HashSecret(secret),
            Scopes = scopeList,
            Namespaces = policy,
            CreatedAt = now,
            ExpiresAt = expiresAtUtc,
            CreatedBy = createdBy,
        };
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        db.ApiTokens.Add(token);
        audit.Add(db, auditAction, AuditTargets.Token, name, $"Scopes: {string.Join(", ", scopeList)}.");
        await db.SaveChangesAsync(ct);
        _cache.TryRemove(token.SecretHash, out _);
        return new CreatedToken(token, secret);
    }

    /// <summary>Whether <paramref name="secret"/> could be a token at all; anything else is refused without a lookup.</summary>
    public static bool IsPlausibleSecret(string? secret) => !string.IsNullOrWhiteSpace(secret) && secret.Length <= 512;

    public Task<TokenIdentity?> ValidateAsync(string secret, CancellationToken ct = default) =>
        IsPlausibleSecret(secret) ? ValidateHashAsync(HashSecret(secret), ct).AsTask() : Task.FromResult<TokenIdentity?>(null);

    /// <summary>
    /// <see cref="ValidateAsync"/> for a secret already hashed with <see cref="HashSecret"/> (and checked with
    /// <see cref="IsPlausibleSecret"/>): the API request path hashes once for the rate limiter and for this.
    /// A cached answer returns without allocating; only a miss reads the database.
    /// </summary>
    public ValueTask<TokenIdentity?> ValidateHashAsync(string hash, CancellationToken ct = default)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        return _cache.TryGetValue(hash, out var cached) && cached.Until > now
            ? ValueTask.FromResult(cached.Identity)
            : new ValueTask<TokenIdentity?>(LoadAsync(hash, now, ct));
    }

    private async Task<TokenIdentity?> LoadAsync(string hash, DateTime now, CancellationToken ct)
    {
        var generation = Interlocked.Read(ref _generation);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var token = await db.ApiTokens.AsNoTracking().FirstOrDefaultAsync(t => t.SecretHash == hash && t.RevokedAt == null && (t.ExpiresAt == null || t.ExpiresAt > now), ct);
        var identity = token is null ? null : new TokenIdentity(token.Id, token.Name, token.Scopes, token.Namespaces);
        // A token that expires soon is cached only until it expires; unknown secrets are cached only
        // while the cache is small, so a flood of made-up tokens cannot grow it without bound.
        var until = token?.ExpiresAt is { } expires && expires < now + CacheFor ? expires : now + CacheFor;
        if ((identity is not null || _cache.Count < MaxCachedUnknown) && generation == Interlocked.Read(ref _generation)) _cache[hash] = (identity, until);
        return identity;
    }

    /// <summary>
    /// Drops what this node cached about token <paramref name="id"/>: another node revoked it or changed its
    /// policy, and its next request here reads the database again.
    /// </summary>
    public void Forget(int id)
    {
        Interlocked.Increment(ref _generation);
        foreach (var (hash, cached) in _cache)
        {
            if (cached.Identity?.Id == id) _cache.TryRemove(hash, out _);
        }
        _activeCache.TryRemove(id, out _);
        Dropped?.Invoke(id);
    }

    // Called after the commit: this node forgets at once (a lookup already under way cannot re-cache what it
    // read before), and the relay tells the others.
    private void Committed(ApiToken token)
    {
        Interlocked.Increment(ref _generation);
        _cache.TryRemove(token.SecretHash, out _);
        _activeCache.TryRemove(token.Id, out _);
        Changed?.Invoke(token.Id);
        Dropped?.Invoke(token.Id);
    }

    /// <summary>
    /// Whether token <paramref name="id"/> still works (not revoked, not expired). Sessions derived
    /// from a token (a kiosk screen's cookie) re-check with this, so revoking the token ends them at
    /// once on every node that heard of it (<see cref="Changed"/>), and within <see cref="CacheFor"/> on any other.
    /// </summary>
    public async Task<bool> IsActiveAsync(int id, CancellationToken ct = default)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        if (_activeCache.TryGetValue(id, out var cached) && cached.Until > now) return cached.Active;
        var generation = Interlocked.Read(ref _generation);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var active = await db.ApiTokens.AnyAsync(t => t.Id == id && t.RevokedAt == null && (t.ExpiresAt == null || t.ExpiresAt > now), ct);
        if (generation == Interlocked.Read(ref _generation)) _activeCache[id] = (active, now + CacheFor);
        return active;
    }

    public async Task<List<ApiToken>> ListAsync(CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.ApiTokens.AsNoTracking().OrderByDescending(t => t.Id).ToListAsync(ct);
    }

    /// <summary>Replaces the token's namespace policy; it applies from the next request (the validation cache is dropped).</summary>
    public async Task<ApiToken> SetNamespacesAsync(int id, IEnumerable<string>? namespaces, CancellationToken ct = default)
    {
        audit.Attempt(AuditActions.TokenNamespaces, AuditTargets.Token, id.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var policy = NamespacePolicy.Normalize(namespaces);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var token = await db.ApiTokens.FirstOrDefaultAsync(t => t.Id == id, ct) ?? throw new NotFoundException("Token", id.ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (token.RevokedAt is not null) throw new ConflictException("The token is revoked.");
        token.Namespaces = policy;
        audit.Add(db, AuditActions.TokenNamespaces, AuditTargets.Token, token.Name,
            $"Token {token.Name} ({token.Prefix}…) limited to {(policy is null ? "every namespace" : string.Join(", ", policy))}.");
        await db.SaveChangesAsync(ct);
        Committed(token);
        return token;
    }

    public async Task<bool> RevokeAsync(int id, CancellationToken ct = default)
    {
        audit.Attempt(AuditActions.TokenRevoke, AuditTargets.Token, id.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var token = await db.ApiTokens.FirstOrDefaultAsync(t => t.Id == id, ct);
        if (token is null || token.RevokedAt is not null) return false;
        token.RevokedAt = clock.GetUtcNow().UtcDateTime;
        audit.Add(db, AuditActions.TokenRevoke, AuditTargets.Token, token.Name, $"Token {token.Name} ({token.Prefix}…) revoked.");
        await db.SaveChangesAsync(ct);
        Committed(token);
        return true;
    }
}
