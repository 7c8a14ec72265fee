using System.Formats.Tar;
using System.IO.Compression;
using System.Text.Json;
using System.Text.RegularExpressions;
using SharpCompress.Compressors.Xz;
using ZstdDecompressionStream = SharpCompress.Compressors.ZStandard.DecompressionStream;

namespace Dashboard.Data.Rollouts.Artifacts;

/// <summary>
/// Reads and verifies a <c>.mender</c> file (format version 3, and the simpler version 2) in one
/// forward pass: the outer tar is <c>version</c>, <c>manifest</c>, optional <c>manifest.sig</c> and
/// <c>manifest-augment</c>, <c>header.tar[.gz|.xz|.zst]</c>, optional <c>header-augment.tar*</c>, then one
/// <c>data/NNNN.tar*</c> per payload. Every checksum in the manifest is checked as the bytes stream by
/// (version, header, each payload file), so an artifact of hundreds of MB is never held in memory.
/// Works on streams that only allow asynchronous reads (Kestrel request bodies).
/// </summary>
public static partial class MenderArtifactReader
{
    /// <summary>Reads and verifies the artifact; throws <see cref="ArtifactFormatException"/> saying what is wrong.</summary>
    public static Task<MenderArtifact> ReadAsync(Stream stream, CancellationToken ct = default) => ReadAsync(stream, copy: null, ct);

    /// <summary>
    /// Reads and verifies the artifact while writing every byte of it to <paramref name="copy"/>: an upload is
    /// stored and checked in one pass. On <see cref="ArtifactFormatException"/> the copy is incomplete; discard it.
    /// </summary>
    public static Task<MenderArtifact> ReadAndCopyAsync(Stream stream, Stream copy, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(copy);
        return ReadAsync(stream, copy, ct);
    }

    private static async Task<MenderArtifact> ReadAsync(Stream stream, Stream? copy, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var counter = new HashingReadStream(stream, hash: false, copy);
        var reading = new Reading();
        try
        {
            var outer = new TarReader(counter, leaveOpen: true);
            await using (outer)
            {
                while (true)
                {
                    reading.Member = null;
                    var entry = await outer.GetNextEntryAsync(copyData: false, ct);
                    if (entry is null) break;
                    await reading.ReadMemberAsync(entry, ct);
                }
            }
            await counter.DrainAsync(ct);
        }
        catch (Exception e) when (IsCorruption(e))
        {
            throw reading.Corrupt(e, counter.BytesRead, await SourceEndedAsync(counter, ct));
        }
        return reading.Finish(counter.BytesRead);
    }

    /// <summary>Reads and verifies the artifact stored at <paramref name="path"/>.</summary>
    public static async Task<MenderArtifact> ReadAsync(string path, CancellationToken ct = default)
    {
        var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 81920, useAsync: true);
        await using (file) return await ReadAsync(file, ct);
    }

    /// <summary>A decompressor fed a cut-off member reports bad data; if the file has ended there, it was truncated.</summary>
    private static async Task<bool> SourceEndedAsync(Stream source, CancellationToken ct)
    {
        try
        {
            return await source.ReadAsync(new byte[1], ct) == 0;
        }
        catch (Exception e) when (e is IOException or NotSupportedException or ObjectDisposedException)
        {
            return false;
        }
    }

    // Malformed input surfaces from the tar reader, the decompressors and the JSON parser as these;
    // I/O failures of the source itself (a client that went away) are not the artifact's fault and pass through.
    private static bool IsCorruption(Exception e) =>
        e is InvalidDataException or EndOfStreamException or FormatException or OverflowException or JsonException
            or ArgumentException or NotSupportedException
        || (e.GetType().Namespace?.StartsWith("SharpCompress", StringComparison.Ordinal) ?? false);

    private enum Stage { Start, Version, Manifest, Header, Data }

    /// <summary>The state of one pass over the outer tar.</summary>
    private sealed class Reading
    {
        private const int MaxVersionBytes = 4096;
        private const int MaxManifestBytes = 1 << 20;

        private readonly ArtifactManifest _manifest = new();
        private Stage _stage = Stage.Start;
        private int _formatVersion;
        private string? _versionHash;
        private bool _signed;
        private bool _manifestAugment;
        private bool _headerAugment;
        private string _compression = "none";
        private ParsedHeader? _header;
        private List<string> _scripts = [];
        private int _dataMembers;

        /// <summary>The outer member being read, for error messages.</summary>
        public string? Member { get; set; }

        public async Task ReadMemberAsync(TarEntry entry, CancellationToken ct)
        {
            var name = entry.Name;
            Member = name;
            if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile))
            {
                throw _stage == Stage.Start
                    ? NotMender($"it starts with '{name}' ({entry.EntryType}), not with the 'version' file")
                    : new ArtifactFormatException($"The artifact contains '{name}' of type {entry.EntryType}; a Mender artifact holds only regular files.");
            }

            if (_stage == Stage.Start && name != "version")
                throw NotMender($"it starts with '{name}', not with the 'version' file");

            switch (name)
            {
                case "version":
                    Expect(name, _stage == Stage.Start);
                    await ReadVersionAsync(entry, ct);
                    _stage = Stage.Version;
                    return;
                case "manifest":
                    Expect(name, _stage == Stage.Version);
                    _manifest.Add("manifest", await ReadSmallAsync(entry, MaxManifestBytes, ct));
                    _manifest.Verify("version", _versionHash!);
                    _stage = Stage.Manifest;
                    return;
                case "manifest.sig":
                    Expect(name, _stage == Stage.Manifest && !_signed && !_manifestAugment);
                    await ReadSmallAsync(entry, MaxManifestBytes, ct);
                    _signed = true;
                    return;
                case "manifest-augment":
                    Expect(name, _stage == Stage.Manifest && !_manifestAugment);
                    _manifest.Add("manifest-augment", await ReadSmallAsync(entry, MaxManifestBytes, ct));
                    _manifestAugment = true;
                    return;
            }

            if (HeaderMember().Match(name) is { Success: true } header)
            {
                var augment = header.Groups["augment"].Success;
                Expect(name, augment ? _stage == Stage.Header && !_headerAugment && _dataMembers == 0 : _stage == Stage.Manifest);
                var compression = CompressionOf(name, header.Groups["ext"]);
                await ReadHeaderAsync(entry, compression, augment, ct);
                if (augment) _headerAugment = true;
                else _compression = compression;
                _stage = Stage.Header;
                return;
            }

            if (DataMember().Match(name) is { Success: true } data)
            {
                Expect(name, _stage is Stage.Header or Stage.Data);
                var index = int.Parse(data.Groups["index"].Value, System.Globalization.CultureInfo.InvariantCulture);
                if (index != _dataMembers)
                    throw new ArtifactFormatException($"'{name}' is out of order: expected data/{_dataMembers:D4}.");
                if (index >= _header!.Payloads.Count)
                    throw new ArtifactFormatException($"'{name}' has no payload in the header, which describes {_header.Payloads.Count} payload(s).");
                await ReadDataAsync(entry, _header.Payloads[index], CompressionOf(name, data.Groups["ext"]), ct);
                _dataMembers++;
                _stage = Stage.Data;
                return;
            }

            throw new ArtifactFormatException($"The artifact contains an unexpected file '{name}'.");
        }

        public MenderArtifact Finish(long size)
        {
            Member = null;
            switch (_stage)
            {
                case Stage.Start: throw NotMender(size == 0 ? "the file is empty" : "it contains no files");
                case Stage.Version: throw new ArtifactFormatException("The artifact is truncated or incomplete: it has no manifest.");
                case Stage.Manifest: throw new ArtifactFormatException("The artifact is truncated or incomplete: it has no header.");
            }
            var header = _header!;
            if (_dataMembers != header.Payloads.Count)
                throw new ArtifactFormatException($"The artifact's header describes {header.Payloads.Count} payload(s) but the artifact contains {_dataMembers} data file(s): it is truncated or was modified.");
            _manifest.EnsureAllVerified();

            var provides = new Dictionary<string, string>(header.Provides, StringComparer.Ordinal);
            var depends = new Dictionary<string, JsonElement>(header.Depends, StringComparer.Ordinal);
            var clears = new List<string>();
            foreach (var payload in header.Payloads)
            {
                foreach (var (key, value) in payload.Provides)
                {
                    if (provides.TryGetValue(key, out var existing) && existing != value)
                        throw new ArtifactFormatException($"artifact_provides '{key}' has two values ('{existing}' and '{value}') in the artifact's headers.");
                    provides[key] = value;
                }
                foreach (var (key, value) in payload.Depends)
                {
                    if (depends.TryGetValue(key, out var existing) && existing.GetRawText() != value.GetRawText())
                        throw new ArtifactFormatException($"artifact_depends '{key}' has two values ({existing.GetRawText()} and {value.GetRawText()}) in the artifact's headers.");
                    depends[key] = value;
                }
                clears.AddRange(payload.ClearsProvides.Where(c => !clears.Contains(c)));
            }

            var payloads = header.Payloads
                .Select(p => new ArtifactPayload(p.Type, p.Files, p.MetaData, p.Provides, p.Depends, p.ClearsProvides))
                .ToList();
            return new MenderArtifact(_formatVersion, header.Name, header.DeviceTypes, provides, depends, clears, payloads, _signed)
            {
                Size = size,
                Compression = _compression,
                Scripts = _scripts,
            };
        }

        /// <summary>Turns a low-level failure into a message that names the place.</summary>
        public ArtifactFormatException Corrupt(Exception e, long bytesRead, bool sourceEnded)
        {
            if (_stage == Stage.Start && Member is null)
                return NotMender(bytesRead == 0 ? "the file is empty" : "it is not a tar archive");
            if (e is EndOfStreamException || sourceEnded)
            {
                return Member is null
                    ? new ArtifactFormatException("The artifact is truncated: the file ends in the middle of a tar header.")
                    : new ArtifactFormatException($"The artifact is truncated: the file ends inside '{Member}'.");
            }
            return new ArtifactFormatException(Member is null
                ? $"The artifact is corrupt: {e.Message}"
                : $"The artifact is corrupt: '{Member}' cannot be read ({e.Message}).");
        }

        private async Task ReadVersionAsync(TarEntry entry, CancellationToken ct)
        {
            var bytes = await ReadSmallAsync(entry, MaxVersionBytes, ct);
            _versionHash = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes));
            string? format;
            int version;
            try
            {
                using var document = JsonDocument.Parse(bytes);
                var root = document.RootElement;
                format = root.ValueKind == JsonValueKind.Object && root.TryGetProperty("format", out var f) && f.ValueKind == JsonValueKind.String ? f.GetString() : null;
                version = root.ValueKind == JsonValueKind.Object && root.TryGetProperty("version", out var v) && v.TryGetInt32(out var n) ? n : 0;
            }
            catch (JsonException)
            {
                throw NotMender("its 'version' file is not JSON like {\"format\":\"mender\",\"version\":3}");
            }
            if (format != "mender")
                throw NotMender($"its 'version' file says format '{format ?? "(none)"}', not 'mender'");
            if (version is not (2 or 3))
                throw new ArtifactFormatException($"Mender artifact format version {version} is not supported; versions 2 and 3 are (mender-artifact writes 3).");
            _formatVersion = version;
        }

        private async Task ReadHeaderAsync(TarEntry entry, string compression, bool augment, CancellationToken ct)
        {
            var header = new ArtifactHeader(entry.Name);
            var raw = new HashingReadStream(entry.DataStream ?? Stream.Null);
            var decompressed = Decompress(raw, compression);
            await using (decompressed)
            {
                var tar = new TarReader(decompressed, leaveOpen: true);
                await using (tar)
                {
                    while (await tar.GetNextEntryAsync(copyData: false, ct) is { } file)
                    {
                        if (file.EntryType == TarEntryType.Directory) continue;
                        if (file.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile))
                            throw new ArtifactFormatException($"{entry.Name} contains '{file.Name}' of type {file.EntryType}; only regular files are allowed.");
                        await header.AddAsync(file.Name, file.Length, file.DataStream, ct);
                    }
                }
                await HashingReadStream.DrainAsync(decompressed, ct);
            }
            await raw.DrainAsync(ct);
            // The checksum first: a tampered header is reported as tampered, whatever its content now says.
            _manifest.Verify(entry.Name, raw.HashHex());
            if (header.IsEmpty) throw new ArtifactFormatException($"{entry.Name} is empty: it has no header-info.");

            if (augment)
            {
                header.AugmentInto(_header!);
                return;
            }
            _header = _formatVersion == 2 ? header.ParseVersion2() : header.ParseVersion3();
            _scripts = [.. header.Scripts];
        }

        private async Task ReadDataAsync(TarEntry entry, ParsedPayload payload, string compression, CancellationToken ct)
        {
            var decompressed = Decompress(entry.DataStream ?? Stream.Null, compression);
            await using (decompressed)
            {
                var tar = new TarReader(decompressed, leaveOpen: true);
                await using (tar)
                {
                    while (await tar.GetNextEntryAsync(copyData: false, ct) is { } file)
                    {
                        if (file.EntryType == TarEntryType.Directory) continue;
                        if (file.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile))
                            throw new ArtifactFormatException($"{entry.Name} contains '{file.Name}' of type {file.EntryType}; payloads hold only regular files.");
                        if (payload.Files.Any(f => f.Name == file.Name))
                            throw new ArtifactFormatException($"{entry.Name} contains '{file.Name}' twice.");
                        var content = new HashingReadStream(file.DataStream ?? Stream.Null);
                        await content.DrainAsync(ct);
                        if (content.BytesRead != file.Length)
                            throw new ArtifactFormatException($"The artifact is truncated: '{file.Name}' in {entry.Name} is shorter than its size.");
                        var checksum = content.HashHex();
                        // The manifest lists payload files by payload index and name, whatever the compression.
                        _manifest.Verify($"data/{payload.Index:D4}/{file.Name}", checksum);
                        payload.Files.Add(new ArtifactFile(file.Name, file.Length, checksum, file.ModificationTime.UtcDateTime));
                    }
                }
                await HashingReadStream.DrainAsync(decompressed, ct);
            }

            if (payload.DeclaredFiles is { } declared)
            {
                var missing = declared.Except(payload.Files.Select(f => f.Name), StringComparer.Ordinal).ToList();
                if (missing.Count > 0)
                    throw new ArtifactFormatException($"{entry.Name} lacks {string.Join(", ", missing.Select(m => $"'{m}'"))}, which the header lists.");
            }
        }

        private static void Expect(string name, bool inPlace)
        {
            if (!inPlace)
                throw new ArtifactFormatException($"'{name}' is out of place or repeated: a Mender artifact holds version, manifest, [manifest.sig], [manifest-augment], header, [header-augment], data, in that order.");
        }

        private static async Task<byte[]> ReadSmallAsync(TarEntry entry, int limit, CancellationToken ct)
        {
            if (entry.Length > limit)
                throw new ArtifactFormatException($"'{entry.Name}' is {entry.Length} bytes, more than the {limit} a Mender artifact's '{entry.Name}' can hold.");
            var bytes = new byte[entry.Length];
            if (entry.DataStream is { } data) await data.ReadExactlyAsync(bytes, ct);
            return bytes;
        }

        private static ArtifactFormatException NotMender(string why) => new($"The file is not a Mender artifact: {why}.");
    }

    private static string CompressionOf(string member, Group extension) => !extension.Success ? "none" : extension.Value switch
    {
        "gz" => "gzip",
        "xz" => "xz",
        "zst" => "zstd",
        var other => throw new ArtifactFormatException($"'{member}' uses compression '{other}', which is not supported (gzip, xz, zstd or none are)."),
    };

    private static Stream Decompress(Stream raw, string compression) => compression switch
    {
        "gzip" => new GZipStream(raw, CompressionMode.Decompress, leaveOpen: true),
        "xz" => new XZStream(raw),
        "zstd" => new ZstdDecompressionStream(raw, leaveOpen: true),
        _ => new HashingReadStream(raw, hash: false),
    };

    [GeneratedRegex(@"^header(?<augment>-augment)?\.tar(?:\.(?<ext>[A-Za-z0-9]+))?$")]
    private static partial Regex HeaderMember();

    [GeneratedRegex(@"^data/(?<index>[0-9]{4})\.tar(?:\.(?<ext>[A-Za-z0-9]+))?$")]
    private static partial Regex DataMember();
}
