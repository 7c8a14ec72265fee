using System.Text;

namespace Dashboard.Data.Rollouts.Artifacts;

/// <summary>
/// The <c>manifest</c> (and <c>manifest-augment</c>) member: one <c>&lt;sha256 hex&gt;  &lt;path&gt;</c> line per
/// checksummed file. Remembers which entries were verified, so a file the manifest promises but the
/// archive lacks is caught at the end.
/// </summary>
internal sealed class ArtifactManifest
{
    private readonly Dictionary<string, string> _checksums = new(StringComparer.Ordinal);
    private readonly HashSet<string> _verified = new(StringComparer.Ordinal);

    public void Add(string member, byte[] content)
    {
        string text;
        try
        {
            text = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(content);
        }
        catch (DecoderFallbackException)
        {
            throw new ArtifactFormatException($"The {member} is not text: the artifact is corrupt.");
        }

        var lineNumber = 0;
        foreach (var rawLine in text.Split('\n'))
        {
            lineNumber++;
            var line = rawLine.TrimEnd('\r');
            if (line.Length == 0) continue;
            var space = line.IndexOf(' ', StringComparison.Ordinal);
            var checksum = space < 0 ? line : line[..space];
            var path = space < 0 ? "" : line[space..].TrimStart(' ');
            if (checksum.Length != 64 || !checksum.All(Uri.IsHexDigit) || path.Length == 0)
                throw new ArtifactFormatException($"The {member} line {lineNumber} is not '<sha256>  <file>': the artifact is corrupt.");
            if (!_checksums.TryAdd(path, checksum.ToLowerInvariant()))
                throw new ArtifactFormatException($"The manifest lists '{path}' twice.");
        }
    }

    /// <summary>Throws unless <paramref name="path"/> is listed with exactly <paramref name="actual"/>.</summary>
    public void Verify(string path, string actual)
    {
        if (!_checksums.TryGetValue(path, out var expected))
            throw new ArtifactFormatException($"'{path}' is not listed in the artifact's manifest: the artifact was modified or is corrupt.");
        if (!string.Equals(expected, actual, StringComparison.Ordinal))
            throw new ArtifactFormatException($"Checksum mismatch for '{path}': the manifest says {expected} but the content hashes to {actual}. The artifact was modified or is corrupt.");
        _verified.Add(path);
    }

    /// <summary>Throws when the manifest promises a file the archive did not contain.</summary>
    public void EnsureAllVerified()
    {
        var missing = _checksums.Keys.Where(path => !_verified.Contains(path)).Order(StringComparer.Ordinal).ToList();
        if (missing.Count > 0)
            throw new ArtifactFormatException($"The manifest lists {string.Join(", ", missing.Select(m => $"'{m}'"))} but the artifact does not contain {(missing.Count == 1 ? "it" : "them")}: the file is truncated or was modified.");
    }
}
