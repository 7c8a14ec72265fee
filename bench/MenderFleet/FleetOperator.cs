using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Dashboard.MenderFleet;

/// <summary>
/// The operator side of <c>--accept</c>: lists pending devices through the devauth management API
/// (v2) and accepts the auth sets of this run's devices (identity <c>sn</c> with this run's prefix),
/// never anyone else's.
/// </summary>
public sealed class FleetOperator(HttpClient http, FleetOptions options, FleetStats stats)
{
    public const string LoginPath = "api/management/v1/useradm/auth/login";
    public const string DevicesPath = "api/management/v2/devauth/devices";
    private const int PerPage = 500;
    private string? _token = options.AdminToken;

    /// <summary>Logs in with Basic auth when no token was given (200, the token as bare text).</summary>
    public async Task<string> TokenAsync(CancellationToken ct)
    {
        if (_token is not null) return _token;
        using var request = new HttpRequestMessage(HttpMethod.Post, LoginPath) { Content = new ByteArrayContent([]) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(Encoding.UTF8.GetBytes($"{options.AdminUser}:{options.AdminPassword}")));
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        var started = Stopwatch.GetTimestamp();
        using var response = await http.SendAsync(request, ct);
        var body = await response.Content.ReadAsStringAsync(ct);
        stats.Call("mgmt-login").Record(Stopwatch.GetElapsedTime(started), (int)response.StatusCode, response.IsSuccessStatusCode);
        if ((int)response.StatusCode != 200)
            throw new InvalidOperationException($"login failed with status {(int)response.StatusCode}: {body}");
        return _token = body;
    }

    /// <summary>Accepts pending devices of this run every second until cancelled.</summary>
    public async Task RunAsync(CancellationToken ct)
    {
        try
        {
            var token = await TokenAsync(ct);
            while (!ct.IsCancellationRequested)
            {
                var accepted = await AcceptPendingAsync(token, ct);
                if (accepted == 0) await Task.Delay(TimeSpan.FromSeconds(1), ct);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
    }

    /// <summary>One sweep over the pending devices; returns how many auth sets it accepted.</summary>
    public async Task<int> AcceptPendingAsync(string token, CancellationToken ct)
    {
        var accepted = 0;
        for (var page = 1; ; page++)
        {
            var devices = await ListPendingAsync(token, page, ct);
            if (devices is null) return accepted;
            var ours = devices
                .Where(d => d.IdentityData is { } identity && identity.TryGetValue("sn", out var sn) && sn.ValueKind == JsonValueKind.String
                    && sn.GetString()!.StartsWith(options.Prefix + "-", StringComparison.Ordinal))
                .SelectMany(d => (d.AuthSets ?? []).Where(a => a.Status == "pending").Select(a => (Device: d.Id, AuthSet: a.Id)))
                .ToList();
            await Parallel.ForEachAsync(ours, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = ct }, async (set, token2) =>
            {
                if (await AcceptAsync(token, set.Device, set.AuthSet, token2)) Interlocked.Increment(ref accepted);
            });
            if (devices.Count < PerPage) return accepted;
        }
    }

    private async Task<List<DeviceView>?> ListPendingAsync(string token, int page, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"{DevicesPath}?status=pending&page={page}&per_page={PerPage}");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        var started = Stopwatch.GetTimestamp();
        try
        {
            using var response = await http.SendAsync(request, ct);
            var body = await response.Content.ReadAsStringAsync(ct);
            var code = (int)response.StatusCode;
            stats.Call("mgmt-list").Record(Stopwatch.GetElapsedTime(started), code, code == 200);
            if (code != 200)
            {
                stats.Unexpected("mgmt-list", code, body);
                return null;
            }
            return JsonSerializer.Deserialize<List<DeviceView>>(body, DeviceApi.GoJson) ?? [];
        }
        catch (Exception e) when (e is HttpRequestException or JsonException || (e is TaskCanceledException && !ct.IsCancellationRequested))
        {
            stats.Call("mgmt-list").Record(Stopwatch.GetElapsedTime(started), 0, expected: false);
            stats.Unexpected("mgmt-list", 0, e.Message);
            return null;
        }
    }

    private async Task<bool> AcceptAsync(string token, string deviceId, string authSetId, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Put, $"{DevicesPath}/{Uri.EscapeDataString(deviceId)}/auth/{Uri.EscapeDataString(authSetId)}/status")
        {
            Content = new ByteArrayContent("{\"status\":\"accepted\"}\n"u8.ToArray()),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        var started = Stopwatch.GetTimestamp();
        try
        {
            using var response = await http.SendAsync(request, ct);
            var code = (int)response.StatusCode;
            stats.Call("mgmt-accept").Record(Stopwatch.GetElapsedTime(started), code, code == 204);
            if (code != 204) stats.Unexpected("mgmt-accept", code, await response.Content.ReadAsStringAsync(ct));
            return code == 204;
        }
        catch (Exception e) when (e is HttpRequestException || (e is TaskCanceledException && !ct.IsCancellationRequested))
        {
            stats.Call("mgmt-accept").Record(Stopwatch.GetElapsedTime(started), 0, expected: false);
            stats.Unexpected("mgmt-accept", 0, e.Message);
            return false;
        }
    }

    private sealed record DeviceView(
        [property: JsonPropertyName("id")] string Id,
        [property: JsonPropertyName("status")] string? Status,
        [property: JsonPropertyName("identity_data")] Dictionary<string, JsonElement>? IdentityData,
        [property: JsonPropertyName("auth_sets")] List<AuthSetView>? AuthSets);

    private sealed record AuthSetView(
        [property: JsonPropertyName("id")] string Id,
        [property: JsonPropertyName("status")] string? Status);
}
