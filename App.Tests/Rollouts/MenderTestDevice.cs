using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Dashboard.App.Tests.Rollouts;

/// <summary>
/// A Mender device as the real daemon behaves on the wire: signs the raw auth request body with its
/// own key, keeps the token verbatim, and sends every other body chunked (no Content-Length).
/// </summary>
public sealed class MenderTestDevice : IDisposable
{
    private readonly AsymmetricAlgorithm _key;
    private readonly HttpClient _http;
    private readonly bool _ownsHttp;

    /// <param name="http">A client to share (thousands of devices, one connection pool); its base address is the server.</param>
    public MenderTestDevice(Uri server, string? mac = null, bool ecdsa = false, HttpClient? http = null)
    {
        Mac = mac ?? RandomMac();
        _key = ecdsa ? ECDsa.Create(ECCurve.NamedCurves.nistP256) : RSA.Create(2048);
        _ownsHttp = http is null;
        _http = http ?? new HttpClient { BaseAddress = server };
    }

    public string Mac { get; }
    public string? Token { get; private set; }
    public string PublicKeyPem => _key.ExportSubjectPublicKeyInfoPem() + "\n";

    public static string RandomMac() => string.Join(':', RandomNumberGenerator.GetBytes(6).Select(b => b.ToString("x2")));

    public byte[] AuthBody() => Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new
    {
        id_data = JsonSerializer.Serialize(new { mac = Mac }),
        tenant_token = "",
        pubkey = PublicKeyPem,
    }) + "\n");

    public string Sign(byte[] body) => Convert.ToBase64String(_key switch
    {
        RSA rsa => rsa.SignData(body, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1),
        ECDsa ec => ec.SignData(body, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence),
        _ => throw new NotSupportedException(),
    });

    /// <summary>One auth request; on 200 the token is kept.</summary>
    public async Task<HttpResponseMessage> AuthenticateAsync(CancellationToken ct, byte[]? body = null, string? signature = null)
    {
        body ??= AuthBody();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/devices/v1/authentication/auth_requests") { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.TryAddWithoutValidation("X-MEN-Signature", signature ?? Sign(body));
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer ");
        var response = await _http.SendAsync(request, ct);
        if (response.StatusCode == HttpStatusCode.OK) Token = await response.Content.ReadAsStringAsync(ct);
        return response;
    }

    /// <summary>A device call with the token, the body streamed chunked as the daemon's proxy does.</summary>
    /// <param name="server">Another node of the same cluster; the one the device was made with when null.</param>
    public Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, string? json, CancellationToken ct, string? token = null, Uri? server = null)
    {
        var request = new HttpRequestMessage(method, server is null ? new Uri(path, UriKind.Relative) : new Uri(server, path));
        if (json is not null)
        {
            request.Content = new StreamContent(new NonSeekableStream(Encoding.UTF8.GetBytes(json)));
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            request.Headers.TransferEncodingChunked = true;
        }
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + (token ?? Token));
        return _http.SendAsync(request, ct);
    }

    public Task<HttpResponseMessage> SendInventoryAsync(string deviceType, string artifactName, CancellationToken ct) =>
        SendAsync(HttpMethod.Put, "/api/devices/v1/inventory/device/attributes",
            JsonSerializer.Serialize(new object[]
            {
                new { name = "device_type", value = deviceType },
                new { name = "artifact_name", value = artifactName },
                new { name = "mender_client_version", value = "3.4.0" },
            }) + "\n", ct);

    public Task<HttpResponseMessage> NextAsync(string deviceType, string artifactName, CancellationToken ct, Uri? server = null) =>
        SendAsync(HttpMethod.Post, "/api/devices/v2/deployments/device/deployments/next",
            JsonSerializer.Serialize(new { device_provides = new { artifact_name = artifactName, device_type = deviceType }, update_control_map = true }), ct, server: server);

    public Task<HttpResponseMessage> StatusAsync(string deploymentId, string status, CancellationToken ct, Uri? server = null) =>
        SendAsync(HttpMethod.Put, $"/api/devices/v1/deployments/device/deployments/{deploymentId}/status", JsonSerializer.Serialize(new { status }) + "\n", ct, server: server);

    public void Dispose()
    {
        _key.Dispose();
        if (_ownsHttp) _http.Dispose();
    }

    /// <summary>Forces HttpClient to stream without a length, as the daemon's local proxy does.</summary>
    private sealed class NonSeekableStream(byte[] data) : MemoryStream(data)
    {
        public override bool CanSeek => false;
    }
}
