using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Xml.Linq;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.DataProtection.Repositories;
using Microsoft.AspNetCore.DataProtection.XmlEncryption;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Dashboard.Data;

/// <summary>
/// Keeps the data-protection key ring in the data directory: the keys that sign sign-in cookies (people
/// and the kiosk stay signed in across restarts) and that encrypt webhook signing secrets at rest
/// (<see cref="Webhooks.WebhookSecrets"/>). Nodes on one PostgreSQL share the directory, so they share the ring.
/// With <see cref="DashboardSettings.KeyCertificate"/> the keys themselves are encrypted to that certificate,
/// so a copy of the directory is not enough to read them (docs/decisions/0022-key-ring-encrypted-to-a-certificate.md).
/// </summary>
public sealed class DataProtectionKeysInDataDirectory(DashboardSettings settings, ILoggerFactory loggers) : IConfigureOptions<KeyManagementOptions>
{
    // The namespace and names Data Protection writes around an encrypted secret in a key file.
    private static readonly XNamespace KeyRing = "http://schemas.asp.net/2015/03/dataProtection";
    private static readonly XName RequiresEncryption = KeyRing + "requiresEncryption";
    private static readonly XName EncryptedSecret = KeyRing + "encryptedSecret";

    private readonly Lazy<X509Certificate2?> _certificate = new(() => LoadCertificate(settings));

    private DirectoryInfo Directory => new(Path.Combine(Path.GetFullPath(settings.DataDirectory), "keys"));

    public void Configure(KeyManagementOptions options)
    {
        var directory = Directory;
        directory.Create();
        options.XmlRepository = new FileSystemXmlRepository(directory, loggers);
        if (_certificate.Value is { } certificate) options.XmlEncryptor = new KeyCertificateEncryptor(certificate, loggers);
    }

    /// <summary>The configured certificate, loaded and checked once; null when none is configured.</summary>
    public X509Certificate2? Certificate => _certificate.Value;

    /// <summary>
    /// Encrypts, in place, the keys written before a certificate was configured: Data Protection encrypts only
    /// the keys it creates, and the ring's current key would otherwise stay readable until it expires. Each
    /// file is replaced whole (written beside it, then renamed over it), so a crash leaves the old or the new.
    /// </summary>
    /// <returns>How many key files were encrypted.</returns>
    public int EncryptPlainKeys()
    {
        var directory = Directory;
        return _certificate.Value is { } certificate && directory.Exists ? EncryptPlainKeys(directory, certificate) : 0;
    }

    // Apart, so that a node without a certificate never compiles (and maps) the XML-encryption code.
    private int EncryptPlainKeys(DirectoryInfo directory, X509Certificate2 certificate)
    {
        var encryptor = new KeyCertificateEncryptor(certificate, loggers);
        var encrypted = 0;
        foreach (var file in directory.EnumerateFiles("*.xml"))
        {
            var key = XElement.Load(file.FullName);
            var secrets = key.Descendants().Where(e => (bool?)e.Attribute(RequiresEncryption) == true && e.Ancestors(EncryptedSecret).FirstOrDefault() is null).ToList();
            if (secrets.Count == 0) continue;
            foreach (var secret in secrets)
            {
                var info = encryptor.Encrypt(secret);
                secret.ReplaceWith(new XElement(EncryptedSecret,
                    new XAttribute("decryptorType", info.DecryptorType.AssemblyQualifiedName!),
                    info.EncryptedElement));
            }
            var temporary = file.FullName + ".encrypting";
            key.Save(temporary);
            File.Move(temporary, file.FullName, overwrite: true);
            encrypted++;
        }
        return encrypted;
    }

    private static X509Certificate2? LoadCertificate(DashboardSettings settings)
    {
        if (string.IsNullOrWhiteSpace(settings.KeyCertificate)) return null;
        var path = Path.GetFullPath(settings.KeyCertificate);
        X509Certificate2 certificate;
        try
        {
            var pem = Path.GetExtension(path).ToLowerInvariant() is ".pem" or ".crt" or ".cer";
            // A PEM file with only the certificate is a common mistake (the key in a file of its own): say so.
            if (pem && !File.ReadAllText(path).Contains("PRIVATE KEY-----", StringComparison.Ordinal))
                throw new InvalidOperationException($"Dashboard:KeyCertificate '{path}' has no private key: put the certificate and its key in one PEM file.");
            certificate = pem switch
            {
                true when string.IsNullOrEmpty(settings.KeyCertificatePassword) => X509Certificate2.CreateFromPemFile(path),
                true => X509Certificate2.CreateFromEncryptedPemFile(path, settings.KeyCertificatePassword),
                false => X509CertificateLoader.LoadPkcs12FromFile(path, settings.KeyCertificatePassword),
            };
        }
        catch (Exception ex) when (ex is CryptographicException or IOException or UnauthorizedAccessException or ArgumentException)
        {
            throw new InvalidOperationException($"Dashboard:KeyCertificate '{path}' cannot be read: {ex.Message}", ex);
        }
        if (!certificate.HasPrivateKey)
            throw new InvalidOperationException($"Dashboard:KeyCertificate '{path}' has no private key: the key ring could be encrypted but never read back.");
        if (certificate.GetRSAPrivateKey() is null)
            throw new InvalidOperationException($"Dashboard:KeyCertificate '{path}' is not an RSA certificate: key-ring encryption (XML encryption) needs RSA.");
        return certificate;
    }
}

/// <summary>
/// XML encryption to the configured certificate (Data Protection's own), recorded with <see cref="KeyCertificateDecryptor"/>
/// as the decryptor: Data Protection's certificate decryptor finds its certificate only through registration-time
/// options or the machine's certificate stores, and the dashboard's settings are read later than that.
/// </summary>
internal sealed class KeyCertificateEncryptor(X509Certificate2 certificate, ILoggerFactory loggers) : IXmlEncryptor
{
    private readonly CertificateXmlEncryptor _inner = new(certificate, loggers);

    public EncryptedXmlInfo Encrypt(XElement plaintextElement) =>
        new(_inner.Encrypt(plaintextElement).EncryptedElement, typeof(KeyCertificateDecryptor));
}

/// <summary>Decrypts key-ring secrets encrypted by <see cref="KeyCertificateEncryptor"/> with the configured certificate's private key.</summary>
internal sealed class KeyCertificateDecryptor(IServiceProvider services) : IXmlDecryptor
{
    public XElement Decrypt(XElement encryptedElement)
    {
        var certificate = services.GetRequiredService<DataProtectionKeysInDataDirectory>().Certificate
            ?? throw new InvalidOperationException("The data-protection keys are encrypted to a certificate, and Dashboard:KeyCertificate is not set.");
        using var key = certificate.GetRSAPrivateKey()!;
        // EncryptedXml decrypts in place inside a document; a wrapper root keeps the element replaceable.
        var document = new System.Xml.XmlDocument { PreserveWhitespace = true };
        document.Load(new XElement("root", encryptedElement).CreateReader());
        new CertificateEncryptedXml(document, key).DecryptDocument();
        return XElement.Load(new System.Xml.XmlNodeReader(document.DocumentElement!.FirstChild!));
    }

    private sealed class CertificateEncryptedXml(System.Xml.XmlDocument document, RSA key) : System.Security.Cryptography.Xml.EncryptedXml(document)
    {
        public override byte[]? DecryptEncryptedKey(System.Security.Cryptography.Xml.EncryptedKey encryptedKey) =>
            DecryptKey(encryptedKey.CipherData.CipherValue!, key, encryptedKey.EncryptionMethod?.KeyAlgorithm == XmlEncRSAOAEPUrl);
    }
}
