using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Dashboard.App.Auth;
using Dashboard.App.Realtime;
using Dashboard.App.Tests.Browser;
using Dashboard.App.Tests.Infrastructure;
using Dashboard.App.Tests.Rollouts;
using Dashboard.Data;
using Dashboard.Data.Auth;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.Time.Testing;
using Microsoft.Playwright;

namespace Dashboard.App.Tests.Security;

/// <summary>Token expiry, revocation of sessions derived from a token, device tokens, and secrets kept out of the logs.</summary>
[Collection(AppCollection.Name)]
public sealed class TokenLifetimeTests(BrowserFixture browser) : IAsyncLifetime
{
    private readonly TempDirectory _data = new();
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 11, 24, 12, 0, 0, TimeSpan.Zero));
    private readonly EveryLogLine _logs = new();
    private DashboardApp _app = default!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public ValueTask InitializeAsync()
    {
        _app = new DashboardApp(_data.Path, clock: _clock, services: s => s.AddSingleton<ILoggerProvider>(_logs)).Start();
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.DisposeAsync();
        _data.Dispose();
    }

    private async Task<(int Id, string Secret)> CreateTokenAsync(string name, string scope, DateTime? expiresAt = null)
    {
        using var admin = _app.ApiClient();
        using var response = await admin.PostAsJsonAsync("/api/tokens", new { name, scopes = new[] { scope }, expiresAt }, Ct);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        return (body.GetProperty("id").GetInt32(), body.GetProperty("secret").GetString()!);
    }

    [Fact]
    public async Task ApiToken_WithAnExpiry_StopsWorkingWhenItExpires()
    {
        var (_, secret) = await CreateTokenAsync("expiring-reader", ApiScopes.Read, _clock.GetUtcNow().UtcDateTime.AddHours(1));
        using var reader = _app.ApiClient(token: secret);
        using (var before = await reader.GetAsync("/api/timeline?limit=1", Ct)) Assert.Equal(HttpStatusCode.OK, before.StatusCode);

        _clock.Advance(TimeSpan.FromHours(1));

        using var after = await reader.GetAsync("/api/timeline?limit=1", Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, after.StatusCode);
        using var admin = _app.ApiClient();
        var listed = await admin.GetFromJsonAsync<JsonElement>("/api/tokens", Ct);
        Assert.Contains(listed.EnumerateArray(), t => t.GetProperty("name").GetString() == "expiring-reader" && t.GetProperty("expiresAt").ValueKind == JsonValueKind.String);
    }

    [Fact]
    public async Task TokensApi_Refuses_AnExpiryInThePast_AndRevokes()
    {
        using var admin = _app.ApiClient();
        using var past = await admin.PostAsJsonAsync("/api/tokens", new { name = "past", scopes = new[] { "read" }, expiresAt = _clock.GetUtcNow().UtcDateTime.AddMinutes(-1) }, Ct);
        Assert.Equal(HttpStatusCode.BadRequest, past.StatusCode);
        Assert.Equal("expiresAt", (await past.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("field").GetString());

        var (id, secret) = await CreateTokenAsync("to-revoke", ApiScopes.Read);
        using (var revoke = await admin.DeleteAsync($"/api/tokens/{id}", Ct)) Assert.Equal(HttpStatusCode.NoContent, revoke.StatusCode);
        using (var again = await admin.DeleteAsync($"/api/tokens/{id}", Ct)) Assert.Equal(HttpStatusCode.NotFound, again.StatusCode);
        using var reader = _app.ApiClient(token: secret);
        using var refused = await reader.GetAsync("/api/timeline", Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
    }

    [Fact]
    public async Task RevokingAKioskToken_SignsItsScreenOut()
    {
        var (id, secret) = await CreateTokenAsync("wall-revoked", ApiScopes.Kiosk);
        using var screen = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = _app.BaseAddress };
        using (var login = await screen.GetAsync($"/kiosk/login?token={Uri.EscapeDataString(secret)}", Ct)) Assert.Equal(HttpStatusCode.Redirect, login.StatusCode);
        Assert.Contains("data-testid=\"kiosk\"", await screen.GetStringAsync("/kiosk", Ct), StringComparison.Ordinal);

        using var admin = _app.ApiClient();
        using (var revoke = await admin.DeleteAsync($"/api/tokens/{id}", Ct)) Assert.Equal(HttpStatusCode.NoContent, revoke.StatusCode);
        // Another node's cache may have said "active" just before: past its 30 s the answer is fresh everywhere.
        _clock.Advance(TimeSpan.FromSeconds(31));

        using var after = await screen.GetAsync("/kiosk", Ct);
        Assert.Contains("data-testid=\"kiosk-signed-out\"", await after.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        Assert.Contains(after.Headers, h => h.Key == "Set-Cookie" && h.Value.Any(v => v.StartsWith("dashboard.auth=;", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task RevokingAToken_ClosesItsOpenHubConnections_AtOnce()
    {
        var (id, secret) = await CreateTokenAsync("hub-revoked", ApiScopes.Read);
        var (_, kept) = await CreateTokenAsync("hub-kept", ApiScopes.Read);
        await using var revoked = Hub(secret);
        await using var other = Hub(kept);
        var closed = ClosedSignal(revoked);
        await revoked.StartAsync(Ct);
        await other.StartAsync(Ct);
        await TrackedAsync(2);

        using (var admin = _app.ApiClient())
        using (var revoke = await admin.DeleteAsync($"/api/tokens/{id}", Ct))
            Assert.Equal(HttpStatusCode.NoContent, revoke.StatusCode);

        // The fake clock stands still: the sweep never runs, so only the revocation itself can close it.
        await closed.WaitAsync(TimeSpan.FromSeconds(10), Ct);
        Assert.Equal(HubConnectionState.Disconnected, revoked.State);
        Assert.Equal(HubConnectionState.Connected, other.State);
        Assert.Equal(1, _app.Service<TokenConnections>().Count);
    }

    [Fact]
    public async Task TokenRevokedWhileItsConnectionOpens_IsClosedAsTheConnectionIsTracked()
    {
        var (revokedId, _) = await CreateTokenAsync("hub-opening", ApiScopes.Read);
        var (liveId, _) = await CreateTokenAsync("hub-opening-kept", ApiScopes.Read);
        var connections = _app.Service<TokenConnections>();
        // The connection authenticated while its token still worked; the revocation came before the connection
        // was tracked, so its signal found nothing to close.
        using (var admin = _app.ApiClient())
        using (var revoke = await admin.DeleteAsync($"/api/tokens/{revokedId}", Ct))
            Assert.Equal(HttpStatusCode.NoContent, revoke.StatusCode);
        var revoked = new OpeningConnection(revokedId);
        var live = new OpeningConnection(liveId);

        await connections.OpenedAsync(revoked, Ct);
        await connections.OpenedAsync(live, Ct);

        Assert.True(revoked.Aborted);
        Assert.False(live.Aborted);
        Assert.Equal((0, 1), (connections.CountOf(revokedId), connections.CountOf(liveId)));
        connections.Closed(live);
    }

    /// <summary>A hub connection at the moment SignalR reports it connected: only what the tracking reads.</summary>
    private sealed class OpeningConnection(int tokenId) : Microsoft.AspNetCore.SignalR.HubCallerContext
    {
        public bool Aborted { get; private set; }
        public override string ConnectionId { get; } = Guid.NewGuid().ToString("N");
        public override string? UserIdentifier => null;
        public override System.Security.Claims.ClaimsPrincipal? User { get; } = new(new System.Security.Claims.ClaimsIdentity(
            [new System.Security.Claims.Claim(System.Security.Claims.ClaimTypes.NameIdentifier, $"token:{tokenId}")], "test"));
        public override IDictionary<object, object?> Items { get; } = new Dictionary<object, object?>();
        public override Microsoft.AspNetCore.Http.Features.IFeatureCollection Features { get; } = new Microsoft.AspNetCore.Http.Features.FeatureCollection();
        public override CancellationToken ConnectionAborted => CancellationToken.None;
        public override void Abort() => Aborted = true;
    }

    [Fact]
    public async Task TokenRevokedUnheard_ClosesItsOpenHubConnections_OnTheSweep()
    {
        var (id, secret) = await CreateTokenAsync("hub-unheard", ApiScopes.Read);
        await using var revoked = Hub(secret);
        var closed = ClosedSignal(revoked);
        await revoked.StartAsync(Ct);
        await TrackedAsync(1);

        // Revoked by a node whose signal never arrived: the row changes, nothing tells this node.
        await using (var db = await _app.Service<IDbContextFactory<DashboardDbContext>>().CreateDbContextAsync(Ct))
        {
            var row = await db.ApiTokens.SingleAsync(t => t.Id == id, Ct);
            row.RevokedAt = _clock.GetUtcNow().UtcDateTime;
            await db.SaveChangesAsync(Ct);
        }
        Assert.Equal(HubConnectionState.Connected, revoked.State);
        _clock.Advance(TokenConnections.SweepInterval);

        await closed.WaitAsync(TimeSpan.FromSeconds(15), Ct);
        Assert.Equal(HubConnectionState.Disconnected, revoked.State);
        Assert.Equal(0, _app.Service<TokenConnections>().Count);
    }

    [Fact]
    public async Task RevokingAKioskToken_SignsItsOpenScreenOut_AtOnce()
    {
        var (id, secret) = await CreateTokenAsync("wall-open", ApiScopes.Kiosk);
        var kiosk = await KioskPage.SignedInAsync(browser, _app, secret);
        await TrackedAsync(1);

        using (var admin = _app.ApiClient())
        using (var revoke = await admin.DeleteAsync($"/api/tokens/{id}", Ct))
            Assert.Equal(HttpStatusCode.NoContent, revoke.StatusCode);

        // The circuit's connection is closed; it reconnects without the (now refused) kiosk cookie and shows the sign-out.
        await Assertions.Expect(kiosk.Page.Locator("[data-testid=kiosk-signed-out]")).ToBeVisibleAsync(new() { Timeout = 15_000 });
        await kiosk.Page.Context.CloseAsync();
    }

    private static Task ClosedSignal(HubConnection connection)
    {
        var closed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        connection.Closed += _ =>
        {
            closed.TrySetResult();
            return Task.CompletedTask;
        };
        return closed.Task;
    }

    private HubConnection Hub(string token) => new HubConnectionBuilder()
        .WithUrl(new Uri(_app.BaseAddress, TimelineHub.Path), o => o.AccessTokenProvider = () => Task.FromResult<string?>(token))
        .Build();

    /// <summary>The server tracks a connection just after its handshake; the test acts once it has.</summary>
    private async Task TrackedAsync(int count)
    {
        var connections = _app.Service<TokenConnections>();
        await Eventually.WaitUntilAsync(() => connections.Count >= count);
        Assert.Equal(count, connections.Count);
    }

    [Fact]
    public async Task DeviceToken_StopsAtOnce_WhenTheDeviceIsRejected_AndWhenItExpires()
    {
        using var device = new MenderTestDevice(_app.BaseAddress);
        var id = await MenderDeviceApiTests.AdmitAsync(_app, device);
        using (var ok = await device.SendInventoryAsync("demo-device", "release-0", Ct)) Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        using var management = _app.ApiClient();
        var (_, authSet, _) = await MenderDeviceApiTests.FindAsync(management, device.Mac);

        using (var reject = await management.PutAsJsonAsync($"/api/management/v2/devauth/devices/{id}/auth/{authSet}/status", new { status = "rejected" }, Ct))
            Assert.Equal(HttpStatusCode.NoContent, reject.StatusCode);
        using (var refused = await device.SendInventoryAsync("demo-device", "release-0", Ct)) Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);

        using var other = new MenderTestDevice(_app.BaseAddress);
        await MenderDeviceApiTests.AdmitAsync(_app, other);
        Assert.Equal(3, other.Token!.Split('.').Length); // a signed JWT, not an opaque id
        _clock.Advance(Dashboard.Data.Rollouts.MenderDeviceService.TokenLifetime);
        using var expired = await other.SendInventoryAsync("demo-device", "release-0", Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, expired.StatusCode);
    }

    [Fact]
    public async Task Secrets_NeverReachTheLog()
    {
        var (_, kiosk) = await CreateTokenAsync("wall-logged", ApiScopes.Kiosk);
        var (_, reader) = await CreateTokenAsync("reader-logged", ApiScopes.Read);
        using (var screen = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = _app.BaseAddress })
        using (await screen.GetAsync($"/kiosk/login?token={Uri.EscapeDataString(kiosk)}", Ct)) { }
        foreach (var header in new[] { "Authorization", "X-Auth-Token", "X-Nomad-Token" })
        {
            using var client = _app.ApiClient(header, reader);
            foreach (var path in new[] { "/api/timeline", "/projects/x/batches", "/v1/jobs", "/api/management/v1/deployments/deployments", "/data/changes" })
                using (await client.GetAsync(path, Ct)) { }
        }
        var wrong = "dsh_wrong-secret-that-must-not-be-logged-123";
        using (var client = _app.ApiClient(token: wrong))
        using (await client.GetAsync("/api/timeline", Ct)) { }
        string menderSecret;
        using (var mender = new HttpClient { BaseAddress = _app.BaseAddress })
        using (var request = new HttpRequestMessage(HttpMethod.Post, "/api/management/v1/useradm/auth/login"))
        {
            request.Headers.Authorization = new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("admin:" + DashboardApp.AdminPassword)));
            using var response = await mender.SendAsync(request, Ct);
            menderSecret = await response.Content.ReadAsStringAsync(Ct);
        }
        using var device = new MenderTestDevice(_app.BaseAddress);
        await MenderDeviceApiTests.AdmitAsync(_app, device);
        using (await device.SendInventoryAsync("demo-device", "release-0", Ct)) { }

        var lines = _logs.Lines.ToList();
        Assert.NotEmpty(lines);
        foreach (var secret in new[] { kiosk, reader, wrong, menderSecret, device.Token!, DashboardApp.BootstrapToken, DashboardApp.AdminPassword })
        {
            Assert.False(string.IsNullOrEmpty(secret));
            Assert.DoesNotContain(lines, l => l.Contains(secret, StringComparison.Ordinal) || l.Contains(Uri.EscapeDataString(secret), StringComparison.Ordinal));
        }
    }

    /// <summary>Every line the app logs at the levels its configuration lets through, message and exception.</summary>
    private sealed class EveryLogLine : ILoggerProvider
    {
        public ConcurrentQueue<string> Lines { get; } = new();

        public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

        public void Dispose() { }

        private sealed class Logger(EveryLogLine owner, string category) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull
            {
                owner.Lines.Enqueue(category + " scope " + state);
                return null;
            }

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                owner.Lines.Enqueue($"{category} {logLevel} {formatter(state, exception)} {state} {exception}");
        }
    }
}
