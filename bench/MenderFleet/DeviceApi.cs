using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using Dashboard.Data.Rollouts.Artifacts;

namespace Dashboard.MenderFleet;

/// <summary>
/// Mender's device API as the Mender 3.4 client speaks it (reference/mender/observed-wire.md): the same
/// paths, bodies (Go's json.Encoder: compact, newline-terminated), chunked bodies for all but auth, the
/// bare-text token as Bearer, and the v2 -> v1 -> GET fallback for <c>next</c> on 404. Every call is timed
/// into <see cref="FleetStats"/> under its type.
/// </summary>
public sealed class DeviceApi(HttpClient http, FleetOptions options, FleetStats stats, RequestGate gate)
{
    public const string AuthPath = "api/devices/v1/authentication/auth_requests";
    public const string InventoryPath = "api/devices/v1/inventory/device/attributes";
    public const string NextV2Path = "api/devices/v2/deployments/device/deployments/next";
    public const string NextV1Path = "api/devices/v1/deployments/device/deployments/next";
    public static string StatusPath(string deploymentId) => $"api/devices/v1/deployments/device/deployments/{Uri.EscapeDataString(deploymentId)}/status";
    public static string LogPath(string deploymentId) => $"api/devices/v1/deployments/device/deployments/{Uri.EscapeDataString(deploymentId)}/log";

    // Go escapes <, > and & in JSON strings and nothing else that matters here; '+' in a PEM must stay '+'.
    internal static readonly JsonSerializerOptions GoJson = new()
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        PropertyNameCaseInsensitive = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>The auth request body, byte for byte as the client writes it: id_data (a JSON string), tenant_token, pubkey, newline.</summary>
    public static byte[] AuthRequestBody(string identityJson, string publicKeyPem) =>
        GoEncode(new AuthRequest(identityJson, "", publicKeyPem));

    /// <summary>POST auth_requests signed with the device key: 200 and the token, or 401 while pending or rejected.</summary>
    public async Task<(int Status, string Body)> AuthenticateAsync(byte[] body, byte[] signature, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, AuthPath) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer "); // the empty tenant token, as sent
        request.Headers.TryAddWithoutValidation("X-MEN-Signature", Convert.ToBase64String(signature));
        return await SendAsync("auth", request, [200, 401], readBody: true, ct);
    }

    /// <summary>PUT the attributes (200), falling back to PATCH on 405 as the client does.</summary>
    public async Task<int> SendInventoryAsync(string token, IReadOnlyDictionary<string, string> attributes, CancellationToken ct)
    {
        var body = GoEncode(attributes.Select(a => new Attribute(a.Key, a.Value)).ToList());
        var (status, _) = await SendAsync("inventory", Request(HttpMethod.Put, InventoryPath, token, body), [200, 401, 405], readBody: false, ct);
        if (status != 405) return status;
        (status, _) = await SendAsync("inventory-patch", Request(HttpMethod.Patch, InventoryPath, token, body), [200, 401], readBody: false, ct);
        return status;
    }

    /// <summary>The update check: v2 POST with device_provides; on 404 v1 POST, then v1 GET. 204 = nothing to do.</summary>
    public async Task<(int Status, DeploymentInstructions? Deployment)> NextAsync(string token, IReadOnlyDictionary<string, string> provides, CancellationToken ct)
    {
        var (status, body) = await SendAsync("next", Request(HttpMethod.Post, NextV2Path, token,
            GoEncode(new NextRequest(provides, UpdateControlMap: true))), [200, 204, 401, 404], readBody: true, ct);
        if (status == 404)
        {
            (status, body) = await SendAsync("next-v1", Request(HttpMethod.Post, NextV1Path, token, GoEncode(provides)), [200, 204, 401, 404], readBody: true, ct);
        }
        if (status == 404)
        {
            var query = $"?artifact_name={Uri.EscapeDataString(provides.GetValueOrDefault("artifact_name", ""))}&device_type={Uri.EscapeDataString(provides.GetValueOrDefault("device_type", ""))}";
            (status, body) = await SendAsync("next-v1-get", Request(HttpMethod.Get, NextV1Path + query, token, body: null), [200, 204, 401], readBody: true, ct);
        }
        if (status != 200) return (status, null);
        try
        {
            var deployment = JsonSerializer.Deserialize<DeploymentInstructions>(body, GoJson);
            if (deployment is { Id.Length: > 0, Artifact: { ArtifactName.Length: > 0, Source.Uri.Length: > 0, DeviceTypesCompatible.Count: > 0 } })
                return (200, deployment);
        }
        catch (JsonException)
        {
        }
        // The client requires id, artifact.artifact_name, artifact.source.uri and artifact.device_types_compatible.
        stats.Unexpected("next", 200, "deployment JSON lacks a required field: " + body);
        return (-1, null);
    }

    /// <summary>PUT the deployment status: 204, or 409 once the deployment was aborted.</summary>
    public async Task<int> ReportStatusAsync(string token, string deploymentId, string status, CancellationToken ct)
    {
        var (code, _) = await SendAsync("status", Request(HttpMethod.Put, StatusPath(deploymentId), token, GoEncode(new StatusReport(status))), [204, 401, 409], readBody: false, ct);
        return code;
    }

    /// <summary>PUT the deployment log after a failure: compact JSON without a trailing newline, as observed.</summary>
    public async Task<int> UploadLogAsync(string token, string deploymentId, IReadOnlyList<LogMessage> messages, CancellationToken ct)
    {
        var body = JsonSerializer.SerializeToUtf8Bytes(new DeploymentLog(messages), GoJson);
        var (code, _) = await SendAsync("log", Request(HttpMethod.Put, LogPath(deploymentId), token, body), [204, 401], readBody: false, ct);
        return code;
    }

    /// <summary>GET the signed link with no Authorization header; the real client refuses a download without Content-Length or with Content-Encoding.</summary>
    public async Task<DownloadResult> DownloadAsync(string uri, bool verify, CancellationToken ct)
    {
        var target = new Uri(http.BaseAddress!, uri);
        if (!FleetOptions.IsLoopback(target))
        {
            stats.Unexpected("download", 0, "not following a link off loopback: " + uri);
            return new DownloadResult(false, "the download link is not a loopback address", null, 0);
        }
        using var slot = await gate.EnterAsync(ct);
        var started = Stopwatch.GetTimestamp();
        var calls = stats.Call("download");
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, target);
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
            var code = (int)response.StatusCode;
            if (code != 200)
            {
                calls.Record(Stopwatch.GetElapsedTime(started), code, expected: false);
                stats.Unexpected("download", code, await response.Content.ReadAsStringAsync(ct));
                return new DownloadResult(false, $"download returned {code}", null, 0);
            }
            var length = response.Content.Headers.ContentLength;
            if (length is null || response.Content.Headers.ContentEncoding.Count > 0)
            {
                calls.Record(Stopwatch.GetElapsedTime(started), code, expected: false);
                stats.Unexpected("download", code, "no Content-Length, or Content-Encoding set");
                return new DownloadResult(false, "Will not continue with unknown image size (no Content-Length, or Content-Encoding set).", null, 0);
            }

            await using var body = await response.Content.ReadAsStreamAsync(ct);
            MenderArtifact? artifact = null;
            string? problem = null;
            long bytes = 0;
            if (verify)
            {
                try
                {
                    // The reader reads to the end of the stream, so its Size is the bytes received.
                    artifact = await MenderArtifactReader.ReadAsync(body, ct);
                    bytes = artifact.Size;
                }
                catch (ArtifactFormatException e)
                {
                    problem = "the downloaded artifact is invalid: " + e.Message;
                }
            }
            else
            {
                var buffer = new byte[81920];
                for (int read; (read = await body.ReadAsync(buffer, ct)) > 0;) bytes += read;
            }
            if (problem is null && bytes != length)
                problem = $"downloaded {bytes} bytes but Content-Length said {length}";
            calls.Record(Stopwatch.GetElapsedTime(started), code, expected: problem is null);
            if (problem is not null) stats.Unexpected("download", code, problem);
            return new DownloadResult(problem is null, problem, artifact, bytes);
        }
        catch (Exception e) when (e is HttpRequestException or IOException || (e is TaskCanceledException && !ct.IsCancellationRequested))
        {
            calls.Record(Stopwatch.GetElapsedTime(started), 0, expected: false);
            stats.Unexpected("download", 0, e.Message);
            return new DownloadResult(false, "download failed: " + e.Message, null, 0);
        }
    }

    private HttpRequestMessage Request(HttpMethod method, string path, string token, byte[]? body)
    {
        var request = new HttpRequestMessage(method, path);
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + token);
        if (body is not null)
        {
            if (options.Chunked) request.Content = new ChunkedContent(body);
            else
            {
                request.Content = new ByteArrayContent(body);
                request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            }
        }
        return request;
    }

    /// <summary>Sends through the gate and records the call; 0 = no response (connection failure or timeout).</summary>
    private async Task<(int Status, string Body)> SendAsync(string type, HttpRequestMessage request, int[] expected, bool readBody, CancellationToken ct)
    {
        using var _ = request;
        using var slot = await gate.EnterAsync(ct);
        var started = Stopwatch.GetTimestamp();
        try
        {
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseContentRead, ct);
            var code = (int)response.StatusCode;
            var body = readBody || !expected.Contains(code) ? await response.Content.ReadAsStringAsync(ct) : "";
            stats.Call(type).Record(Stopwatch.GetElapsedTime(started), code, expected.Contains(code));
            if (!expected.Contains(code)) stats.Unexpected(type, code, body);
            return (code, body);
        }
        catch (Exception e) when (e is HttpRequestException or IOException || (e is TaskCanceledException && !ct.IsCancellationRequested))
        {
            stats.Call(type).Record(Stopwatch.GetElapsedTime(started), 0, expected: false);
            stats.Unexpected(type, 0, e.Message);
            return (0, "");
        }
    }

    private static byte[] GoEncode<T>(T value)
    {
        var json = JsonSerializer.SerializeToUtf8Bytes(value, GoJson);
        return [.. json, (byte)'\n'];
    }

    private sealed record AuthRequest(
        [property: JsonPropertyName("id_data")] string IdData,
        [property: JsonPropertyName("tenant_token")] string TenantToken,
        [property: JsonPropertyName("pubkey")] string Pubkey);

    private sealed record Attribute([property: JsonPropertyName("name")] string Name, [property: JsonPropertyName("value")] string Value);

    private sealed record NextRequest(
        [property: JsonPropertyName("device_provides")] IReadOnlyDictionary<string, string> DeviceProvides,
        [property: JsonPropertyName("update_control_map")] bool UpdateControlMap);

    private sealed record StatusReport([property: JsonPropertyName("status")] string Status);

    private sealed record DeploymentLog([property: JsonPropertyName("messages")] IReadOnlyList<LogMessage> Messages);
}

/// <summary>What <c>next</c> returns (the fields the client reads; keys are matched case-insensitively like Go's decoder).</summary>
public sealed record DeploymentInstructions(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("artifact")] DeploymentArtifact Artifact);

public sealed record DeploymentArtifact(
    [property: JsonPropertyName("id")] string? Id,
    [property: JsonPropertyName("artifact_name")] string ArtifactName,
    [property: JsonPropertyName("source")] ArtifactSource Source,
    [property: JsonPropertyName("device_types_compatible")] IReadOnlyList<string> DeviceTypesCompatible);

public sealed record ArtifactSource(
    [property: JsonPropertyName("uri")] string Uri,
    [property: JsonPropertyName("expire")] DateTimeOffset? Expire);

public sealed record LogMessage(
    [property: JsonPropertyName("level")] string Level,
    [property: JsonPropertyName("message")] string Message,
    [property: JsonPropertyName("timestamp")] string Timestamp);

public sealed record DownloadResult(bool Ok, string? Problem, MenderArtifact? Artifact, long Bytes);
