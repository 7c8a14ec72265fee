using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Dashboard.App.Tests.Infrastructure;
using Dashboard.Data.Rollouts.Artifacts;
using SharpCompress.Compressors.ZStandard;

namespace Dashboard.App.Tests.Rollouts.Artifacts;

/// <summary>Real artifacts written by Debian's mender-artifact 3.9 at test time, and corrupt or tampered copies of them.</summary>
public sealed class MenderArtifactReaderTests : IDisposable
{
    private readonly TempDirectory _directory = new();
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task ReadAsync_ReadsASingleFileModuleImage_WithProvidesDependsAndClears()
    {
        const string content = "hello from a mender artifact\n";
        var path = await MenderArtifactTool.SingleFileAsync(_directory.Path, "release-1", ["board-a", "board-b"], "hello.txt", content,
            "--provides", "app.version:1.2.3", "--depends", "firmware.version:7", "--clears-provides", "app.*");

        var artifact = await ReadAsync(path);

        Assert.Equal(3, artifact.FormatVersion);
        Assert.Equal("release-1", artifact.Name);
        Assert.Equal(["board-a", "board-b"], artifact.DeviceTypesCompatible);
        Assert.False(artifact.Signed);
        Assert.Equal("gzip", artifact.Compression);
        Assert.Equal(new FileInfo(path).Length, artifact.Size);
        // Merged over header-info and the payload's type-info, as Mender's server lists them.
        Assert.Equal("release-1", artifact.Provides["artifact_name"]);
        Assert.Equal("1.2.3", artifact.Provides["app.version"]);
        Assert.Equal("release-1", artifact.Provides["rootfs-image.single-file.version"]);
        Assert.Equal("""["board-a","board-b"]""", artifact.Depends["device_type"].GetRawText());
        Assert.Equal("7", artifact.Depends["firmware.version"].GetString());
        Assert.Contains("app.*", artifact.ClearsProvides);

        var payload = Assert.Single(artifact.Payloads);
        Assert.Equal("single-file", payload.Type);
        Assert.Null(payload.MetaData);
        Assert.Equal("1.2.3", payload.Provides["app.version"]);
        Assert.False(payload.Provides.ContainsKey("artifact_name"));
        Assert.Equal("7", payload.Depends["firmware.version"].GetString());
        var file = Assert.Single(payload.Files);
        Assert.Equal("hello.txt", file.Name);
        Assert.Equal(content.Length, file.Size);
        Assert.Equal(Sha256(content), file.Checksum);
        Assert.NotNull(file.Date);
        Assert.Equal(DateTimeKind.Utc, file.Date!.Value.Kind);
    }

    [Fact]
    public async Task ReadAsync_ReadsAnUncompressedSignedScriptArtifact_WithMetaDataAndSeveralFiles()
    {
        var one = await WriteFileAsync("one.sh", "#!/bin/sh\necho one\n");
        var two = await WriteFileAsync("two.bin", new string('x', 70_000));
        var meta = await WriteFileAsync("meta.json", """{"dest_dir":"/opt/app","mode":"0755"}""");
        var key = await EcPrivateKeyAsync();
        var path = await MenderArtifactTool.WriteAsync(Path.Combine(_directory.Path, "script.mender"),
            "module-image", "-T", "script", "-n", "script-7", "-t", "gateway", "-f", one, "-f", two, "-m", meta,
            "--compression", "none", "-N", "script-6", "-G", "canary", "-g", "stable", "-k", key);

        var artifact = await ReadAsync(path);

        Assert.Equal("script-7", artifact.Name);
        Assert.True(artifact.Signed);
        Assert.Equal("none", artifact.Compression);
        Assert.Equal("stable", artifact.Provides["artifact_group"]);
        Assert.Equal("""["script-6"]""", artifact.Depends["artifact_name"].GetRawText());
        Assert.Equal("""["canary"]""", artifact.Depends["artifact_group"].GetRawText());
        var payload = Assert.Single(artifact.Payloads);
        Assert.Equal("script", payload.Type);
        Assert.Equal(["one.sh", "two.bin"], payload.Files.Select(f => f.Name));
        Assert.Equal(70_000, payload.Files[1].Size);
        Assert.Equal(Sha256(new string('x', 70_000)), payload.Files[1].Checksum);
        Assert.Equal("/opt/app", payload.MetaData!.Value.GetProperty("dest_dir").GetString());
    }

    [Fact]
    public async Task ReadAsync_ReadsAnXzCompressedRootfsImage()
    {
        var image = await WriteFileAsync("rootfs.ext4", new string('r', 300_000));
        var path = await MenderArtifactTool.WriteAsync(Path.Combine(_directory.Path, "rootfs.mender"),
            "rootfs-image", "-n", "rootfs-2", "-t", "board-a", "-t", "board-c", "-f", image, "--compression", "lzma");

        var artifact = await ReadAsync(path);

        Assert.Equal("xz", artifact.Compression);
        Assert.Equal(["board-a", "board-c"], artifact.DeviceTypesCompatible);
        var payload = Assert.Single(artifact.Payloads);
        Assert.Equal("rootfs-image", payload.Type);
        Assert.Equal(Sha256(new string('r', 300_000)), Assert.Single(payload.Files).Checksum);
        Assert.Equal("rootfs-2", artifact.Provides["rootfs-image.version"]);
    }

    [Fact]
    public async Task ReadAsync_ReadsAZstdCompressedArtifact()
    {
        // mender-artifact 3.9 writes no zstd; newer ones do. Recompress a real uncompressed artifact and re-list its header.
        var plain = await MenderArtifactTool.SingleFileAsync(_directory.Path, "zstd-1", ["board-a"], "z.txt", "zstd payload\n", "--compression", "none");
        byte[]? header = null;
        var path = await MenderArtifactTool.RepackAsync(plain, Path.Combine(_directory.Path, "zstd.mender"), (name, bytes) => name switch
        {
            "header.tar" => ("header.tar.zst", header = Zstd(bytes)),
            "data/0000.tar" => ("data/0000.tar.zst", Zstd(bytes)),
            "manifest" => (name, Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(bytes).Replace("header.tar", "header.tar.zst", StringComparison.Ordinal))),
            _ => (name, bytes),
        });
        // The manifest was rewritten before the header was recompressed; fix its checksum line in a second pass.
        var manifestFixed = await MenderArtifactTool.RepackAsync(path, Path.Combine(_directory.Path, "zstd-fixed.mender"), (name, bytes) =>
            name == "manifest" ? (name, Encoding.UTF8.GetBytes(string.Join('\n', Encoding.UTF8.GetString(bytes).Split('\n')
                .Select(l => l.EndsWith("  header.tar.zst", StringComparison.Ordinal) ? $"{Sha256(header!)}  header.tar.zst" : l)))) : (name, bytes));

        var artifact = await ReadAsync(manifestFixed);

        Assert.Equal("zstd", artifact.Compression);
        Assert.Equal(Sha256("zstd payload\n"), Assert.Single(Assert.Single(artifact.Payloads).Files).Checksum);
    }

    [Fact]
    public async Task ReadAsync_ReadsAVersion2Artifact()
    {
        var image = await WriteFileAsync("rootfs.img", "v2 image\n");
        var path = await MenderArtifactTool.WriteAsync(Path.Combine(_directory.Path, "v2.mender"),
            "rootfs-image", "-n", "old-1", "-t", "board-a", "-t", "board-b", "-f", image, "-v", "2");

        var artifact = await ReadAsync(path);

        Assert.Equal(2, artifact.FormatVersion);
        Assert.Equal("old-1", artifact.Name);
        Assert.Equal(["board-a", "board-b"], artifact.DeviceTypesCompatible);
        Assert.Equal("old-1", artifact.Provides["artifact_name"]);
        Assert.Equal("""["board-a","board-b"]""", artifact.Depends["device_type"].GetRawText());
        var payload = Assert.Single(artifact.Payloads);
        Assert.Equal("rootfs-image", payload.Type);
        Assert.Equal("rootfs.img", Assert.Single(payload.Files).Name);
    }

    [Fact]
    public async Task ReadAsync_ReadsAnAugmentedArtifactWithAStateScript()
    {
        var file = await WriteFileAsync("app.bin", "base\n");
        var delta = await WriteFileAsync("delta.bin", "augmented\n");
        var script = await WriteFileAsync("ArtifactInstall_Enter_00", "#!/bin/sh\nexit 0\n");
        var path = await MenderArtifactTool.WriteAsync(Path.Combine(_directory.Path, "augmented.mender"),
            "module-image", "-T", "single-file", "-n", "aug-1", "-t", "board-a", "-f", file,
            "--augment-type", "single-file", "--augment-file", delta, "--augment-provides", "delta.base:aug-0", "-s", script);

        var artifact = await ReadAsync(path);

        Assert.Equal(["ArtifactInstall_Enter_00"], artifact.Scripts);
        var payload = Assert.Single(artifact.Payloads);
        Assert.Equal(["app.bin", "delta.bin"], payload.Files.Select(f => f.Name).Order());
        Assert.Equal("aug-0", payload.Provides["delta.base"]);
    }

    [Fact]
    public async Task ReadAsync_ReadsAnArtifactWithAnEmptyPayload()
    {
        var path = await MenderArtifactTool.WriteAsync(Path.Combine(_directory.Path, "empty.mender"),
            "module-image", "-T", "noop", "-n", "noop-1", "-t", "board-a");

        var artifact = await ReadAsync(path);

        Assert.Empty(Assert.Single(artifact.Payloads).Files);
    }

    [Fact]
    public async Task ReadAsync_ReadsFromAPath()
    {
        var path = await MenderArtifactTool.SingleFileAsync(_directory.Path, "by-path", ["board-a"]);

        var artifact = await MenderArtifactReader.ReadAsync(path, Ct);

        Assert.Equal("by-path", artifact.Name);
    }

    [Fact]
    public async Task ReadAndCopyAsync_StoresTheWholeFile_WhileVerifyingIt()
    {
        var path = await MenderArtifactTool.SingleFileAsync(_directory.Path, "copied", ["board-a"], "big.txt", RandomText(120_000));
        await using var upload = new AsyncOnlyStream(File.OpenRead(path));
        using var stored = new MemoryStream();

        var artifact = await MenderArtifactReader.ReadAndCopyAsync(upload, stored, Ct);

        Assert.Equal("copied", artifact.Name);
        Assert.Equal(await File.ReadAllBytesAsync(path, Ct), stored.ToArray());
        Assert.Equal(stored.Length, artifact.Size);
    }

    [Theory]
    [InlineData(0.5)]
    [InlineData(0.9)]
    public async Task ReadAsync_Rejects_WhenTheFileIsTruncated(double fraction)
    {
        var path = await MenderArtifactTool.SingleFileAsync(_directory.Path, "cut", ["board-a"], "big.txt", RandomText(200_000));
        var bytes = await File.ReadAllBytesAsync(path, Ct);

        var error = await RejectAsync(bytes[..(int)(bytes.Length * fraction)]);

        Assert.Contains("truncated", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReadAsync_Rejects_WhenTheFileStopsAfterTheHeader()
    {
        var path = await MenderArtifactTool.SingleFileAsync(_directory.Path, "no-data", ["board-a"]);
        var cut = await MenderArtifactTool.RepackAsync(path, Path.Combine(_directory.Path, "no-data-cut.mender"),
            (name, bytes) => name.StartsWith("data/", StringComparison.Ordinal) ? null : (name, bytes));

        var error = await RejectAsync(await File.ReadAllBytesAsync(cut, Ct));

        Assert.Contains("describes 1 payload(s) but the artifact contains 0 data file(s)", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReadAsync_Rejects_WhenAByteInsideTheCompressedPayloadIsFlipped()
    {
        var path = await MenderArtifactTool.SingleFileAsync(_directory.Path, "flip-gz", ["board-a"], "big.txt", RandomText(50_000));
        var tampered = await MenderArtifactTool.RepackAsync(path, Path.Combine(_directory.Path, "flip-gz-bad.mender"),
            (name, bytes) => name == "data/0000.tar.gz" ? (name, Flip(bytes, bytes.Length / 2)) : (name, bytes));

        var error = await RejectAsync(await File.ReadAllBytesAsync(tampered, Ct));

        // Either gzip notices (corrupt stream) or the manifest does (checksum): both name the member.
        Assert.Matches("data/0000", error);
        Assert.Matches("corrupt|modified", error);
    }

    [Fact]
    public async Task ReadAsync_Rejects_WhenAPayloadFileIsModified()
    {
        var path = await MenderArtifactTool.SingleFileAsync(_directory.Path, "flip", ["board-a"], "app.txt", "version 1\n", "--compression", "none");
        var tampered = await MenderArtifactTool.RepackAsync(path, Path.Combine(_directory.Path, "flip-bad.mender"),
            (name, bytes) => name == "data/0000.tar" ? (name, ReplaceOnce(bytes, "version 1", "version 2")) : (name, bytes));

        var error = await RejectAsync(await File.ReadAllBytesAsync(tampered, Ct));

        Assert.StartsWith($"Checksum mismatch for 'data/0000/app.txt': the manifest says {Sha256("version 1\n")} but the content hashes to {Sha256("version 2\n")}", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReadAsync_Rejects_WhenTheHeaderIsEdited()
    {
        var path = await MenderArtifactTool.SingleFileAsync(_directory.Path, "honest", ["board-a"]);
        var tampered = await MenderArtifactTool.RepackAsync(path, Path.Combine(_directory.Path, "edited.mender"),
            (name, bytes) => name == "header.tar.gz" ? (name, Gzip(ReplaceOnce(Gunzip(bytes), "board-a", "board-z"))) : (name, bytes));

        var error = await RejectAsync(await File.ReadAllBytesAsync(tampered, Ct));

        Assert.StartsWith("Checksum mismatch for 'header.tar.gz'", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReadAsync_Rejects_WhenAPayloadFileIsNotInTheManifest()
    {
        var path = await MenderArtifactTool.SingleFileAsync(_directory.Path, "extra", ["board-a"], "app.txt", "app\n", "--compression", "none");
        var tampered = await MenderArtifactTool.RepackAsync(path, Path.Combine(_directory.Path, "extra-bad.mender"),
            (name, bytes) => name == "data/0000.tar" ? (name, AddTarFile(bytes, "intruder.sh", "rm -rf /\n")) : (name, bytes));

        var error = await RejectAsync(await File.ReadAllBytesAsync(tampered, Ct));

        Assert.StartsWith("'data/0000/intruder.sh' is not listed in the artifact's manifest", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReadAsync_Rejects_WhenTheManifestListsAMissingFile()
    {
        var path = await MenderArtifactTool.SingleFileAsync(_directory.Path, "missing", ["board-a"]);
        var tampered = await MenderArtifactTool.RepackAsync(path, Path.Combine(_directory.Path, "missing-bad.mender"),
            (name, bytes) => name == "manifest" ? (name, [.. bytes, .. Encoding.UTF8.GetBytes($"{Sha256("x")}  data/0000/ghost.txt\n")]) : (name, bytes));

        var error = await RejectAsync(await File.ReadAllBytesAsync(tampered, Ct));

        Assert.StartsWith("The manifest lists 'data/0000/ghost.txt' but the artifact does not contain it", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReadAsync_Rejects_APlainTarArchive()
    {
        using var tar = new MemoryStream();
        await using (var writer = new TarWriter(tar, leaveOpen: true))
            await writer.WriteEntryAsync(new PaxTarEntry(TarEntryType.RegularFile, "readme.txt") { DataStream = new MemoryStream("hi"u8.ToArray()) }, Ct);

        var error = await RejectAsync(tar.ToArray());

        Assert.Equal("The file is not a Mender artifact: it starts with 'readme.txt', not with the 'version' file.", error);
    }

    [Fact]
    public async Task ReadAsync_Rejects_AZipFile()
    {
        using var zip = new MemoryStream();
        using (var archive = new ZipArchive(zip, ZipArchiveMode.Create, leaveOpen: true))
        {
            using var entry = archive.CreateEntry("version").Open();
            entry.Write("""{"format":"mender","version":3}"""u8);
        }

        var error = await RejectAsync(zip.ToArray());

        Assert.StartsWith("The file is not a Mender artifact", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReadAsync_Rejects_RandomBytes()
    {
        var bytes = new byte[100_000];
        new Random(9).NextBytes(bytes);

        var error = await RejectAsync(bytes);

        Assert.Equal("The file is not a Mender artifact: it is not a tar archive.", error);
    }

    [Fact]
    public async Task ReadAsync_Rejects_AnEmptyFile()
    {
        Assert.Equal("The file is not a Mender artifact: the file is empty.", await RejectAsync([]));
    }

    [Theory]
    [InlineData("""{"format":"mender","version":4}""", "Mender artifact format version 4 is not supported")]
    [InlineData("""{"format":"docker","version":3}""", "The file is not a Mender artifact: its 'version' file says format 'docker', not 'mender'")]
    [InlineData("mender v3", "The file is not a Mender artifact: its 'version' file is not JSON")]
    public async Task ReadAsync_Rejects_AWrongVersionFile(string version, string expected)
    {
        var path = await MenderArtifactTool.SingleFileAsync(_directory.Path, "version-" + Guid.NewGuid().ToString("N")[..6], ["board-a"]);
        var tampered = await MenderArtifactTool.RepackAsync(path, Path.Combine(_directory.Path, Guid.NewGuid().ToString("N") + ".mender"),
            (name, bytes) => name == "version" ? (name, Encoding.UTF8.GetBytes(version)) : (name, bytes));

        var error = await RejectAsync(await File.ReadAllBytesAsync(tampered, Ct));

        Assert.StartsWith(expected, error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReadAsync_Rejects_WhenTheVersionFileDoesNotMatchTheManifest()
    {
        // A valid version document that is not byte-for-byte the one the manifest lists.
        var path = await MenderArtifactTool.SingleFileAsync(_directory.Path, "respaced", ["board-a"]);
        var tampered = await MenderArtifactTool.RepackAsync(path, Path.Combine(_directory.Path, "respaced-bad.mender"),
            (name, bytes) => name == "version" ? (name, """{"format": "mender", "version": 3}"""u8.ToArray()) : (name, bytes));

        var error = await RejectAsync(await File.ReadAllBytesAsync(tampered, Ct));

        Assert.StartsWith("Checksum mismatch for 'version'", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReadAsync_Rejects_MembersOutOfOrder()
    {
        var path = await MenderArtifactTool.SingleFileAsync(_directory.Path, "order", ["board-a"]);
        var members = new List<(string, byte[])>();
        await MenderArtifactTool.RepackAsync(path, Path.Combine(_directory.Path, "unused.mender"), (name, bytes) => { members.Add((name, bytes)); return (name, bytes); });
        using var reordered = new MemoryStream();
        await using (var writer = new TarWriter(reordered, leaveOpen: true))
        {
            foreach (var (name, bytes) in new[] { members[0], members[2], members[1], members[3] })
                await writer.WriteEntryAsync(new UstarTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(bytes) }, Ct);
        }

        var error = await RejectAsync(reordered.ToArray());

        Assert.StartsWith("'header.tar.gz' is out of place", error, StringComparison.Ordinal);
    }

    /// <summary>Reads as Kestrel would hand over an upload: forward only, asynchronous reads only.</summary>
    private static async Task<MenderArtifact> ReadAsync(string path)
    {
        await using var file = File.OpenRead(path);
        await using var upload = new AsyncOnlyStream(file);
        return await MenderArtifactReader.ReadAsync(upload, Ct);
    }

    private static async Task<string> RejectAsync(byte[] bytes)
    {
        await using var upload = new AsyncOnlyStream(new MemoryStream(bytes));
        var error = await Assert.ThrowsAsync<ArtifactFormatException>(() => MenderArtifactReader.ReadAsync(upload, Ct));
        return error.Message;
    }

    private async Task<string> WriteFileAsync(string name, string content)
    {
        var directory = Path.Combine(_directory.Path, Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, name);
        await File.WriteAllTextAsync(path, content, Ct);
        return path;
    }

    private async Task<string> EcPrivateKeyAsync()
    {
        // mender-artifact reads SEC1 ("BEGIN EC PRIVATE KEY") for ECDSA signing keys, not PKCS#8.
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var path = Path.Combine(_directory.Path, "signing-key.pem");
        await File.WriteAllTextAsync(path, key.ExportECPrivateKeyPem(), Ct);
        return path;
    }

    private static string Sha256(string text) => Sha256(Encoding.UTF8.GetBytes(text));
    private static string Sha256(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    private static string RandomText(int length)
    {
        var random = new Random(length);
        return string.Create(length, random, (span, r) => { for (var i = 0; i < span.Length; i++) span[i] = (char)('a' + r.Next(26)); });
    }

    private static byte[] Flip(byte[] bytes, int index)
    {
        var copy = bytes.ToArray();
        copy[index] ^= 0x5a;
        return copy;
    }

    private static byte[] ReplaceOnce(byte[] bytes, string from, string to)
    {
        Assert.Equal(from.Length, to.Length);
        var copy = bytes.ToArray();
        var at = copy.AsSpan().IndexOf(Encoding.UTF8.GetBytes(from));
        Assert.True(at >= 0, $"'{from}' not found");
        Encoding.UTF8.GetBytes(to).CopyTo(copy, at);
        return copy;
    }

    private static byte[] Gzip(byte[] bytes)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Optimal, leaveOpen: true)) gzip.Write(bytes);
        return output.ToArray();
    }

    private static byte[] Gunzip(byte[] bytes)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(new MemoryStream(bytes), CompressionMode.Decompress)) gzip.CopyTo(output);
        return output.ToArray();
    }

    private static byte[] Zstd(byte[] bytes)
    {
        using var output = new MemoryStream();
        using (var zstd = new CompressionStream(output, level: 3)) zstd.Write(bytes);
        return output.ToArray();
    }

    private static byte[] AddTarFile(byte[] tar, string name, string content)
    {
        using var output = new MemoryStream();
        using (var writer = new TarWriter(output, TarEntryFormat.Ustar, leaveOpen: true))
        {
            using var reader = new TarReader(new MemoryStream(tar));
            while (reader.GetNextEntry(copyData: true) is { } entry) writer.WriteEntry(entry);
            writer.WriteEntry(new UstarTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(Encoding.UTF8.GetBytes(content)) });
        }
        return output.ToArray();
    }

    /// <summary>Fails any synchronous read, as Kestrel does for request bodies by default.</summary>
    private sealed class AsyncOnlyStream(Stream inner) : Stream
    {
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override int Read(byte[] buffer, int offset, int count) => throw new InvalidOperationException("Synchronous operations are disallowed.");
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => inner.ReadAsync(buffer, cancellationToken);
        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => inner.ReadAsync(buffer, offset, count, cancellationToken);
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        protected override void Dispose(bool disposing)
        {
            if (disposing) inner.Dispose();
            base.Dispose(disposing);
        }
    }
}
