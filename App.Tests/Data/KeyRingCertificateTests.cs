using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Dashboard.App.Tests.Infrastructure;
using Dashboard.Data;
using Dashboard.Data.Webhooks;

namespace Dashboard.App.Tests.Data;

/// <summary>
/// The data-protection key ring encrypted to <c>Dashboard:KeyCertificate</c> (ADR 0022): keys written with a
/// certificate hold no readable master key, keys written before one is configured are encrypted at the next
/// start, what was protected before stays readable with the certificate, and without it nothing is.
/// Real key files in a real data directory; the certificates are made here.
/// </summary>
public sealed class KeyRingCertificateTests
{
    private const string Secret = "whsec-0123456789abcdef-key-ring";
    // What Data Protection writes for a key's master key when nothing encrypts it.
    private const string PlainMasterKey = "<value>";

    [Fact]
    public async Task NewKeys_AreEncryptedToTheCertificate_AndReadBackByANewProcessWithIt()
    {
        using var directory = new TempDirectory();
        var pfx = WritePfx(directory.Path, "dashboard-keys.pfx", "pfx-password");
        var settings = Settings(directory.Path, pfx, "pfx-password");

        string stored;
        await using (var first = await DataServices.MigratedAsync(settings: settings))
            stored = first.Get<WebhookSecrets>().Encrypt(Secret);

        var file = Assert.Single(KeyFiles(directory.Path));
        var xml = await File.ReadAllTextAsync(file, TestContext.Current.CancellationToken);
        Assert.DoesNotContain(PlainMasterKey, xml, StringComparison.Ordinal);
        Assert.Contains("encryptedSecret", xml, StringComparison.Ordinal);
        Assert.Contains(nameof(KeyCertificateDecryptor), xml, StringComparison.Ordinal);

        await using var second = new DataServices(settings: settings);
        Assert.True(second.Get<WebhookSecrets>().TryDecrypt(stored, out var secret));
        Assert.Equal(Secret, secret);
    }

    [Fact]
    public async Task KeysWrittenBeforeACertificate_AreEncryptedAtTheNextStart_OnceAndStillRead_AndNotWithoutIt()
    {
        using var directory = new TempDirectory();
        var plain = Settings(directory.Path, certificate: null, password: null);
        string stored;
        await using (var before = await DataServices.MigratedAsync(settings: plain))
            stored = before.Get<WebhookSecrets>().Encrypt(Secret);
        var file = Assert.Single(KeyFiles(directory.Path));
        Assert.Contains(PlainMasterKey, await File.ReadAllTextAsync(file, TestContext.Current.CancellationToken), StringComparison.Ordinal);

        // PEM, certificate and key in one file, as a secret mount or certbot would give it.
        var pem = WritePem(directory.Path, "dashboard-keys.pem");
        var withCertificate = Settings(directory.Path, pem, password: null);
        await using (var after = new DataServices(settings: withCertificate))
        {
            await InitializeAsync(after);
            Assert.Equal(0, after.Get<DataProtectionKeysInDataDirectory>().ProtectKeys()); // nothing left to do
            Assert.True(after.Get<WebhookSecrets>().TryDecrypt(stored, out var secret));
            Assert.Equal(Secret, secret);
        }
        var xml = await File.ReadAllTextAsync(Assert.Single(KeyFiles(directory.Path)), TestContext.Current.CancellationToken);
        Assert.DoesNotContain(PlainMasterKey, xml, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(Path.Combine(directory.Path, "keys"), "*.encrypting"));

        // The directory alone (a copy, a backup) no longer reads what the keys protect.
        await using var withoutCertificate = new DataServices(settings: plain);
        Assert.False(withoutCertificate.Get<WebhookSecrets>().TryDecrypt(stored, out _));
    }

    [Fact]
    public async Task ReplacingTheCertificate_WithThePreviousOneForOneStart_MovesEveryKeyToTheNewOne()
    {
        using var directory = new TempDirectory();
        var old = WritePfx(directory.Path, "old.pfx", "old-password");
        var current = WritePem(directory.Path, "new.pem");
        string stored;
        await using (var before = await DataServices.MigratedAsync(settings: Settings(directory.Path, old, "old-password")))
            stored = before.Get<WebhookSecrets>().Encrypt(Secret);

        // The new certificate alone cannot read the ring, and says what to do.
        await using (var withoutPrevious = new DataServices(settings: Settings(directory.Path, current, password: null)))
        {
            var error = await Assert.ThrowsAsync<InvalidOperationException>(() => InitializeAsync(withoutPrevious));
            Assert.Contains("Dashboard:PreviousKeyCertificate", error.Message, StringComparison.Ordinal);
        }

        var rotating = Settings(directory.Path, current, password: null);
        rotating["Dashboard:PreviousKeyCertificate"] = old;
        rotating["Dashboard:PreviousKeyCertificatePassword"] = "old-password";
        await using (var during = new DataServices(settings: rotating))
        {
            await InitializeAsync(during);
            Assert.Equal(0, during.Get<DataProtectionKeysInDataDirectory>().ProtectKeys());
        }

        // Then the previous one can go: the ring reads with the new certificate alone, and no longer with the old.
        await using (var after = new DataServices(settings: Settings(directory.Path, current, password: null)))
        {
            await InitializeAsync(after);
            Assert.True(after.Get<WebhookSecrets>().TryDecrypt(stored, out var secret));
            Assert.Equal(Secret, secret);
        }
        await using var oldOnly = new DataServices(settings: Settings(directory.Path, old, "old-password"));
        Assert.False(oldOnly.Get<WebhookSecrets>().TryDecrypt(stored, out _));
    }

    private static Task InitializeAsync(DataServices data) =>
        data.Get<DatabaseInitializer>().InitializeAsync(data.Get<DashboardSettings>(), "no-fleet.json", TestContext.Current.CancellationToken);

    [Theory]
    [InlineData("missing.pfx", "cannot be read")]
    [InlineData("public-only.pem", "has no private key")]
    public async Task ACertificateThatCannotDecrypt_StopsTheStart_NamingTheSetting(string name, string reason)
    {
        using var directory = new TempDirectory();
        var path = Path.Combine(directory.Path, name);
        if (name.StartsWith("public", StringComparison.Ordinal))
        {
            using var certificate = NewCertificate();
            await File.WriteAllTextAsync(path, certificate.ExportCertificatePem(), TestContext.Current.CancellationToken);
        }
        await using var data = new DataServices(settings: Settings(directory.Path, path, password: null));

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => InitializeAsync(data));
        Assert.Contains("Dashboard:KeyCertificate", error.Message, StringComparison.Ordinal);
        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
    }

    private static Dictionary<string, string?> Settings(string directory, string? certificate, string? password) => new()
    {
        ["Dashboard:DataDirectory"] = directory,
        ["Dashboard:KeyCertificate"] = certificate,
        ["Dashboard:KeyCertificatePassword"] = password,
        ["Dashboard:Demo"] = "false",
    };

    private static string[] KeyFiles(string directory) => Directory.GetFiles(Path.Combine(directory, "keys"), "*.xml");

    private static X509Certificate2 NewCertificate()
    {
        using var rsa = RSA.Create(2048);
        var request = new CertificateRequest("CN=dashboard key ring", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(1));
    }

    private static string WritePfx(string directory, string name, string password)
    {
        using var certificate = NewCertificate();
        var path = Path.Combine(directory, name);
        File.WriteAllBytes(path, certificate.Export(X509ContentType.Pkcs12, password));
        return path;
    }

    private static string WritePem(string directory, string name)
    {
        using var certificate = NewCertificate();
        using var key = certificate.GetRSAPrivateKey()!;
        var path = Path.Combine(directory, name);
        File.WriteAllText(path, certificate.ExportCertificatePem() + "\n" + key.ExportPkcs8PrivateKeyPem());
        return path;
    }
}
