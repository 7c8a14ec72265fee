using System.Text;
using Dashboard.App.Tests.Infrastructure;
using Dashboard.Data;
using Dashboard.Data.Timeline;
using Dashboard.Data.Webhooks;
using Dashboard.Data.Work;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Dashboard.App.Tests.Data.Webhooks;

/// <summary>Signing secrets at rest: encrypted with the app's key ring, legacy plain text encrypted in place, a lost key survived.</summary>
public sealed class WebhookSecretsTests
{
    private const string Secret = "legacy-plain-secret-0123456789";

    // The receiver records a request just after answering it, so the sender may be back first.
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static TimelineEntry Entry(string subject, string component) => new()
    {
        Source = TimelineSources.Changes, SubjectType = SubjectKinds.Change, SubjectId = subject, Status = TimelineStatuses.Succeeded, Title = $"{subject} done",
        Component = component, Hosts = ["h1"], Actor = "ci", OccurredAt = new DateTime(2026, 11, 22, 12, 0, 0, DateTimeKind.Utc),
    };

    [Fact]
    public async Task Create_StoresNoPlainTextInTheDatabaseFile_AndDeliveriesAreSignedWithTheSecretGiven()
    {
        using var receiver = new WebhookReceiver().Start();
        await using var data = await DataServices.MigratedAsync();
        var created = await data.Get<WebhookService>().CreateAsync(new WebhookRequest("ops", receiver.Url, Secret), "admin", Ct);
        Assert.Equal(Secret, created.Secret);

        var stored = await StoredSecretAsync(data, created.Webhook.Id);
        Assert.StartsWith(WebhookSecrets.Prefix, stored, StringComparison.Ordinal);
        Assert.DoesNotContain(Secret, stored, StringComparison.Ordinal);
        // The bytes on disk, the write-ahead log included: the secret is nowhere in the database's files.
        Assert.All(DatabaseFiles(data), file => Assert.DoesNotContain(Secret, Encoding.UTF8.GetString(File.ReadAllBytes(file)), StringComparison.Ordinal));

        await AssertAnEntryArrivesSignedAsync(data, receiver, Secret);
    }

    [Fact]
    public async Task EncryptPlainText_EncryptsALegacyRowInPlaceOnce_AndItStillSignsTheSame()
    {
        using var receiver = new WebhookReceiver().Start();
        await using var data = await DataServices.MigratedAsync(settings: new Dictionary<string, string?> { ["Dashboard:Demo"] = "false" });
        var legacy = await AddRawAsync(data, "legacy", receiver.Url, Secret);
        var current = (await data.Get<WebhookService>().CreateAsync(new WebhookRequest("current", receiver.Url, "current-secret-0123456789", Components: ["none"]), "admin", Ct)).Webhook;
        var currentStored = await StoredSecretAsync(data, current.Id);

        // Where start-up does it: the initializer, run twice as on two restarts.
        var initializer = data.Get<DatabaseInitializer>();
        await initializer.InitializeAsync(data.Get<DashboardSettings>(), "", Ct);
        var encrypted = await StoredSecretAsync(data, legacy);
        await initializer.InitializeAsync(data.Get<DashboardSettings>(), "", Ct);

        Assert.StartsWith(WebhookSecrets.Prefix, encrypted, StringComparison.Ordinal);
        Assert.DoesNotContain(Secret, encrypted, StringComparison.Ordinal);
        Assert.Equal(encrypted, await StoredSecretAsync(data, legacy));
        Assert.Equal(currentStored, await StoredSecretAsync(data, current.Id));
        Assert.Equal(0, await data.Get<WebhookSecrets>().EncryptPlainTextAsync(Ct));

        await AssertAnEntryArrivesSignedAsync(data, receiver, Secret);
    }

    [Fact]
    public async Task Initializer_StillStarts_AndLeavesThePlainTextAsItWas_WhenTheKeyRingCannotEncrypt()
    {
        await using var data = await DataServices.MigratedAsync(services => services.AddSingleton<IDataProtectionProvider>(new UnwritableKeyRing()),
            new Dictionary<string, string?> { ["Dashboard:Demo"] = "false" });
        var legacy = await AddRawAsync(data, "legacy", "https://127.0.0.1/hook", Secret);

        await data.Get<DatabaseInitializer>().InitializeAsync(data.Get<DashboardSettings>(), "", Ct);

        Assert.Equal(Secret, await StoredSecretAsync(data, legacy));
    }

    [Fact]
    public async Task Runner_RecordsThatTheSecretCannotBeDecrypted_KeepsItAsStored_AndOtherWebhooksDeliver_UntilItIsRotated()
    {
        using var lostReceiver = new WebhookReceiver().Start();
        using var okReceiver = new WebhookReceiver().Start();
        await using var data = await DataServices.MigratedAsync();
        // Encrypted under a key this key ring never had: what a lost or replaced key ring leaves behind.
        var foreign = WebhookSecrets.Prefix + new EphemeralDataProtectionProvider().CreateProtector(WebhookSecrets.Purpose).Protect(Secret);
        var lost = await AddRawAsync(data, "lost", lostReceiver.Url, foreign);
        await data.Get<WebhookService>().CreateAsync(new WebhookRequest("ok", okReceiver.Url, "ok-secret-0123456789abcdef"), "admin", Ct);

        await data.Get<TimelineService>().RecordAsync(Entry("c1", "billing"), Ct);
        await RunEnqueuedAsync(data);

        var failed = Assert.Single(await data.Get<WebhookService>().DeliveriesAsync(lost, ct: Ct));
        Assert.Equal(WebhookSecrets.CannotDecrypt, failed.LastError);
        Assert.Equal(WebhookDeliveryStates.Pending, failed.State);
        Assert.Equal(1, failed.Attempts);
        Assert.Empty(lostReceiver.All);
        Assert.Equal(foreign, await StoredSecretAsync(data, lost));
        await okReceiver.WaitForAsync(1, Patience);
        var ok = Assert.Single(okReceiver.All);
        Assert.Equal(WebhookSender.Sign("ok-secret-0123456789abcdef", Encoding.UTF8.GetBytes(ok.Body)), ok.Signature);

        // The retry is not due for 10 s; rotating makes it due now and queues it.
        var rotated = await data.Get<WebhookService>().RotateSecretAsync(lost, null, Ct);
        Assert.StartsWith("whsec_", rotated.Secret, StringComparison.Ordinal);
        await RunEnqueuedAsync(data);

        await lostReceiver.WaitForAsync(1, Patience);
        var delivered = Assert.Single(lostReceiver.All);
        Assert.Equal(WebhookSender.Sign(rotated.Secret, Encoding.UTF8.GetBytes(delivered.Body)), delivered.Signature);
        Assert.Equal(WebhookDeliveryStates.Delivered, Assert.Single(await data.Get<WebhookService>().DeliveriesAsync(lost, ct: Ct)).State);
        Assert.DoesNotContain(rotated.Secret, await StoredSecretAsync(data, lost), StringComparison.Ordinal);
    }

    [Fact]
    public async Task RotateSecret_RefusesAShortSecretAndAMissingWebhook_AndChangesNothing()
    {
        await using var data = await DataServices.MigratedAsync();
        var service = data.Get<WebhookService>();
        var webhook = (await service.CreateAsync(new WebhookRequest("ops", "https://127.0.0.1/hook", Secret), "admin", Ct)).Webhook;
        var before = await StoredSecretAsync(data, webhook.Id);

        Assert.Equal("secret", (await Assert.ThrowsAsync<ValidationException>(() => service.RotateSecretAsync(webhook.Id, "short", Ct))).Field);
        await Assert.ThrowsAsync<NotFoundException>(() => service.RotateSecretAsync(Guid.NewGuid(), null, Ct));
        Assert.Equal(before, await StoredSecretAsync(data, webhook.Id));

        var given = await service.RotateSecretAsync(webhook.Id, "  given-secret-0123456789  ", Ct);
        Assert.Equal("given-secret-0123456789", given.Secret);
        await using (var db = data.CreateDb())
        {
            var audited = await db.AuditEntries.Where(e => e.Action == Dashboard.Data.Audit.AuditActions.WebhookRotateSecret).ToListAsync(Ct);
            Assert.Equal(webhook.Id.ToString(), Assert.Single(audited, e => e.Outcome == Dashboard.Data.Audit.AuditOutcomes.Succeeded).TargetId);
            Assert.DoesNotContain(audited, e => (e.Detail ?? "").Contains("given-secret", StringComparison.Ordinal));
        }
        Assert.True(data.Get<WebhookSecrets>().TryDecrypt(await StoredSecretAsync(data, webhook.Id), out var back));
        Assert.Equal("given-secret-0123456789", back);
    }

    /// <summary>A row as a version before encryption wrote it (or any value), bypassing the service.</summary>
    private static async Task<Guid> AddRawAsync(DataServices data, string name, string url, string secret)
    {
        var webhook = new Webhook { Id = Guid.NewGuid(), Name = name, Url = url, Secret = secret, Components = ["billing"], CreatedAt = DateTime.UtcNow };
        await using var db = data.CreateDb();
        db.Webhooks.Add(webhook);
        await db.SaveChangesAsync(Ct);
        data.Get<WebhookOutbox>().Invalidate();
        return webhook.Id;
    }

    // The column as stored (the entity has no converter on it).
    private static async Task<string> StoredSecretAsync(DataServices data, Guid id)
    {
        await using var db = data.CreateDb();
        return await db.Webhooks.AsNoTracking().Where(w => w.Id == id).Select(w => w.Secret).SingleAsync(Ct);
    }

    private static IEnumerable<string> DatabaseFiles(DataServices data) =>
        Directory.EnumerateFiles(data.DataDirectory, "dashboard.db*");

    // One entry recorded and its queues run: the receiver gets it once, and its signature verifies under the secret.
    private static async Task AssertAnEntryArrivesSignedAsync(DataServices data, WebhookReceiver receiver, string secret)
    {
        await data.Get<TimelineService>().RecordAsync(Entry("c1", "billing"), Ct);
        await RunEnqueuedAsync(data);
        await receiver.WaitForAsync(1, Patience);
        var received = Assert.Single(receiver.All);
        Assert.Equal(WebhookSender.Sign(secret, Encoding.UTF8.GetBytes(received.Body)), received.Signature);
    }

    // Runs what the job server would have: every queue handed over so far (the runner is reentrant, so again is harmless).
    private static async Task RunEnqueuedAsync(DataServices data)
    {
        var runner = data.Get<WebhookRunner>();
        foreach (var work in ((RecordingWorkScheduler)data.Get<IWorkScheduler>()).Enqueued.Where(w => w.Kind == WebhookRunner.WorkKind).Distinct().ToList())
            await runner.RunAsync(work.SubjectId, Ct);
    }

    // What a key ring that cannot store a new key does: every operation fails.
    private sealed class UnwritableKeyRing : IDataProtectionProvider, IDataProtector
    {
        public IDataProtector CreateProtector(string purpose) => this;

        public byte[] Protect(byte[] plaintext) => throw new System.Security.Cryptography.CryptographicException("The key ring could not be written.");

        public byte[] Unprotect(byte[] protectedData) => throw new System.Security.Cryptography.CryptographicException("The key ring could not be written.");
    }
}
