using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Dashboard.Data.Timeline;

namespace Dashboard.Data.Webhooks;

/// <summary>What one attempt came to: success only for a 2xx answer.</summary>
public sealed record WebhookAttempt(bool Succeeded, int? StatusCode, string? Error);

/// <summary>
/// Sends one signed delivery, only to addresses <see cref="WebhookAddresses"/> allows. Redirects are not followed (a 3xx is a failure), every attempt is
/// bounded in time, and at most <see cref="MaxConcurrent"/> sends run at once, so a slow or dead
/// receiver holds few job workers and never the dashboard.
/// </summary>
public sealed class WebhookSender : IDisposable
{
    public const string SignatureHeader = "X-Dashboard-Signature";
    public const string DeliveryHeader = "X-Dashboard-Delivery";
    public const string EventHeader = "X-Dashboard-Event";
    public const string TimestampHeader = "X-Dashboard-Timestamp";
    public const int MaxConcurrent = 2;
    public const int MaxErrorLength = 500;
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    // Made on the first delivery: a node without webhooks never loads the HTTP client stack
    // (docs/BENCHMARKS.md, "Idle memory").
    private readonly WebhookAddresses _addresses;
    private HttpClient? _http;
    private readonly SemaphoreSlim _slots = new(MaxConcurrent, MaxConcurrent);
    private readonly TimeProvider _clock;

    public WebhookSender(TimeProvider clock, WebhookAddresses addresses)
    {
        _clock = clock;
        _addresses = addresses;
    }

    private HttpClient Http => LazyInitializer.EnsureInitialized(ref _http, () => CreateClient(_addresses));

    private static HttpClient CreateClient(WebhookAddresses addresses)
    {
        var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            ConnectTimeout = TimeSpan.FromSeconds(5),
            PooledConnectionLifetime = TimeSpan.FromMinutes(2),
            UseCookies = false,
        };
        // Checked on every connection, not only at registration: the receiver's name may resolve elsewhere by now.
        if (!addresses.AllowPrivate) handler.ConnectCallback = (context, ct) => addresses.ConnectAsync(context.DnsEndPoint, ct);
        var http = new HttpClient(handler) { Timeout = Timeout };
        http.DefaultRequestHeaders.UserAgent.ParseAdd("Dashboard-Webhooks/1.0");
        return http;
    }

    /// <summary>The body a receiver gets for a timeline entry: the entry's public fields.</summary>
    public static string Body(TimelineEntry entry) => JsonSerializer.Serialize(new
    {
        id = entry.Id,
        source = entry.Source,
        subjectKind = entry.SubjectType,
        subjectId = entry.SubjectId,
        status = entry.Status,
        title = entry.Title,
        component = entry.Component,
        version = entry.Version,
        hosts = entry.Hosts,
        actor = entry.Actor,
        occurredAt = entry.OccurredAt,
    }, Json);

    /// <summary><c>sha256=</c> and the lower-case hex HMAC-SHA256 of the raw body under the webhook's secret.</summary>
    public static string Sign(string secret, byte[] body) =>
        "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), body));

    public async Task<WebhookAttempt> SendAsync(string url, string secret, Guid deliveryId, string eventType, string body, CancellationToken ct)
    {
        var bytes = Encoding.UTF8.GetBytes(body);
        await _slots.WaitAsync(ct);
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new ByteArrayContent(bytes) };
            request.Content.Headers.ContentType = new("application/json") { CharSet = "utf-8" };
            request.Headers.Add(SignatureHeader, Sign(secret, bytes));
            request.Headers.Add(DeliveryHeader, deliveryId.ToString());
            request.Headers.Add(EventHeader, eventType);
            request.Headers.Add(TimestampHeader, _clock.GetUtcNow().ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture));
            using var response = await Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
            var code = (int)response.StatusCode;
            if (response.IsSuccessStatusCode) return new(true, code, null);
            var answer = await ReadStartAsync(response, ct);
            var error = code is >= 300 and < 400
                ? $"HTTP {code}: redirects are not followed{(response.Headers.Location is { } to ? $" (to {to})" : "")}"
                : $"HTTP {code}{(answer.Length > 0 ? ": " + answer : "")}";
            return new(false, code, Truncate(error));
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return new(false, null, $"No answer within {Timeout.TotalSeconds:0} s.");
        }
        catch (HttpRequestException ex)
        {
            return new(false, null, Truncate(ex.InnerException is { } inner ? $"{ex.Message} ({inner.Message})" : ex.Message));
        }
        finally
        {
            _slots.Release();
        }
    }

    // Only the start of the answer is kept: enough to diagnose, never a receiver's whole page.
    private static async Task<string> ReadStartAsync(HttpResponseMessage response, CancellationToken ct)
    {
        await using var stream = await response.Content.ReadAsStreamAsync(ct);
        var buffer = new byte[MaxErrorLength];
        var read = 0;
        while (read < buffer.Length)
        {
            var n = await stream.ReadAsync(buffer.AsMemory(read), ct);
            if (n == 0) break;
            read += n;
        }
        return Encoding.UTF8.GetString(buffer, 0, read).Trim();
    }

    private static string Truncate(string text) => text.Length <= MaxErrorLength ? text : text[..(MaxErrorLength - 1)] + "…";

    public void Dispose()
    {
        _http?.Dispose();
        _slots.Dispose();
    }
}
