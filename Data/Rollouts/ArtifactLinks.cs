using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Dashboard.Data.Rollouts;

/// <summary>
/// Self-authorising, expiring download links for artifacts: the daemon fetches the URI it was given
/// with no Authorization header, so the link itself carries the proof (an HMAC over the artifact id
/// and the expiry). The key is kept in the data directory, so links survive a restart.
/// </summary>
public sealed class ArtifactLinks
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromHours(1);
    private readonly Lazy<byte[]> _key;
    private readonly TimeProvider _clock;

    public ArtifactLinks(DashboardSettings settings, TimeProvider clock)
    {
        _clock = clock;
        _key = new Lazy<byte[]>(() => LoadKey(Path.Combine(Path.GetFullPath(settings.DataDirectory), "artifact-links.key")));
    }

    /// <summary>The path and query of a link to <paramref name="artifactId"/>, and when it expires.</summary>
    public (string PathAndQuery, DateTime ExpiresAt) Create(string artifactId)
    {
        var expires = _clock.GetUtcNow().UtcDateTime + Lifetime;
        var unix = new DateTimeOffset(expires).ToUnixTimeSeconds();
        var expiresAt = DateTimeOffset.FromUnixTimeSeconds(unix).UtcDateTime;
        return ($"/api/devices/v1/deployments/download/artifacts/{Uri.EscapeDataString(artifactId)}?expire={unix}&signature={Signature(artifactId, unix)}", expiresAt);
    }

    public bool IsValid(string artifactId, string? expire, string? signature)
    {
        if (!long.TryParse(expire, NumberStyles.None, CultureInfo.InvariantCulture, out var unix) || string.IsNullOrEmpty(signature)) return false;
        if (DateTimeOffset.FromUnixTimeSeconds(Math.Min(unix, 253402300799)).UtcDateTime < _clock.GetUtcNow().UtcDateTime) return false;
        return CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(Signature(artifactId, unix)), Encoding.ASCII.GetBytes(signature));
    }

    private string Signature(string artifactId, long unix) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(_key.Value, Encoding.UTF8.GetBytes($"{artifactId}\n{unix}")));

    private static byte[] LoadKey(string path)
    {
        if (File.Exists(path)) return File.ReadAllBytes(path);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var key = RandomNumberGenerator.GetBytes(32);
        try
        {
            using var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write);
            file.Write(key);
            return key;
        }
        catch (IOException) when (File.Exists(path))
        {
            return File.ReadAllBytes(path); // another host on this directory wrote it first
        }
    }
}
