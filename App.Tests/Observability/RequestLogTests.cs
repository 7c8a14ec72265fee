using System.Collections.Concurrent;
using System.Net;
using System.Text;
using Dashboard.App.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Dashboard.App.Tests.Observability;

[Collection(AppCollection.Name)]
public sealed class RequestLogTests : IAsyncLifetime
{
    private static readonly CancellationToken Ct = TestContext.Current.CancellationToken;
    private readonly TempDirectory _data = new();
    private readonly ScopedLogs _logs = new();
    private DashboardApp _app = default!;

    public ValueTask InitializeAsync()
    {
        _app = new DashboardApp(_data.Path, services: s => s.AddSingleton<ILoggerProvider>(_logs)).Start();
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.DisposeAsync();
        _data.Dispose();
    }

    [Fact]
    public async Task RefusedRequests_AreLoggedOnce_WithWhy_AndTheFamilysRequestIdInScope()
    {
        var requestId = $"req-{Guid.NewGuid():N}";
        using var client = _app.ApiClient(token: null);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/devices/v1/authentication/auth_requests")
        {
            Content = new StringContent("{\"id_data\": 42}", Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("X-MEN-RequestID", requestId);
        using var response = await client.SendAsync(request, Ct);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);

        var lines = _logs.Entries.Where(e => e.Scopes.Contains($"RequestId={requestId}")).ToList();
        var refused = Assert.Single(lines, e => e.Message.StartsWith("Refused POST /api/devices/v1/authentication/auth_requests with 400", StringComparison.Ordinal));
        Assert.Equal(LogLevel.Information, refused.Level);

        // Outside Mender the request's own trace identifier is the id; an authentication refusal says why.
        using var packet = await client.GetAsync("/facilities", Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, packet.StatusCode);
        var unauthorized = Assert.Single(_logs.Entries, e => e.Message.StartsWith("Refused GET /facilities with 401", StringComparison.Ordinal));
        Assert.Contains("Missing API token.", unauthorized.Message);
        Assert.Contains(unauthorized.Scopes, s => s.StartsWith("RequestId=", StringComparison.Ordinal) && s != $"RequestId={requestId}");
    }

    /// <summary>Information-level lines with the scopes they were written in.</summary>
    private sealed class ScopedLogs : ILoggerProvider, ISupportExternalScope
    {
        private readonly ConcurrentQueue<Entry> _entries = new();
        private IExternalScopeProvider _scopes = new LoggerExternalScopeProvider();

        public sealed record Entry(string Category, LogLevel Level, string Message, IReadOnlyList<string> Scopes);

        public IReadOnlyList<Entry> Entries => [.. _entries];

        public void SetScopeProvider(IExternalScopeProvider scopeProvider) => _scopes = scopeProvider;

        public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

        public void Dispose() { }

        private sealed class Logger(ScopedLogs owner, string category) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => owner._scopes.Push(state);

            public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                if (!IsEnabled(logLevel)) return;
                var scopes = new List<string>();
                owner._scopes.ForEachScope((scope, list) =>
                {
                    if (scope is IEnumerable<KeyValuePair<string, object>> pairs) list.AddRange(pairs.Select(p => $"{p.Key}={p.Value}"));
                    else if (scope is not null) list.Add(scope.ToString() ?? "");
                }, scopes);
                owner._entries.Enqueue(new Entry(category, logLevel, formatter(state, exception), scopes));
            }
        }
    }
}
