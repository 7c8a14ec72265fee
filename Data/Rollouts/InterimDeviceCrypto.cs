using System.Security.Cryptography;
using System.Text;

namespace Dashboard.Data.Rollouts;

// INTERIM: replaced by Dashboard.Data.Rollouts.Devices.DeviceSignatures / DeviceTokenService once they are on main.
internal static class InterimDeviceSignatures
{
    public static string Normalize(string pem) => pem.Replace("\r\n", "\n").Trim() + "\n";

    public static bool Verify(string publicKeyPem, ReadOnlySpan<byte> body, string signatureBase64)
    {
        byte[] signature;
        try { signature = Convert.FromBase64String(signatureBase64); } catch (FormatException) { return false; }
        try
        {
            using var rsa = RSA.Create();
            rsa.ImportFromPem(publicKeyPem);
            return rsa.VerifyData(body, signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        }
        catch (CryptographicException) { }
        catch (ArgumentException) { }
        try
        {
            using var ecdsa = ECDsa.Create();
            ecdsa.ImportFromPem(publicKeyPem);
            return ecdsa.VerifyData(body, signature, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
        }
        catch (CryptographicException) { return false; }
        catch (ArgumentException) { return false; }
    }
}

internal sealed class InterimDeviceTokens
{
    private readonly byte[] _key = RandomNumberGenerator.GetBytes(32);

    public string Issue(string deviceId, DateTime expiresAtUtc)
    {
        var payload = $"{deviceId}|{expiresAtUtc.Ticks}";
        var mac = Convert.ToHexString(HMACSHA256.HashData(_key, Encoding.UTF8.GetBytes(payload)));
        return Convert.ToBase64String(Encoding.UTF8.GetBytes(payload)) + "." + mac;
    }

    public bool TryValidate(string token, DateTime now, out string deviceId)
    {
        deviceId = "";
        var dot = token.IndexOf('.', StringComparison.Ordinal);
        if (dot <= 0) return false;
        string payload;
        try { payload = Encoding.UTF8.GetString(Convert.FromBase64String(token[..dot])); } catch (FormatException) { return false; }
        var mac = Convert.ToHexString(HMACSHA256.HashData(_key, Encoding.UTF8.GetBytes(payload)));
        if (!CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(mac), Encoding.ASCII.GetBytes(token[(dot + 1)..]))) return false;
        var parts = payload.Split('|');
        if (parts.Length != 2 || !long.TryParse(parts[1], out var ticks) || ticks < now.Ticks) return false;
        deviceId = parts[0];
        return true;
    }
}
