using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Dashboard.App.Tests.Infrastructure;
using Dashboard.Data.Rollouts.Devices;

namespace Dashboard.App.Tests.Rollouts.Devices;

/// <summary>Keys and signatures made by openssl, over auth request bodies shaped exactly as the Mender client sends them.</summary>
public sealed class DeviceSignaturesTests : IDisposable
{
    private readonly TempDirectory _directory = new();
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => _directory.Dispose();

    [Theory]
    [InlineData("rsa3072", "RSA 3072")]
    [InlineData("rsa2048", "RSA 2048")]
    [InlineData("p256", "ECDSA P-256")]
    [InlineData("ed25519", "Ed25519")]
    public async Task Verify_AcceptsTheDevicesSignature_AndNothingElse(string kind, string description)
    {
        var (privateKey, publicKey) = await OpenSsl.GenerateAsync(_directory.Path, kind);
        var (otherPrivateKey, _) = await OpenSsl.GenerateAsync(_directory.Path, kind);
        var pem = await File.ReadAllTextAsync(publicKey, Ct);
        var body = AuthRequestBody(pem);
        var signature = await OpenSsl.SignAsync(privateKey, body, ed25519: kind == "ed25519");
        var otherKeysSignature = await OpenSsl.SignAsync(otherPrivateKey, body, ed25519: kind == "ed25519");

        Assert.True(DeviceSignatures.Verify(pem, body, signature));
        Assert.Equal(description, DeviceSignatures.Describe(pem));
        Assert.False(DeviceSignatures.Verify(pem, body[..^1], signature)); // the trailing newline is signed too
        Assert.False(DeviceSignatures.Verify(pem, Tamper(body), signature));
        Assert.False(DeviceSignatures.Verify(pem, body, otherKeysSignature));
        Assert.False(DeviceSignatures.Verify(pem, body, Convert.ToBase64String(Tamper(Convert.FromBase64String(signature)))));
        Assert.False(DeviceSignatures.Verify(pem, body, "not base64!"));
        Assert.False(DeviceSignatures.Verify(pem, body, ""));
        Assert.False(DeviceSignatures.Verify("-----BEGIN PUBLIC KEY-----\ngarbage\n-----END PUBLIC KEY-----\n", body, signature));
    }

    [Fact]
    public void Verify_AcceptsTheRfc8032Ed25519TestVectors()
    {
        // RFC 8032 section 7.1, TEST 1 (empty message) and TEST 2 (one byte, 0x72).
        var test1Key = Ed25519Pem("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
        var test1Signature = Convert.ToBase64String(Convert.FromHexString(
            "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"));
        var test2Key = Ed25519Pem("3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c");
        var test2Signature = Convert.ToBase64String(Convert.FromHexString(
            "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"));

        Assert.True(DeviceSignatures.Verify(test1Key, [], test1Signature));
        Assert.True(DeviceSignatures.Verify(test2Key, [0x72], test2Signature));
        Assert.False(DeviceSignatures.Verify(test2Key, [0x73], test2Signature));
        Assert.False(DeviceSignatures.Verify(test1Key, [0x72], test2Signature));
    }

    [Fact]
    public void Verify_AcceptsARawEcdsaSignature_AsWellAsDer()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var body = "{\"id_data\":\"{}\"}\n"u8.ToArray();
        var raw = key.SignData(body, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);

        Assert.True(DeviceSignatures.Verify(key.ExportSubjectPublicKeyInfoPem(), body, Convert.ToBase64String(raw)));
    }

    [Theory]
    [InlineData("rsa3072")]
    [InlineData("p256")]
    [InlineData("ed25519")]
    public async Task Normalize_GivesOneFormForEveryWrappingOfTheSameKey(string kind)
    {
        var (_, publicKey) = await OpenSsl.GenerateAsync(_directory.Path, kind);
        var pem = await File.ReadAllTextAsync(publicKey, Ct);
        var body = pem.Split('\n', StringSplitOptions.RemoveEmptyEntries)[1..^1];
        var rewrapped = "  -----BEGIN PUBLIC KEY-----\r\n" + string.Join("\r\n", string.Concat(body).Chunk(40).Select(c => new string(c))) + "\r\n-----END PUBLIC KEY-----";

        var normalized = DeviceSignatures.Normalize(pem);

        // What openssl (and Go's pem package in the Mender client) writes is already the canonical form.
        Assert.Equal(pem, normalized);
        Assert.Equal(normalized, DeviceSignatures.Normalize(rewrapped));
        Assert.EndsWith("-----END PUBLIC KEY-----\n", normalized, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Normalize_TurnsAnRsaPkcs1KeyIntoTheSameSubjectPublicKeyInfo()
    {
        var (privateKey, publicKey) = await OpenSsl.GenerateAsync(_directory.Path, "rsa2048");
        var pkcs1 = publicKey + ".pkcs1";
        await OpenSsl.RunAsync("rsa", "-in", privateKey, "-RSAPublicKey_out", "-out", pkcs1);

        Assert.StartsWith("-----BEGIN RSA PUBLIC KEY-----", await File.ReadAllTextAsync(pkcs1, Ct), StringComparison.Ordinal);
        Assert.Equal(DeviceSignatures.Normalize(await File.ReadAllTextAsync(publicKey, Ct)), DeviceSignatures.Normalize(await File.ReadAllTextAsync(pkcs1, Ct)));
    }

    [Fact]
    public async Task Normalize_RejectsAPrivateKey()
    {
        var (privateKey, _) = await OpenSsl.GenerateAsync(_directory.Path, "p256");

        var error = Assert.Throws<ArgumentException>(() => DeviceSignatures.Normalize(File.ReadAllText(privateKey)));

        Assert.Equal("That is a private key; send the public key (-----BEGIN PUBLIC KEY-----).", error.Message);
    }

    [Fact]
    public async Task Normalize_RejectsAWeakRsaKey()
    {
        var (_, publicKey) = await OpenSsl.GenerateAsync(_directory.Path, "rsa1024");

        var error = Assert.Throws<ArgumentException>(() => DeviceSignatures.Normalize(File.ReadAllText(publicKey)));

        Assert.Equal("The RSA key has 1024 bits; at least 2048 are required.", error.Message);
    }

    [Fact]
    public async Task Normalize_RejectsAnUnsupportedCurve()
    {
        var (_, publicKey) = await OpenSsl.GenerateAsync(_directory.Path, "ec:secp256k1");

        var error = Assert.Throws<ArgumentException>(() => DeviceSignatures.Normalize(File.ReadAllText(publicKey)));

        Assert.StartsWith("ECDSA keys must use P-256, P-384 or P-521", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("", "The public key is empty.")]
    [InlineData("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA device", "The public key is not PEM (expected -----BEGIN PUBLIC KEY-----).")]
    [InlineData("-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA\n-----END PUBLIC KEY-----\n", "The public key is malformed.")]
    [InlineData("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n", "A 'CERTIFICATE' PEM is not a public key (expected -----BEGIN PUBLIC KEY-----).")]
    public void Normalize_RejectsWhatIsNotAPublicKey(string pem, string expected)
    {
        var error = Assert.Throws<ArgumentException>(() => DeviceSignatures.Normalize(pem));

        Assert.Equal(expected, error.Message);
    }

    /// <summary>Byte for byte what the Mender 3.4 client's json.Encoder writes: id_data as a JSON string, then tenant_token, pubkey, and a newline.</summary>
    private static byte[] AuthRequestBody(string pem) => Encoding.UTF8.GetBytes(
        "{\"id_data\":" + JsonSerializer.Serialize("{\"mac\":\"02:00:00:00:00:01\"}", GoLike) + ",\"tenant_token\":\"\",\"pubkey\":" + JsonSerializer.Serialize(pem, GoLike) + "}\n");

    // Go escapes only <, > and & in strings; System.Text.Json's default would also escape '+' in the key's base64.
    private static readonly JsonSerializerOptions GoLike = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static byte[] Tamper(byte[] bytes)
    {
        var copy = bytes.ToArray();
        copy[copy.Length / 2] ^= 0x01;
        return copy;
    }

    private static string Ed25519Pem(string rawHex) =>
        PemEncoding.WriteString("PUBLIC KEY", Convert.FromHexString("302a300506032b6570032100" + rawHex));
}
