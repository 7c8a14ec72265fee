using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Dashboard.Jobs.Demo;

/// <summary>
/// Writes a small Mender artifact (format version 3, gzip, one <c>single-file</c> module payload), the
/// shape Debian's <c>mender-artifact write module-image -T single-file</c> produces, so the demo can upload
/// a real artifact through the same upload path as an operator, with no external tool at run time.
/// </summary>
public static class DemoArtifact
{
    public const string PayloadType = "single-file";

    public static byte[] Write(string artifactName, IReadOnlyList<string> deviceTypes, string fileName, string content)
    {
        var version = Encoding.UTF8.GetBytes("""{"format":"mender","version":3}""");
        var header = Gzip(Tar([
            ("header-info", Json(new
            {
                payloads = new[] { new { type = PayloadType } },
                artifact_provides = new Dictionary<string, string> { ["artifact_name"] = artifactName },
                artifact_depends = new Dictionary<string, IReadOnlyList<string>> { ["device_type"] = deviceTypes },
            })),
            ("headers/0000/type-info", Json(new Dictionary<string, object>
            {
                ["type"] = PayloadType,
                ["artifact_provides"] = new Dictionary<string, string> { [$"rootfs-image.{PayloadType}.version"] = artifactName },
                ["clears_artifact_provides"] = new[] { $"rootfs-image.{PayloadType}.*" },
            })),
        ]));
        var file = Encoding.UTF8.GetBytes(content);
        var data = Gzip(Tar([(fileName, file)]));

        // The manifest lists the checksum of every file the reader verifies, sorted by path as mender-artifact does.
        var manifest = Encoding.UTF8.GetBytes(string.Concat(new[]
        {
            ($"data/0000/{fileName}", file),
            ("header.tar.gz", header),
            ("version", version),
        }.OrderBy(m => m.Item1, StringComparer.Ordinal).Select(m => $"{Convert.ToHexStringLower(SHA256.HashData(m.Item2))}  {m.Item1}\n")));

        return Tar([("version", version), ("manifest", manifest), ("header.tar.gz", header), ("data/0000.tar.gz", data)]);
    }

    private static byte[] Json(object value) => JsonSerializer.SerializeToUtf8Bytes(value);

    private static byte[] Tar(IEnumerable<(string Name, byte[] Content)> files)
    {
        using var buffer = new MemoryStream();
        using (var tar = new TarWriter(buffer, TarEntryFormat.Ustar, leaveOpen: true))
        {
            foreach (var (name, content) in files)
            {
                var entry = new UstarTarEntry(TarEntryType.RegularFile, name)
                {
                    DataStream = new MemoryStream(content, writable: false),
                    Mode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
                    ModificationTime = DateTimeOffset.UnixEpoch,
                };
                tar.WriteEntry(entry);
            }
        }
        return buffer.ToArray();
    }

    private static byte[] Gzip(byte[] content)
    {
        using var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.Optimal, leaveOpen: true)) gzip.Write(content);
        return buffer.ToArray();
    }
}
