using System.Text.Json;

namespace Dashboard.Data.Rollouts.Artifacts;

/// <summary>
/// What a verified <c>.mender</c> file says about itself. <see cref="Provides"/>, <see cref="Depends"/> and
/// <see cref="ClearsProvides"/> are merged over the header and every payload's type-info (as Mender's own
/// server reports them); each <see cref="ArtifactPayload"/> keeps its own type-info values.
/// </summary>
/// <param name="FormatVersion">2 or 3, from the <c>version</c> member.</param>
/// <param name="Name">The artifact name (<c>artifact_provides.artifact_name</c>).</param>
/// <param name="DeviceTypesCompatible">The device types the artifact installs on (<c>artifact_depends.device_type</c>).</param>
/// <param name="Depends">Values are a string or an array of strings, exactly as written in the artifact.</param>
/// <param name="Signed">The artifact carries <c>manifest.sig</c>; the signature itself is not checked (the server holds no signing keys).</param>
public sealed record MenderArtifact(
    int FormatVersion,
    string Name,
    IReadOnlyList<string> DeviceTypesCompatible,
    IReadOnlyDictionary<string, string> Provides,
    IReadOnlyDictionary<string, JsonElement> Depends,
    IReadOnlyList<string> ClearsProvides,
    IReadOnlyList<ArtifactPayload> Payloads,
    bool Signed)
{
    /// <summary>Bytes read from the stream: the size of the <c>.mender</c> file.</summary>
    public long Size { get; init; }

    /// <summary>The compression of the header and payload members: <c>none</c>, <c>gzip</c>, <c>xz</c> or <c>zstd</c>.</summary>
    public string Compression { get; init; } = "gzip";

    /// <summary>Names of the state scripts in the header (<c>scripts/...</c>), without the prefix.</summary>
    public IReadOnlyList<string> Scripts { get; init; } = [];
}

/// <param name="Type">The update module (<c>single-file</c>, <c>rootfs-image</c>, ...).</param>
/// <param name="MetaData">The payload's <c>meta-data</c> JSON (an object), or null when the artifact has none.</param>
public sealed record ArtifactPayload(
    string Type,
    IReadOnlyList<ArtifactFile> Files,
    JsonElement? MetaData,
    IReadOnlyDictionary<string, string> Provides,
    IReadOnlyDictionary<string, JsonElement> Depends,
    IReadOnlyList<string> ClearsProvides);

/// <param name="Checksum">Lower-case hex SHA-256 of the file's bytes, as listed in the manifest and verified.</param>
/// <param name="Date">The file's modification time in the payload archive (UTC).</param>
public sealed record ArtifactFile(string Name, long Size, string Checksum, DateTime? Date);

/// <summary>The upload is not a valid Mender artifact. The message says what is wrong and is fit to show the uploader (a 400).</summary>
public sealed class ArtifactFormatException(string message) : Exception(message);
