using System.Formats.Asn1;
using System.Security.Cryptography;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Crypto.Signers;

namespace Dashboard.Data.Rollouts.Devices;

/// <summary>
/// Mender device keys and the <c>X-MEN-Signature</c> of an auth request: a signature over the raw body
/// bytes (trailing newline included) with the key the body itself carries. RSA (PKCS#1 v1.5, SHA-256),
/// ECDSA on the NIST curves (SHA-256, DER signatures as Go writes them) and Ed25519 (pure, 64 bytes),
/// the three key kinds the Mender client can use.
/// </summary>
public static class DeviceSignatures
{
    /// <summary>Smaller RSA keys are refused: the Mender client generates 3072 bits and never fewer than 2048.</summary>
    public const int MinimumRsaBits = 2048;

    private const int MaxPemLength = 16 * 1024;
    private const string RsaOid = "1.2.840.113549.1.1.1";
    private const string EcOid = "1.2.840.10045.2.1";
    private const string Ed25519Oid = "1.3.101.112";
    private static readonly Dictionary<string, string> Curves = new(StringComparer.Ordinal)
    {
        ["1.2.840.10045.3.1.7"] = "P-256",
        ["1.3.132.0.34"] = "P-384",
        ["1.3.132.0.35"] = "P-521",
    };

    /// <summary>True when <paramref name="signatureBase64"/> is a valid signature of <paramref name="body"/> by the key; false for any malformed key or signature.</summary>
    public static bool Verify(string publicKeyPem, ReadOnlySpan<byte> body, string signatureBase64)
    {
        if (string.IsNullOrWhiteSpace(signatureBase64) || signatureBase64.Length > 4096) return false;
        byte[] signature;
        try
        {
            signature = Convert.FromBase64String(signatureBase64.Trim());
        }
        catch (FormatException)
        {
            return false;
        }

        DeviceKey key;
        try
        {
            key = DeviceKey.Parse(publicKeyPem);
        }
        catch (ArgumentException)
        {
            return false;
        }
        return key.Verify(body, signature);
    }

    /// <summary>
    /// The key as canonical SubjectPublicKeyInfo PEM (64-character lines, <c>\n</c>, trailing newline: what
    /// the Mender client itself sends), so one key always compares equal however it was wrapped.
    /// Throws <see cref="ArgumentException"/> with a user-facing message for anything that is not a supported public key.
    /// </summary>
    public static string Normalize(string publicKeyPem) => DeviceKey.Parse(publicKeyPem).Pem;

    /// <summary>A short description of the key for operators: <c>RSA 3072</c>, <c>ECDSA P-256</c>, <c>Ed25519</c>.</summary>
    public static string Describe(string publicKeyPem) => DeviceKey.Parse(publicKeyPem).Description;

    private sealed record DeviceKey(string Algorithm, byte[] SubjectPublicKeyInfo, string Description)
    {
        public string Pem { get; } = PemEncoding.WriteString("PUBLIC KEY", SubjectPublicKeyInfo) + "\n";

        public static DeviceKey Parse(string pem)
        {
            if (string.IsNullOrWhiteSpace(pem)) throw new ArgumentException("The public key is empty.");
            if (pem.Length > MaxPemLength) throw new ArgumentException("The public key is too long.");
            if (!PemEncoding.TryFind(pem, out var fields))
                throw new ArgumentException("The public key is not PEM (expected -----BEGIN PUBLIC KEY-----).");
            var label = pem[fields.Label];
            if (label.Contains("PRIVATE", StringComparison.Ordinal))
                throw new ArgumentException("That is a private key; send the public key (-----BEGIN PUBLIC KEY-----).");
            var der = new byte[fields.DecodedDataLength];
            if (!Convert.TryFromBase64Chars(pem.AsSpan()[fields.Base64Data], der, out var length) || length != der.Length)
                throw new ArgumentException("The public key's PEM body is not valid base64.");

            try
            {
                return label switch
                {
                    "PUBLIC KEY" => FromSubjectPublicKeyInfo(der),
                    "RSA PUBLIC KEY" => Rsa(rsa => rsa.ImportRSAPublicKey(der, out _)),
                    _ => throw new ArgumentException($"A '{label}' PEM is not a public key (expected -----BEGIN PUBLIC KEY-----)."),
                };
            }
            catch (Exception e) when (e is CryptographicException or AsnContentException)
            {
                throw new ArgumentException("The public key is malformed.", e);
            }
        }

        public bool Verify(ReadOnlySpan<byte> body, byte[] signature)
        {
            try
            {
                switch (Algorithm)
                {
                    case RsaOid:
                    {
                        using var rsa = RSA.Create();
                        rsa.ImportSubjectPublicKeyInfo(SubjectPublicKeyInfo, out _);
                        return rsa.VerifyData(body, signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
                    }
                    case EcOid:
                    {
                        using var ecdsa = ECDsa.Create();
                        ecdsa.ImportSubjectPublicKeyInfo(SubjectPublicKeyInfo, out _);
                        // Go writes DER; a raw r||s signature of the key's size is accepted too (other clients).
                        return ecdsa.VerifyData(body, signature, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence)
                            || (signature.Length == ecdsa.GetMaxSignatureSize(DSASignatureFormat.IeeeP1363FixedFieldConcatenation)
                                && ecdsa.VerifyData(body, signature, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation));
                    }
                    case Ed25519Oid:
                    {
                        if (signature.Length != 64) return false;
                        var signer = new Ed25519Signer();
                        signer.Init(forSigning: false, new Ed25519PublicKeyParameters(Ed25519RawKey(SubjectPublicKeyInfo)));
                        signer.BlockUpdate(body);
                        return signer.VerifySignature(signature);
                    }
                    default:
                        return false;
                }
            }
            catch (CryptographicException)
            {
                return false;
            }
        }

        private static DeviceKey FromSubjectPublicKeyInfo(byte[] der)
        {
            var algorithm = AlgorithmOf(der);
            switch (algorithm)
            {
                case RsaOid:
                    return Rsa(rsa => rsa.ImportSubjectPublicKeyInfo(der, out _));
                case EcOid:
                {
                    using var ecdsa = ECDsa.Create();
                    ecdsa.ImportSubjectPublicKeyInfo(der, out _);
                    var curveOid = ecdsa.ExportParameters(includePrivateParameters: false).Curve.Oid?.Value;
                    if (curveOid is null || !Curves.TryGetValue(curveOid, out var curve))
                        throw new ArgumentException($"ECDSA keys must use P-256, P-384 or P-521 (this one uses {curveOid ?? "explicit parameters"}).");
                    return new DeviceKey(EcOid, ecdsa.ExportSubjectPublicKeyInfo(), "ECDSA " + curve);
                }
                case Ed25519Oid:
                {
                    var raw = Ed25519RawKey(der);
                    if (!Org.BouncyCastle.Math.EC.Rfc8032.Ed25519.ValidatePublicKeyFull(raw, 0))
                        throw new ArgumentException("The Ed25519 public key is not a valid curve point.");
                    return new DeviceKey(Ed25519Oid, Ed25519SubjectPublicKeyInfo(raw), "Ed25519");
                }
                default:
                    throw new ArgumentException($"Unsupported key algorithm {algorithm}: device keys are RSA, ECDSA or Ed25519.");
            }
        }

        private static DeviceKey Rsa(Action<RSA> import)
        {
            using var rsa = RSA.Create();
            import(rsa);
            if (rsa.KeySize < MinimumRsaBits)
                throw new ArgumentException($"The RSA key has {rsa.KeySize} bits; at least {MinimumRsaBits} are required.");
            return new DeviceKey(RsaOid, rsa.ExportSubjectPublicKeyInfo(), $"RSA {rsa.KeySize}");
        }

        private static string AlgorithmOf(byte[] subjectPublicKeyInfo)
        {
            var reader = new AsnReader(subjectPublicKeyInfo, AsnEncodingRules.DER);
            var info = reader.ReadSequence();
            reader.ThrowIfNotEmpty();
            return info.ReadSequence().ReadObjectIdentifier();
        }

        /// <summary>SEQUENCE { SEQUENCE { OID 1.3.101.112 }, BIT STRING (32 bytes) } (RFC 8410).</summary>
        private static byte[] Ed25519RawKey(byte[] subjectPublicKeyInfo)
        {
            var reader = new AsnReader(subjectPublicKeyInfo, AsnEncodingRules.DER);
            var info = reader.ReadSequence();
            reader.ThrowIfNotEmpty();
            var algorithm = info.ReadSequence();
            algorithm.ReadObjectIdentifier();
            if (algorithm.HasData) throw new ArgumentException("An Ed25519 key has no algorithm parameters.");
            var key = info.ReadBitString(out var unusedBits);
            info.ThrowIfNotEmpty();
            if (unusedBits != 0 || key.Length != 32) throw new ArgumentException("An Ed25519 public key is 32 bytes.");
            return key;
        }

        private static byte[] Ed25519SubjectPublicKeyInfo(byte[] raw)
        {
            var writer = new AsnWriter(AsnEncodingRules.DER);
            using (writer.PushSequence())
            {
                using (writer.PushSequence()) writer.WriteObjectIdentifier(Ed25519Oid);
                writer.WriteBitString(raw);
            }
            return writer.Encode();
        }
    }
}
