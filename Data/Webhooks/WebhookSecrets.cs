using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace Dashboard.Data.Webhooks;

/// <summary>
/// Signing secrets at rest: encrypted with the data-protection key ring (in the data directory, not in
/// the database), so a copy of the database or of its backups cannot forge deliveries. The stored form is
/// <see cref="Prefix"/> and the protected payload; a value without the prefix is a plain-text secret
/// written before this existed, which still signs until start-up encrypts it
/// (docs/decisions/0021-webhook-secrets-encrypted-at-rest.md).
/// </summary>
public sealed class WebhookSecrets(IDataProtectionProvider provider, IDbContextFactory<DashboardDbContext> dbFactory, ILogger<WebhookSecrets> logger)
{
    /// <summary>Marks (and versions) the stored form; a later scheme gets its own prefix beside this one.</summary>
    public const string Prefix = "dp1:";

    /// <summary>Isolates these payloads from every other use of the key ring (cookies cannot be read as secrets, nor the reverse).</summary>
    public const string Purpose = "Dashboard.Webhooks.SigningSecret.v1";

    /// <summary>What the delivery log says when the key that encrypted a secret is gone.</summary>
    public const string CannotDecrypt = "The signing secret cannot be decrypted (the data-protection key that encrypted it is gone): rotate it.";

    // Made on first use: a node whose webhooks are all encrypted already never loads the key ring at start-up.
    private IDataProtector? _protector;

    private IDataProtector Protector => LazyInitializer.EnsureInitialized(ref _protector, () => provider.CreateProtector(Purpose));

    public static bool IsEncrypted(string stored) => stored.StartsWith(Prefix, StringComparison.Ordinal);

    /// <summary>The form to store for <paramref name="secret"/>; read back once, so nothing unreadable is ever written.</summary>
    public string Encrypt(string secret)
    {
        var stored = Prefix + Protector.Protect(secret);
        if (!TryDecrypt(stored, out var back) || back != secret)
            throw new InvalidOperationException("The data-protection key ring did not give back the secret it encrypted.");
        return stored;
    }

    /// <summary>The secret to sign with; false when it was encrypted under a key this key ring no longer has.</summary>
    public bool TryDecrypt(string stored, [NotNullWhen(true)] out string? secret)
    {
        if (!IsEncrypted(stored))
        {
            secret = stored;
            return true;
        }
        try
        {
            secret = Protector.Unprotect(stored[Prefix.Length..]);
            return true;
        }
        catch (CryptographicException)
        {
            // A lost or replaced key ring, or a damaged value: the caller records it; the stored value is left as it is.
            secret = null;
            return false;
        }
    }

    /// <summary>
    /// Encrypts every plain-text secret in place, in one transaction, and returns how many. Idempotent: it
    /// touches only values without the prefix, and only while they still hold what was read (a secret
    /// rotated meanwhile is left to its writer), so running it on every start, on any node, is safe.
    /// </summary>
    public async Task<int> EncryptPlainTextAsync(CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        // Told apart here, not in SQL: the prefix test must be exactly the one decryption makes (SQLite's LIKE ignores case).
        var plain = (await db.Webhooks.AsNoTracking().Select(w => new { w.Id, w.Secret }).ToListAsync(ct))
            .Where(w => !IsEncrypted(w.Secret)).ToList();
        if (plain.Count == 0) return 0;

        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var encrypted = 0;
        foreach (var row in plain)
        {
            var stored = Encrypt(row.Secret);
            encrypted += await db.Webhooks.Where(w => w.Id == row.Id && w.Secret == row.Secret)
                .ExecuteUpdateAsync(s => s.SetProperty(w => w.Secret, stored), ct);
        }
        await tx.CommitAsync(ct);
        logger.LogInformation("Encrypted {Count} plain-text webhook signing secret(s) at rest", encrypted);
        return encrypted;
    }
}
