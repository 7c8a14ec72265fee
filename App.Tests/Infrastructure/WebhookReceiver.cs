using System.Net;
using System.Text;

namespace Dashboard.App.Tests.Infrastructure;

/// <summary>
/// A real HTTP receiver on a loopback port for webhook tests. Created "down" (nothing listens on
/// the port, so connections are refused); <see cref="Start"/> brings it up on that same port.
/// </summary>
public sealed class WebhookReceiver : IDisposable
{
    public sealed record Received(string Body, string? Signature, string? DeliveryId, string? Event, string? Timestamp);

    private readonly Lock _gate = new();
    private readonly List<Received> _received = [];
    private readonly List<(int Count, TaskCompletionSource Done)> _waiters = [];
    private HttpListener? _listener;

    public int Port { get; } = DashboardApp.FreeLoopbackPort();

    public string Url => $"http://127.0.0.1:{Port}/hook";

    /// <summary>The status code answered; anything but 2xx is a failure to the sender.</summary>
    public int Status { get; set; } = 204;

    public IReadOnlyList<Received> All { get { lock (_gate) return [.. _received]; } }

    public WebhookReceiver Start()
    {
        _listener = new HttpListener();
        _listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
        _listener.Start();
        _ = AcceptAsync(_listener);
        return this;
    }

    /// <summary>Completes when at least <paramref name="count"/> requests arrived (bounded by the test's own timeout).</summary>
    public Task WaitForAsync(int count, TimeSpan timeout)
    {
        lock (_gate)
        {
            if (_received.Count >= count) return Task.CompletedTask;
            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((count, done));
            return done.Task.WaitAsync(timeout);
        }
    }

    private async Task AcceptAsync(HttpListener listener)
    {
        while (listener.IsListening)
        {
            HttpListenerContext context;
            try { context = await listener.GetContextAsync(); }
            catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException or InvalidOperationException) { return; }
            using (var reader = new StreamReader(context.Request.InputStream, Encoding.UTF8))
            {
                var body = await reader.ReadToEndAsync();
                var headers = context.Request.Headers;
                // Recorded before the answer: a sender that got its answer finds its request in All.
                lock (_gate)
                {
                    _received.Add(new Received(body, headers["X-Dashboard-Signature"], headers["X-Dashboard-Delivery"], headers["X-Dashboard-Event"], headers["X-Dashboard-Timestamp"]));
                    foreach (var waiter in _waiters.Where(w => _received.Count >= w.Count).ToList())
                    {
                        _waiters.Remove(waiter);
                        waiter.Done.TrySetResult();
                    }
                }
                context.Response.StatusCode = Status;
                context.Response.Close();
            }
        }
    }

    public void Dispose()
    {
        if (_listener is null) return;
        _listener.Stop();
        _listener.Close();
    }
}
