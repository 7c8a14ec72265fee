using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Dashboard.App.Tests.Infrastructure;
using Dashboard.Data;
using Dashboard.Data.Webhooks;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Time.Testing;

namespace Dashboard.App.Tests.Jobs.Webhooks;

/// <summary>
/// Webhooks end to end: the real app with its Hangfire server and a fake clock, change events through
/// the BigPanda API, and a real loopback receiver that is down for over a minute, across a restart.
/// </summary>
[Collection(AppCollection.Name)]
public sealed class WebhookDeliveryAppTests
{
    private const string Secret = "app-test-secret-0123456789";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Deliveries_ArriveInOrderWithValidSignatures_AfterTheReceiverWasDownAndTheAppRestarted()
    {
        var ct = TestContext.Current.CancellationToken;
        using var data = new TempDirectory();
        using var receiver = new WebhookReceiver();
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 11, 24, 9, 0, 0, TimeSpan.Zero));
        var component = $"hooked-{Guid.NewGuid():N}"[..20];

        await using (var first = new DashboardApp(data.Path, clock: clock).Start())
        {
            using var api = first.ApiClient();
            var bad = await api.PostAsJsonAsync("/api/webhooks", new { name = "bad", url = "file:///etc/passwd" }, ct);
            Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
            Assert.Equal("url", (await bad.Content.ReadFromJsonAsync<JsonElement>(ct)).GetProperty("field").GetString());

            var created = await api.PostAsJsonAsync("/api/webhooks", new { name = "ops", url = receiver.Url, secret = Secret, components = new[] { component } }, ct);
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
            Assert.Equal(Secret, (await created.Content.ReadFromJsonAsync<JsonElement>(ct)).GetProperty("secret").GetString());

            var change = new { component, version = "1.0.0", hosts = new[] { "web-1" }, owner = "ci@example.com" };
            (await api.PostAsJsonAsync("/data/events/deployments/start", change, ct)).EnsureSuccessStatusCode();
            (await api.PostAsJsonAsync("/data/events/deployments/end", new { change.component, change.version, change.hosts, status = "success" }, ct)).EnsureSuccessStatusCode();

            await AttemptsAsync(first, 1, ct);
            clock.Advance(WebhookRunner.Backoff(1));
            await AttemptsAsync(first, 2, ct);
            Assert.Empty(receiver.All);
        }

        receiver.Start();
        await using var second = new DashboardApp(data.Path, clock: clock).Start();
        // Down for 10 s + 20 s before the restart; the next attempt is due 20 s after the second.
        clock.Advance(TimeSpan.FromSeconds(45));
        await receiver.WaitForAsync(2, Patience);

        var bodies = receiver.All.Select(r => JsonDocument.Parse(r.Body).RootElement).ToList();
        Assert.Equal(["in_progress", "succeeded"], bodies.Select(b => b.GetProperty("status").GetString()));
        Assert.All(bodies, b => Assert.Equal(component, b.GetProperty("component").GetString()));
        Assert.True(bodies[0].GetProperty("id").GetInt64() < bodies[1].GetProperty("id").GetInt64());
        Assert.All(receiver.All, r => Assert.Equal(WebhookSender.Sign(Secret, Encoding.UTF8.GetBytes(r.Body)), r.Signature));
        Assert.All(receiver.All, r => Assert.True(Guid.TryParse(r.DeliveryId, out _)));
        Assert.All(receiver.All, r => Assert.Equal(clock.GetUtcNow().ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture), r.Timestamp));

        using var client = second.ApiClient();
        var hooks = await client.GetFromJsonAsync<JsonElement>("/api/webhooks", ct);
        var hook = hooks.EnumerateArray().Single(h => h.GetProperty("name").GetString() == "ops");
        await WaitAsync(async () =>
        {
            var entries = (await client.GetFromJsonAsync<JsonElement>($"/api/webhooks/{hook.GetProperty("id").GetGuid()}/deliveries", ct)).EnumerateArray().ToList();
            return entries.Count == 2 && entries.All(e => e.GetProperty("state").GetString() == WebhookDeliveryStates.Delivered);
        });
        var log = await client.GetFromJsonAsync<JsonElement>($"/api/webhooks/{hook.GetProperty("id").GetGuid()}/deliveries", ct);
        Assert.Contains(log.EnumerateArray(), e => e.GetProperty("attempts").GetInt32() == 3 && e.GetProperty("lastStatusCode").GetInt32() == 204);
        Assert.Empty(second.Logs.Entries);
    }

    [Fact]
    public async Task Secrets_AreEncryptedAtRest_LegacyOnesAtStartUp_AndALostKeyFailsOnlyItsWebhook_UntilTheSecretIsRotated()
    {
        const string legacySecret = "legacy-plain-text-secret-42";
        var ct = TestContext.Current.CancellationToken;
        using var data = new TempDirectory();
        using var lostReceiver = new WebhookReceiver().Start();
        using var legacyReceiver = new WebhookReceiver().Start();
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 11, 24, 9, 0, 0, TimeSpan.Zero));
        var component = $"sealed-{Guid.NewGuid():N}"[..20];
        Guid lostId, legacyId;

        await using (var first = new DashboardApp(data.Path, clock: clock).Start())
        {
            using var api = first.ApiClient();
            var created = await api.PostAsJsonAsync("/api/webhooks", new { name = "lost", url = lostReceiver.Url, secret = Secret, components = new[] { component } }, ct);
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
            lostId = (await created.Content.ReadFromJsonAsync<JsonElement>(ct)).GetProperty("id").GetGuid();

            // As a version that stored secrets in plain text left it.
            var legacy = WebhookValidator.Validate(new WebhookRequest("legacy", legacyReceiver.Url, legacySecret, Components: [component]), out _);
            legacy.Id = legacyId = Guid.NewGuid();
            await using var db = await first.Service<IDbContextFactory<DashboardDbContext>>().CreateDbContextAsync(ct);
            db.Webhooks.Add(legacy);
            await db.SaveChangesAsync(ct);
        }
        Assert.All(Directory.EnumerateFiles(data.Path, "dashboard.db*"),
            file => Assert.DoesNotContain(Secret, Encoding.UTF8.GetString(File.ReadAllBytes(file)), StringComparison.Ordinal));
        // The key ring is lost: the database came back from a backup without the data directory's keys.
        Directory.Delete(Path.Combine(data.Path, "keys"), recursive: true);

        await using var second = new DashboardApp(data.Path, clock: clock).Start();
        await using (var db = await second.Service<IDbContextFactory<DashboardDbContext>>().CreateDbContextAsync(ct))
        {
            var legacyStored = await db.Webhooks.Where(w => w.Id == legacyId).Select(w => w.Secret).SingleAsync(ct);
            Assert.StartsWith(WebhookSecrets.Prefix, legacyStored, StringComparison.Ordinal);
            Assert.DoesNotContain(legacySecret, legacyStored, StringComparison.Ordinal);
        }
        using var admin = second.ApiClient();
        var change = new { component, version = "2.0.0", hosts = new[] { "web-1" }, owner = "ci@example.com" };
        (await admin.PostAsJsonAsync("/data/events/deployments/start", change, ct)).EnsureSuccessStatusCode();

        await legacyReceiver.WaitForAsync(1, Patience);
        var legacyDelivery = Assert.Single(legacyReceiver.All);
        Assert.Equal(WebhookSender.Sign(legacySecret, Encoding.UTF8.GetBytes(legacyDelivery.Body)), legacyDelivery.Signature);
        JsonElement failed = default;
        await WaitAsync(async () =>
        {
            failed = (await admin.GetFromJsonAsync<JsonElement>($"/api/webhooks/{lostId}/deliveries", ct)).EnumerateArray().SingleOrDefault();
            return failed.ValueKind == JsonValueKind.Object && failed.GetProperty("attempts").GetInt32() >= 1;
        });
        Assert.Equal(WebhookSecrets.CannotDecrypt, failed.GetProperty("lastError").GetString());
        Assert.Equal(WebhookDeliveryStates.Pending, failed.GetProperty("state").GetString());
        Assert.Empty(lostReceiver.All);

        var tooShort = await admin.PostAsJsonAsync($"/api/webhooks/{lostId}/secret", new { secret = "short" }, ct);
        Assert.Equal(HttpStatusCode.BadRequest, tooShort.StatusCode);
        Assert.Equal("secret", (await tooShort.Content.ReadFromJsonAsync<JsonElement>(ct)).GetProperty("field").GetString());
        var missing = await admin.PostAsync($"/api/webhooks/{Guid.NewGuid()}/secret", null, ct);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.True((await missing.Content.ReadFromJsonAsync<JsonElement>(ct)).TryGetProperty("error", out _));

        // An empty body generates the new secret; the waiting delivery goes out with it at once.
        var rotated = await admin.PostAsync($"/api/webhooks/{lostId}/secret", null, ct);
        Assert.Equal(HttpStatusCode.OK, rotated.StatusCode);
        var newSecret = (await rotated.Content.ReadFromJsonAsync<JsonElement>(ct)).GetProperty("secret").GetString()!;
        await lostReceiver.WaitForAsync(1, Patience);
        var delivered = Assert.Single(lostReceiver.All);
        Assert.Equal(WebhookSender.Sign(newSecret, Encoding.UTF8.GetBytes(delivered.Body)), delivered.Signature);
        Assert.Equal(JsonDocument.Parse(legacyDelivery.Body).RootElement.GetProperty("id").GetInt64(), JsonDocument.Parse(delivered.Body).RootElement.GetProperty("id").GetInt64());
        // The lost key was a failed attempt on a log, never an error of the app.
        Assert.Empty(second.Logs.Entries);
    }

    [Fact]
    public async Task Api_RequiresTheAdminScope_AndAnswersMissingWebhooksWith404InJson()
    {
        var ct = TestContext.Current.CancellationToken;
        using var data = new TempDirectory();
        await using var app = new DashboardApp(data.Path).Start();
        using var admin = app.ApiClient();
        var nameless = await admin.PostAsJsonAsync("/api/webhooks", new { name = "", url = "https://127.0.0.1/x" }, ct);
        Assert.Equal(HttpStatusCode.BadRequest, nameless.StatusCode);
        Assert.Equal("name", (await nameless.Content.ReadFromJsonAsync<JsonElement>(ct)).GetProperty("field").GetString());

        var missing = await admin.DeleteAsync($"/api/webhooks/{Guid.NewGuid()}", ct);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.True((await missing.Content.ReadFromJsonAsync<JsonElement>(ct)).TryGetProperty("error", out _));

        var reader = await app.Service<Dashboard.Data.Auth.TokenService>().CreateAsync("reader", [Dashboard.Data.Auth.ApiScopes.Read], "admin", ct: ct);
        using var readOnly = app.ApiClient(token: reader.Secret);
        Assert.Equal(HttpStatusCode.Forbidden, (await readOnly.GetAsync("/api/webhooks", ct)).StatusCode);

        using var anonymous = app.ApiClient(token: null);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/api/webhooks", ct)).StatusCode);
    }

    [Fact]
    public async Task PrivateAddresses_AreRefusedAtRegistrationInJson_AndAtDelivery_WhenNotAllowed()
    {
        var ct = TestContext.Current.CancellationToken;
        using var data = new TempDirectory();
        using var receiver = new WebhookReceiver().Start();
        await using var app = new DashboardApp(data.Path, new Dictionary<string, string?> { ["Dashboard:Webhooks:AllowPrivateAddresses"] = "false" }).Start();
        using var admin = app.ApiClient();

        var refused = await admin.PostAsJsonAsync("/api/webhooks", new { name = "internal", url = receiver.Url }, ct);

        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        var error = await refused.Content.ReadFromJsonAsync<JsonElement>(ct);
        Assert.Equal("url", error.GetProperty("field").GetString());
        Assert.Contains("private address", error.GetProperty("error").GetString(), StringComparison.Ordinal);

        // Registered while its name resolved to a public address; by delivery it resolves to loopback.
        var webhook = WebhookValidator.Validate(new WebhookRequest("rebound", $"http://localhost:{receiver.Port}/hook", Secret), out _);
        webhook.Id = Guid.NewGuid();
        await using (var db = await app.Service<IDbContextFactory<DashboardDbContext>>().CreateDbContextAsync(ct))
        {
            db.Webhooks.Add(webhook);
            await db.SaveChangesAsync(ct);
        }
        app.Service<WebhookOutbox>().Invalidate();
        using (var test = await admin.PostAsync($"/api/webhooks/{webhook.Id}/test", null, ct))
            Assert.True(test.IsSuccessStatusCode, await test.Content.ReadAsStringAsync(ct));

        await AttemptsAsync(app, 1, ct);
        var log = await admin.GetFromJsonAsync<JsonElement>($"/api/webhooks/{webhook.Id}/deliveries", ct);
        Assert.Contains("private address", log.ToString(), StringComparison.Ordinal);
        Assert.Empty(receiver.All);
    }

    private static Task AttemptsAsync(DashboardApp app, int attempts, CancellationToken ct) => WaitAsync(async () =>
    {
        await using var db = await app.Service<IDbContextFactory<DashboardDbContext>>().CreateDbContextAsync(ct);
        return await db.WebhookDeliveries.AnyAsync(d => d.Attempts >= attempts, ct);
    });

    // Waits for the job server to get to work that is due; the clock the work depends on is the fake one.
    private static async Task WaitAsync(Func<Task<bool>> done)
    {
        using var timeout = new CancellationTokenSource(Patience);
        while (!await done())
        {
            await Task.Delay(50, timeout.Token);
        }
    }
}
