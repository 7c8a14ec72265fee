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

    private readonly Lazy<X509Certificate2?> _certificate = new(() =>
        LoadCertificate(settings.KeyCertificate, settings.KeyCertificatePassword, "Dashboard:KeyCertificate"));
    private readonly Lazy<X509Certificate2?> _previous = new(() =>
        LoadCertificate(settings.PreviousKeyCertificate, settings.PreviousKeyCertificatePassword, "Dashboard:PreviousKeyCertificate"));

    private DirectoryInfo Directory => new(Path.Combine(Path.GetFullPath(settings.DataDirectory), "keys"));

    public void Configure(KeyManagementOptions options)
    {
        var directory = Directory;
        directory.Create();
        options.XmlRepository = new FileSystemXmlRepository(directory, loggers);
        if (_certificate.Value is { } certificate) options.XmlEncryptor = new KeyCertificateEncryptor(certificate, loggers);
    }

    /// <summary>The certificates keys may be encrypted to: the current one, then the one it replaces.</summary>
    public IEnumerable<X509Certificate2> DecryptionCertificates =>
        new[] { _certificate.Value, _previous.Value }.OfType<X509Certificate2>();

    /// <summary>
    /// Brings every key file to the current certificate, in place: keys written before a certificate was configured
    /// are encrypted (Data Protection encrypts only the keys it creates, and the ring's current key would otherwise
    /// stay readable until it expires), and keys encrypted to <see cref="DashboardSettings.PreviousKeyCertificate"/>
    /// are decrypted with it and encrypted again, so that the previous certificate can then be retired. Each file is
    /// replaced whole (written beside it, then renamed over it), so a crash leaves the old or the new.
    /// </summary>
    /// <returns>How many key files were rewritten.</returns>
    public int ProtectKeys()
    {
        var directory = Directory;
        return _certificate.Value is { } certificate && directory.Exists ? ProtectKeys(directory, certificate) : 0;
    }

    // Apart, so that a node without a certificate never compiles (and maps) the XML-encryption code.
    private int ProtectKeys(DirectoryInfo directory, X509Certificate2 certificate)
    {
        var encryptor = new KeyCertificateEncryptor(certificate, loggers);
        var rewritten = 0;
        foreach (var file in directory.EnumerateFiles("*.xml"))
        {
            var key = XElement.Load(file.FullName);
            var plain = key.Descendants().Where(e => (bool?)e.Attribute(RequiresEncryption) == true && e.Ancestors(EncryptedSecret).FirstOrDefault() is null).ToList();
            var elsewhere = key.Descendants(EncryptedSecret)
                .Where(e => !KeyCertificateDecryptor.RecipientThumbprints(e).Contains(certificate.Thumbprint, StringComparer.OrdinalIgnoreCase)).ToList();
            if (plain.Count == 0 && elsewhere.Count == 0) continue;
            foreach (var secret in plain) secret.ReplaceWith(Encrypted(encryptor, secret));
            foreach (var secret in elsewhere)
            {
                XElement decrypted;
                try { decrypted = KeyCertificateDecryptor.Decrypt(secret.Elements().Single(), DecryptionCertificates); }
                catch (CryptographicException ex)
                {
                    throw new InvalidOperationException($"Data-protection key file {file.Name}: {ex.Message} Set Dashboard:PreviousKeyCertificate to that "
                        + "certificate for one start, or remove the file (the sign-ins and webhook secrets its key protects are then lost).", ex);
                }
                secret.ReplaceWith(Encrypted(encryptor, decrypted));
            }
            var temporary = file.FullName + ".encrypting";
            key.Save(temporary);
            File.Move(temporary, file.FullName, overwrite: true);
            rewritten++;
        }
        return rewritten;
    }

    private static XElement Encrypted(KeyCertificateEncryptor encryptor, XElement secret)
    {
        var info = encryptor.Encrypt(secret);
        return new XElement(EncryptedSecret, new XAttribute("decryptorType", info.DecryptorType.AssemblyQualifiedName!), info.EncryptedElement);
    }

    private static X509Certificate2? LoadCertificate(string? file, string? password, string setting)
    {
        if (string.IsNullOrWhiteSpace(file)) return null;
        var path = Path.GetFullPath(file);
        X509Certificate2 certificate;
        try
        {
            var pem = Path.GetExtension(path).ToLowerInvariant() is ".pem" or ".crt" or ".cer";
            // A PEM file with only the certificate is a common mistake (the key in a file of its own): say so.
            if (pem && !File.ReadAllText(path).Contains("PRIVATE KEY-----", StringComparison.Ordinal))
                throw new InvalidOperationException($"{setting} '{path}' has no private key: put the certificate and its key in one PEM file.");
            certificate = pem switch
            {
                true when string.IsNullOrEmpty(password) => X509Certificate2.CreateFromPemFile(path),
                true => X509Certificate2.CreateFromEncryptedPemFile(path, password),
                false => X509CertificateLoader.LoadPkcs12FromFile(path, password),
            };
        }
        catch (Exception ex) when (ex is CryptographicException or IOException or UnauthorizedAccessException or ArgumentException)
        {
            throw new InvalidOperationException($"{setting} '{path}' cannot be read: {ex.Message}", ex);
        }
        if (!certificate.HasPrivateKey)
            throw new InvalidOperationException($"{setting} '{path}' has no private key: the key ring could be encrypted but never read back.");
        using var rsa = certificate.GetRSAPrivateKey();
        if (rsa is null)
            throw new InvalidOperationException($"{setting} '{path}' is not an RSA certificate: key-ring encryption (XML encryption) needs RSA.");
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

/// <summary>
/// Decrypts key-ring secrets encrypted by <see cref="KeyCertificateEncryptor"/>, with whichever configured certificate
/// (current or previous) the secret was encrypted to.
/// </summary>
internal sealed class KeyCertificateDecryptor(IServiceProvider services) : IXmlDecryptor
{
    private static readonly XNamespace Signature = "http://www.w3.org/2000/09/xmldsig#";

    public XElement Decrypt(XElement encryptedElement) =>
        Decrypt(encryptedElement, services.GetRequiredService<DataProtectionKeysInDataDirectory>().DecryptionCertificates);

    /// <summary>Thumbprints of the certificates an encrypted secret names as its recipients (XML encryption's X509Data).</summary>
    public static IEnumerable<string> RecipientThumbprints(XElement encrypted)
    {
        foreach (var element in encrypted.Descendants(Signature + "X509Certificate"))
        {
            using var recipient = X509CertificateLoader.LoadCertificate(Convert.FromBase64String(element.Value.Trim()));
            yield return recipient.Thumbprint;
        }
    }

    public static XElement Decrypt(XElement encryptedElement, IEnumerable<X509Certificate2> certificates)
    {
        var recipients = RecipientThumbprints(encryptedElement).ToList();
        var certificate = certificates.FirstOrDefault(c => recipients.Contains(c.Thumbprint, StringComparer.OrdinalIgnoreCase))
            ?? throw new CryptographicException(
                $"A data-protection key is encrypted to certificate {string.Join(", ", recipients)}, which is neither Dashboard:KeyCertificate nor Dashboard:PreviousKeyCertificate.");
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
