using System.Security.Cryptography;
using Org.BouncyCastle.Crypto.Generators;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Crypto.Signers;
using Org.BouncyCastle.Security;

namespace Dashboard.MenderFleet;

/// <summary>A virtual device's own key pair, signing auth requests the way the Mender client does.</summary>
public abstract class DeviceKey : IDisposable
{
    /// <summary>SubjectPublicKeyInfo PEM with a trailing newline, as the client sends it.</summary>
    public abstract string PublicKeyPem { get; }
    public abstract byte[] Sign(byte[] body);
    public virtual void Dispose() => GC.SuppressFinalize(this);

    /// <summary><c>ecdsa</c> (P-256, cheap to make: the default), <c>ed25519</c>, <c>rsa</c> (2048 bits: slow to make), or <c>mixed</c> (by device number).</summary>
    public static DeviceKey Create(string kind, int deviceNumber) => (kind == "mixed" ? (deviceNumber % 3) switch { 0 => "ecdsa", 1 => "ed25519", _ => "rsa" } : kind) switch
    {
        "ecdsa" => new Ecdsa(),
        "ed25519" => new Ed25519(),
        "rsa" => new Rsa(),
        _ => throw new ArgumentException($"Unknown key kind '{kind}' (ecdsa, ed25519, rsa, mixed)."),
    };

    private sealed class Ecdsa : DeviceKey
    {
        private readonly ECDsa _key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        public Ecdsa() => PublicKeyPem = _key.ExportSubjectPublicKeyInfoPem() + "\n";
        public override string PublicKeyPem { get; }
        // Go's ecdsa.SignASN1: a DER SEQUENCE { r, s } over SHA-256 of the body.
        public override byte[] Sign(byte[] body) => _key.SignData(body, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
        public override void Dispose() { _key.Dispose(); base.Dispose(); }
    }

    private sealed class Rsa : DeviceKey
    {
        private readonly RSA _key = RSA.Create(2048);
        public Rsa() => PublicKeyPem = _key.ExportSubjectPublicKeyInfoPem() + "\n";
        public override string PublicKeyPem { get; }
        public override byte[] Sign(byte[] body) => _key.SignData(body, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        public override void Dispose() { _key.Dispose(); base.Dispose(); }
    }

    private sealed class Ed25519 : DeviceKey
    {
        private readonly Ed25519PrivateKeyParameters _private;

        public Ed25519()
        {
            var generator = new Ed25519KeyPairGenerator();
            generator.Init(new Ed25519KeyGenerationParameters(new SecureRandom()));
            var pair = generator.GenerateKeyPair();
            _private = (Ed25519PrivateKeyParameters)pair.Private;
            var raw = ((Ed25519PublicKeyParameters)pair.Public).GetEncoded();
            // SEQUENCE { SEQUENCE { OID 1.3.101.112 }, BIT STRING key } (RFC 8410)
            PublicKeyPem = PemEncoding.WriteString("PUBLIC KEY", [0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00, .. raw]) + "\n";
        }

        public override string PublicKeyPem { get; }

        public override byte[] Sign(byte[] body)
        {
            var signer = new Ed25519Signer();
            signer.Init(forSigning: true, _private);
            signer.BlockUpdate(body, 0, body.Length);
            return signer.GenerateSignature();
        }
    }
}
