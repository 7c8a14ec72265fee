using System.Text.Json;
using System.Text.RegularExpressions;

namespace Dashboard.Data.Rollouts.Artifacts;

/// <summary>
/// The files of <c>header.tar*</c> (and <c>header-augment.tar*</c>), collected while streaming and
/// interpreted only after the member's checksum matched, so a tampered header is reported as tampered
/// rather than as whatever parse error the edit happens to cause.
/// </summary>
internal sealed partial class ArtifactHeader(string member)
{
    private const int MaxFileBytes = 1 << 20;

    private readonly Dictionary<string, byte[]> _files = new(StringComparer.Ordinal);
    private readonly List<string> _scripts = [];

    public string Member { get; } = member;
    public IReadOnlyList<string> Scripts => _scripts;

    public bool IsEmpty => _files.Count == 0;

    /// <summary>Keeps a header file's bytes (JSON, small) or a state script's name.</summary>
    public async Task AddAsync(string name, long length, Stream? content, CancellationToken ct)
    {
        if (name.StartsWith("scripts/", StringComparison.Ordinal))
        {
            _scripts.Add(name["scripts/".Length..]);
            return;
        }
        if (_files.Count == 0 && name != "header-info")
            throw new ArtifactFormatException($"{Member} must start with header-info, not '{name}'.");
        if (length > MaxFileBytes)
            throw new ArtifactFormatException($"{Member}: '{name}' is {length} bytes; header files are at most {MaxFileBytes} bytes.");
        var bytes = new byte[length];
        if (content is not null) await content.ReadExactlyAsync(bytes, ct);
        if (!_files.TryAdd(name, bytes))
            throw new ArtifactFormatException($"{Member} contains '{name}' twice.");
    }

    /// <summary>The artifact-level facts of a version 3 header, with one payload per entry of <c>payloads</c>.</summary>
    public ParsedHeader ParseVersion3()
    {
        var info = Json("header-info") ?? throw Missing("header-info");
        var payloadTypes = Array(info, "payloads", "header-info").Select((p, i) => PayloadType(p, $"header-info payloads[{i}]")).ToList();
        var provides = StringMap(info, "artifact_provides", "header-info");
        var depends = DependsMap(info, "artifact_depends", "header-info");
        if (!provides.TryGetValue("artifact_name", out var name) || string.IsNullOrWhiteSpace(name))
            throw new ArtifactFormatException("header-info has no artifact_provides.artifact_name: the artifact has no name.");
        var deviceTypes = depends.TryGetValue("device_type", out var types) ? StringList(types, "header-info artifact_depends.device_type") : [];
        if (deviceTypes.Count == 0)
            throw new ArtifactFormatException("header-info has no artifact_depends.device_type: the artifact names no compatible device type.");

        var payloads = payloadTypes.Select((type, i) => ParsePayload(i, type, version: 3)).ToList();
        return new ParsedHeader(name, deviceTypes, provides, depends, payloads);
    }

    /// <summary>Version 2: <c>artifact_name</c>, <c>updates</c> and <c>device_types_compatible</c> in header-info, no provides or depends.</summary>
    public ParsedHeader ParseVersion2()
    {
        var info = Json("header-info") ?? throw Missing("header-info");
        var name = info.TryGetProperty("artifact_name", out var n) && n.ValueKind == JsonValueKind.String ? n.GetString()! : "";
        if (string.IsNullOrWhiteSpace(name))
            throw new ArtifactFormatException("header-info has no artifact_name: the artifact has no name.");
        var deviceTypes = info.TryGetProperty("device_types_compatible", out var t) ? StringList(t, "header-info device_types_compatible") : [];
        if (deviceTypes.Count == 0)
            throw new ArtifactFormatException("header-info has no device_types_compatible: the artifact names no compatible device type.");
        var payloadTypes = Array(info, "updates", "header-info").Select((p, i) => PayloadType(p, $"header-info updates[{i}]")).ToList();

        var provides = new Dictionary<string, string>(StringComparer.Ordinal) { ["artifact_name"] = name };
        var depends = new Dictionary<string, JsonElement>(StringComparer.Ordinal) { ["device_type"] = JsonSerializer.SerializeToElement(deviceTypes) };
        var payloads = payloadTypes.Select((type, i) => ParsePayload(i, type, version: 2)).ToList();
        return new ParsedHeader(name, deviceTypes, provides, depends, payloads);
    }

    /// <summary>Folds an augmented header (delta updates) into <paramref name="header"/>: its type-info and meta-data extend each payload's, the augment winning on a shared key.</summary>
    public void AugmentInto(ParsedHeader header)
    {
        foreach (var (index, payload) in header.Payloads.Index())
        {
            var prefix = PayloadPrefix(index);
            var typeInfo = Json(prefix + "type-info");
            if (typeInfo is { } ti)
            {
                var type = ti.TryGetProperty("type", out var tt) && tt.ValueKind == JsonValueKind.String ? tt.GetString() : null;
                if (!string.IsNullOrEmpty(type) && type != payload.Type)
                    throw new ArtifactFormatException($"{Member}: payload {index} has type '{type}' but the header says '{payload.Type}'.");
                foreach (var (key, value) in StringMap(ti, "artifact_provides", Member + " " + prefix + "type-info")) payload.Provides[key] = value;
                foreach (var (key, value) in DependsMap(ti, "artifact_depends", Member + " " + prefix + "type-info")) payload.Depends[key] = value;
                foreach (var clear in ti.TryGetProperty("clears_artifact_provides", out var c) ? StringList(c, Member + " clears_artifact_provides") : [])
                    if (!payload.ClearsProvides.Contains(clear)) payload.ClearsProvides.Add(clear);
            }
            if (Json(prefix + "meta-data") is { } augmentMeta)
                payload.MetaData = payload.MetaData is { } meta ? MergeObjects(meta, augmentMeta) : augmentMeta;
        }
    }

    private ParsedPayload ParsePayload(int index, string type, int version)
    {
        var prefix = PayloadPrefix(index);
        var typeInfo = Json(prefix + "type-info") ?? throw Missing(prefix + "type-info");
        // mender-artifact 3.9 writes "type":"" into a rootfs-image's type-info: header-info is the authority.
        var declared = typeInfo.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString()! : "";
        if (declared.Length > 0 && declared != type)
            throw new ArtifactFormatException($"{prefix}type-info says type '{declared}' but header-info says '{type}'.");

        var payload = new ParsedPayload(index, type)
        {
            MetaData = Json(prefix + "meta-data"),
        };
        if (payload.MetaData is { ValueKind: not JsonValueKind.Object })
            throw new ArtifactFormatException($"{prefix}meta-data must be a JSON object.");
        if (version >= 3)
        {
            foreach (var (key, value) in StringMap(typeInfo, "artifact_provides", prefix + "type-info")) payload.Provides[key] = value;
            foreach (var (key, value) in DependsMap(typeInfo, "artifact_depends", prefix + "type-info")) payload.Depends[key] = value;
            if (typeInfo.TryGetProperty("clears_artifact_provides", out var clears) && clears.ValueKind != JsonValueKind.Null)
                payload.ClearsProvides.AddRange(StringList(clears, prefix + "type-info clears_artifact_provides").Distinct(StringComparer.Ordinal));
        }
        else if (Json(prefix + "files") is { } files)
        {
            payload.DeclaredFiles = files.TryGetProperty("files", out var list) && list.ValueKind != JsonValueKind.Null ? StringList(list, prefix + "files") : [];
        }
        return payload;
    }

    private static string PayloadPrefix(int index) => $"headers/{index:D4}/";

    private JsonElement? Json(string name)
    {
        if (!_files.TryGetValue(name, out var bytes)) return null;
        if (bytes.AsSpan().Trim(" \n\r\t"u8).IsEmpty) return null; // an empty meta-data file means "none"
        try
        {
            using var document = JsonDocument.Parse(bytes);
            if (document.RootElement.ValueKind != JsonValueKind.Object && !name.EndsWith("meta-data", StringComparison.Ordinal))
                throw new ArtifactFormatException($"{Member}: '{name}' must be a JSON object.");
            return document.RootElement.Clone();
        }
        catch (JsonException e)
        {
            throw new ArtifactFormatException($"{Member}: '{name}' is not valid JSON ({e.Message}).");
        }
    }

    private ArtifactFormatException Missing(string name) => new($"{Member} has no '{name}'.");

    private static string PayloadType(JsonElement payload, string where)
    {
        if (payload.ValueKind != JsonValueKind.Object) throw new ArtifactFormatException($"{where} must be an object with a type.");
        if (!payload.TryGetProperty("type", out var type)) throw new ArtifactFormatException($"{where} has no type.");
        // An empty (bootstrap) artifact has a payload of type null: Mender reports it as an empty type.
        if (type.ValueKind == JsonValueKind.Null) return "";
        if (type.ValueKind != JsonValueKind.String) throw new ArtifactFormatException($"{where} type must be a string.");
        var value = type.GetString()!;
        if (!PayloadTypeName().IsMatch(value)) throw new ArtifactFormatException($"{where} type '{value}' is not a valid update module name.");
        return value;
    }

    private static List<JsonElement> Array(JsonElement parent, string property, string where)
    {
        if (!parent.TryGetProperty(property, out var value) || value.ValueKind == JsonValueKind.Null) return [];
        if (value.ValueKind != JsonValueKind.Array) throw new ArtifactFormatException($"{where} {property} must be an array.");
        return [.. value.EnumerateArray()];
    }

    private static Dictionary<string, string> StringMap(JsonElement parent, string property, string where)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        if (!parent.TryGetProperty(property, out var value) || value.ValueKind == JsonValueKind.Null) return map;
        if (value.ValueKind != JsonValueKind.Object) throw new ArtifactFormatException($"{where} {property} must be an object.");
        foreach (var item in value.EnumerateObject())
        {
            if (item.Value.ValueKind != JsonValueKind.String)
                throw new ArtifactFormatException($"{where} {property}.{item.Name} must be a string.");
            map[item.Name] = item.Value.GetString()!;
        }
        return map;
    }

    private static Dictionary<string, JsonElement> DependsMap(JsonElement parent, string property, string where)
    {
        var map = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        if (!parent.TryGetProperty(property, out var value) || value.ValueKind == JsonValueKind.Null) return map;
        if (value.ValueKind != JsonValueKind.Object) throw new ArtifactFormatException($"{where} {property} must be an object.");
        foreach (var item in value.EnumerateObject())
        {
            var ok = item.Value.ValueKind == JsonValueKind.String
                || (item.Value.ValueKind == JsonValueKind.Array && item.Value.EnumerateArray().All(e => e.ValueKind == JsonValueKind.String));
            if (!ok) throw new ArtifactFormatException($"{where} {property}.{item.Name} must be a string or an array of strings.");
            map[item.Name] = item.Value.Clone();
        }
        return map;
    }

    private static List<string> StringList(JsonElement value, string where)
    {
        if (value.ValueKind != JsonValueKind.Array || value.EnumerateArray().Any(e => e.ValueKind != JsonValueKind.String))
            throw new ArtifactFormatException($"{where} must be an array of strings.");
        return [.. value.EnumerateArray().Select(e => e.GetString()!)];
    }

    private static JsonElement MergeObjects(JsonElement first, JsonElement second)
    {
        var merged = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        foreach (var p in first.EnumerateObject()) merged[p.Name] = p.Value;
        foreach (var p in second.EnumerateObject()) merged[p.Name] = p.Value;
        return JsonSerializer.SerializeToElement(merged);
    }

    [GeneratedRegex("^[A-Za-z0-9._-]{1,255}$")]
    private static partial Regex PayloadTypeName();
}

internal sealed record ParsedHeader(
    string Name,
    IReadOnlyList<string> DeviceTypes,
    Dictionary<string, string> Provides,
    Dictionary<string, JsonElement> Depends,
    IReadOnlyList<ParsedPayload> Payloads);

internal sealed class ParsedPayload(int index, string type)
{
    public int Index { get; } = index;
    public string Type { get; } = type;
    public JsonElement? MetaData { get; set; }
    public Dictionary<string, string> Provides { get; } = new(StringComparer.Ordinal);
    public Dictionary<string, JsonElement> Depends { get; } = new(StringComparer.Ordinal);
    public List<string> ClearsProvides { get; } = [];

    /// <summary>Version 2 lists the payload's file names in <c>headers/NNNN/files</c>.</summary>
    public IReadOnlyList<string>? DeclaredFiles { get; set; }

    public List<ArtifactFile> Files { get; } = [];
}
