using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json;
using Dashboard.App.Tests.Rollouts;

namespace Dashboard.App.Tests.Crash;

/// <summary>
/// The clients of a crash run, in the test process: Mender devices that fetch their deployment and
/// report downloading, installing and success, and a tool sending BigPanda start/end events. Each
/// retries what was not answered 2xx (connection refused while the app is down, reset by the kill),
/// as the real clients do, and remembers what was acknowledged: that is what must survive.
/// </summary>
internal sealed class CrashLoad(HttpClient http, string deviceType, int eventWorkers)
{
    /// <summary>The statuses a device reports, in order; a device's stored status may never be earlier than its last acknowledged one.</summary>
    public static readonly IReadOnlyList<string> Statuses = ["pending", "downloading", "installing", "success"];

    private readonly ConcurrentDictionary<string, int> _acknowledged = new();
    private readonly ConcurrentDictionary<string, string> _ended = new();
    private readonly ConcurrentDictionary<string, bool> _started = new();
    private long _reports;
    private long _events;
    private long _retries;

    public string EventPrefix { get; } = "crash-" + Guid.NewGuid().ToString("N")[..8] + "-";

    /// <summary>Per device id: the index in <see cref="Statuses"/> of its last acknowledged report.</summary>
    public IReadOnlyDictionary<string, int> AcknowledgedReports => _acknowledged;

    /// <summary>Components whose start event was acknowledged.</summary>
    public ICollection<string> StartedComponents => _started.Keys;

    /// <summary>Components whose end event was acknowledged.</summary>
    public ICollection<string> EndedComponents => _ended.Keys;

    public long ReportsAcknowledged => Interlocked.Read(ref _reports);
    public long EventsAcknowledged => Interlocked.Read(ref _events);
    public long Retries => Interlocked.Read(ref _retries);

    /// <summary>Every device takes its deployment to success; returns when all did.</summary>
    public async Task RunDevicesAsync(IReadOnlyList<(string Id, string Token)> devices, int workers, CancellationToken ct)
    {
        var queue = new ConcurrentQueue<(string Id, string Token)>(devices);
        await Task.WhenAll(Enumerable.Range(0, workers).Select(async _ =>
        {
            while (queue.TryDequeue(out var device))
            {
                if (!await TryDeviceAsync(device, ct))
                {
                    // Its phase has not started: others first, then ask again, as a polling device does.
                    queue.Enqueue(device);
                    await Task.Delay(TimeSpan.FromMilliseconds(50), ct);
                }
            }
        }));
    }

    /// <summary>Start and end events for new components until stopped.</summary>
    public Task RunEventsAsync(string eventToken, CancellationToken stop) =>
        Task.WhenAll(Enumerable.Range(0, eventWorkers).Select(async worker =>
        {
            try { await EventsAsync(eventToken, worker, stop); }
            catch (OperationCanceledException) when (stop.IsCancellationRequested) { }
        }));

    private async Task EventsAsync(string eventToken, int worker, CancellationToken stop)
    {
        for (var i = 0; !stop.IsCancellationRequested; i++)
        {
            var component = $"{EventPrefix}{worker}-{i}";
            var body = $$"""{"component":"{{component}}","version":"1.0.{{i}}","hosts":["crash-host-{{worker}}"],"source":"crash"}""";
            if (!await UntilAcknowledgedAsync(HttpMethod.Post, "/data/events/deployments/start", eventToken, body, stop)) return;
            _started[component] = true;
            Interlocked.Increment(ref _events);
            var end = $$"""{"component":"{{component}}","version":"1.0.{{i}}","hosts":["crash-host-{{worker}}"],"status":"success","source":"crash"}""";
            if (!await UntilAcknowledgedAsync(HttpMethod.Post, "/data/events/deployments/end", eventToken, end, stop)) return;
            _ended[component] = "success";
            Interlocked.Increment(ref _events);
        }
    }

    /// <summary>One pass over a device: false when it has nothing to do yet.</summary>
    private async Task<bool> TryDeviceAsync((string Id, string Token) device, CancellationToken ct)
    {
        var next = JsonSerializer.Serialize(new { device_provides = new { artifact_name = "release-0", device_type = deviceType }, update_control_map = true });
        string? deployment = null;
        while (deployment is null)
        {
            ct.ThrowIfCancellationRequested();
            var (status, body) = await SendAsync(HttpMethod.Post, "/api/devices/v2/deployments/device/deployments/next", device.Token, next, ct);
            if (status == HttpStatusCode.NoContent) return false;
            if (status == HttpStatusCode.OK) deployment = JsonDocument.Parse(body).RootElement.GetProperty("id").GetString();
            else await BackOffAsync(ct);
        }
        var from = _acknowledged.GetValueOrDefault(device.Id);
        for (var s = from + 1; s < Statuses.Count; s++)
        {
            var report = JsonSerializer.Serialize(new { status = Statuses[s] }) + "\n";
            if (!await UntilAcknowledgedAsync(HttpMethod.Put, $"/api/devices/v1/deployments/device/deployments/{deployment}/status", device.Token, report, ct))
                return true;
            _acknowledged[device.Id] = s;
            Interlocked.Increment(ref _reports);
        }
        return true;
    }

    private async Task<bool> UntilAcknowledgedAsync(HttpMethod method, string path, string token, string body, CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            var (status, text) = await SendAsync(method, path, token, body, ct);
            if ((int)status is >= 200 and < 300) return true;
            // 409 on a status report: the deployment is over for this device; nothing more to send.
            if (status == HttpStatusCode.Conflict) throw new InvalidOperationException($"{method} {path}: 409 {text}");
            await BackOffAsync(ct);
        }
        return false;
    }

    private async Task<(HttpStatusCode Status, string Body)> SendAsync(HttpMethod method, string path, string token, string json, CancellationToken ct)
    {
        try
        {
            using var request = new HttpRequestMessage(method, path);
            request.Content = new StringContent(json, Encoding.UTF8);
            request.Content.Headers.ContentType = new("application/json");
            request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + token);
            using var response = await http.SendAsync(request, ct);
            return (response.StatusCode, await response.Content.ReadAsStringAsync(ct));
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException || (ex is TaskCanceledException && !ct.IsCancellationRequested))
        {
            // Refused while the app is down, or cut by the kill: not acknowledged, so send it again.
            return (0, ex.Message);
        }
    }

    private async Task BackOffAsync(CancellationToken ct)
    {
        Interlocked.Increment(ref _retries);
        await Task.Delay(TimeSpan.FromMilliseconds(100), ct);
    }
}
