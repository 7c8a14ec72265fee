using System.Buffers;
using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Dashboard.Data.Rollouts.Devices;

/// <summary>
/// Issues and checks the device tokens Mender devices present as <c>Authorization: Bearer</c>: compact
/// HS256 JWTs (<c>sub</c> = device id, <c>exp</c>, <c>iat</c>, <c>jti</c>, <c>iss</c> "Mender",
/// <c>mender.device</c> true, as Mender's own tokens carry). Devices never decode them; the format is
/// ours. The 32-byte key lives in the data directory, so tokens survive restarts, and every instance that
/// shares the data directory accepts the others' tokens. Validation is pure computation (no database),
/// because it runs on every device request; the caller then checks the device is still accepted.
/// </summary>
public sealed class DeviceTokenService
{
    public const string KeyFileName = "device-token.key";

    // Only this exact header is accepted, which also shuts out "alg":"none" and algorithm confusion.
    private static readonly string Header = Base64Url.EncodeToString("""{"alg":"HS256","typ":"JWT"}"""u8);
    private const int KeyBytes = 32;
    private const int MaxTokenLength = 2048;
    // The base64url alphabet and the dots: the decoder would skip whitespace, the token must not contain any.
    private static readonly SearchValues<char> TokenCharacters = SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.");

    private readonly byte[] _key;
    private readonly TimeProvider _clock;

    public DeviceTokenService(DashboardSettings settings, TimeProvider clock)
    {
        _clock = clock;
        _key = LoadOrCreateKey(Path.Combine(Path.GetFullPath(settings.DataDirectory), KeyFileName));
    }

    /// <summary>A token for <paramref name="deviceId"/> valid until <paramref name="expiresAtUtc"/> (whole seconds); bare text, no newline.</summary>
    public string Issue(string deviceId, DateTime expiresAtUtc)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(deviceId);
        var payload = JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object>
        {
            ["jti"] = Guid.NewGuid().ToString(),
            ["sub"] = deviceId,
            ["exp"] = new DateTimeOffset(DateTime.SpecifyKind(expiresAtUtc, DateTimeKind.Utc)).ToUnixTimeSeconds(),
            ["iat"] = _clock.GetUtcNow().ToUnixTimeSeconds(),
            ["iss"] = "Mender",
            ["mender.device"] = true,
        });
        var signingInput = Header + "." + Base64Url.EncodeToString(payload);
        return signingInput + "." + Base64Url.EncodeToString(Sign(signingInput));
    }

    /// <summary>True when the token was issued with this key, is unaltered and has not expired (by the app's clock).</summary>
    public bool TryValidate(string token, out string deviceId)
    {
        deviceId = "";
        if (string.IsNullOrEmpty(token) || token.Length > MaxTokenLength || token.AsSpan().ContainsAnyExcept(TokenCharacters)) return false;
        var firstDot = token.IndexOf('.', StringComparison.Ordinal);
        var lastDot = token.LastIndexOf('.');
        if (firstDot <= 0 || lastDot == firstDot || !token.AsSpan(0, firstDot).SequenceEqual(Header)) return false;

        Span<byte> signature = stackalloc byte[HMACSHA256.HashSizeInBytes];
        if (!Base64Url.TryDecodeFromChars(token.AsSpan(lastDot + 1), signature, out var signatureLength)
            || signatureLength != signature.Length
            || !CryptographicOperations.FixedTimeEquals(signature, Sign(token[..lastDot])))
            return false;

        byte[] payload;
        try
        {
            payload = Base64Url.DecodeFromChars(token.AsSpan(firstDot + 1, lastDot - firstDot - 1));
        }
        catch (FormatException)
        {
            return false;
        }
        if (!TryReadClaims(payload, out var subject, out var expires)) return false;
        if (_clock.GetUtcNow().ToUnixTimeSeconds() >= expires) return false;
        deviceId = subject;
        return true;
    }

    private byte[] Sign(string signingInput) => HMACSHA256.HashData(_key, Encoding.ASCII.GetBytes(signingInput));

    private static bool TryReadClaims(byte[] payload, out string subject, out long expires)
    {
        subject = "";
        expires = 0;
        try
        {
            using var document = JsonDocument.Parse(payload);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object
                || !root.TryGetProperty("sub", out var sub) || sub.ValueKind != JsonValueKind.String
                || !root.TryGetProperty("exp", out var exp) || !exp.TryGetInt64(out expires)
                || !root.TryGetProperty("mender.device", out var device) || device.ValueKind != JsonValueKind.True)
                return false;
            subject = sub.GetString()!;
            return subject.Length > 0;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static byte[] LoadOrCreateKey(string path)
    {
        if (TryRead(path) is { } existing) return existing;

        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temporary = path + "." + Guid.NewGuid().ToString("N")[..8] + ".tmp";
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!System.OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        using (var file = new FileStream(temporary, options)) file.Write(RandomNumberGenerator.GetBytes(KeyBytes));
        try
        {
            // Another instance sharing the data directory may win the race: then its key is the key.
            File.Move(temporary, path, overwrite: false);
        }
        catch (IOException) when (File.Exists(path))
        {
            File.Delete(temporary);
        }
        return TryRead(path) ?? throw new InvalidOperationException($"The device token key {path} could not be created.");
    }

    private static byte[]? TryRead(string path)
    {
        if (!File.Exists(path)) return null;
        var key = File.ReadAllBytes(path);
        if (key.Length != KeyBytes)
            throw new InvalidOperationException($"The device token key {path} has {key.Length} bytes, not {KeyBytes}; delete it to make a new one (issued device tokens stop working).");
        return key;
    }
}
