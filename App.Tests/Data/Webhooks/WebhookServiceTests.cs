using System.Text;
using System.Text.Json;
using Dashboard.App.Tests.Infrastructure;
using Dashboard.Data;
using Dashboard.Data.Timeline;
using Dashboard.Data.Webhooks;
using Dashboard.Data.Work;
using Microsoft.EntityFrameworkCore;

namespace Dashboard.App.Tests.Data.Webhooks;

public sealed class WebhookServiceTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static TimelineEntry Entry(string subject, string status = TimelineStatuses.Succeeded, string source = TimelineSources.Changes, string? component = "billing") => new()
    {
        Source = source, SubjectType = SubjectKinds.Change, SubjectId = subject, Status = status, Title = $"{subject} {status}",
        Component = component, Hosts = ["h1"], Actor = "ci", OccurredAt = new DateTime(2026, 11, 22, 12, 0, 0, DateTimeKind.Utc),
    };

    private static async Task<DataServices> WithWebhookAsync(string url, WebhookRequest? request = null)
    {
        var data = await DataServices.MigratedAsync();
        await data.Get<WebhookService>().CreateAsync(request ?? new WebhookRequest("all", url, "0123456789abcdef-secret"), "admin", Ct);
        return data;
    }

    [Fact]
    public async Task Save_WritesOutboxRowInTheSameTransaction_AndNoneOnRollback()
    {
        await using var data = await WithWebhookAsync("http://127.0.0.1:9/hook");

        await using (var db = data.CreateDb())
        {
            await using var tx = await db.Database.BeginTransactionAsync(Ct);
            db.Timeline.Add(Entry("rolled-back"));
            await db.SaveChangesAsync(Ct);
            await tx.RollbackAsync(Ct);
        }
        await using (var db = data.CreateDb())
        {
            await using var tx = await db.Database.BeginTransactionAsync(Ct);
            db.Timeline.Add(Entry("committed"));
            await db.SaveChangesAsync(Ct);
            // Written by the same save, visible inside the transaction before commit.
            Assert.Single(await db.WebhookDeliveries.ToListAsync(Ct));
            Assert.Empty(((RecordingWorkScheduler)data.Get<IWorkScheduler>()).Enqueued);
            await tx.CommitAsync(Ct);
        }

        await using var check = data.CreateDb();
        var delivery = Assert.Single(await check.WebhookDeliveries.Include(d => d.TimelineEntry).ToListAsync(Ct));
        Assert.Equal("committed", delivery.TimelineEntry!.SubjectId);
        Assert.Equal(WebhookDeliveryStates.Pending, delivery.State);
        var work = Assert.Single(((RecordingWorkScheduler)data.Get<IWorkScheduler>()).Enqueued);
        Assert.Equal(WebhookRunner.Work(delivery.QueueKey), work);
    }

    [Fact]
    public async Task Save_WritesNoOutboxRow_WhenTheEntryDoesNotMatchTheFilter()
    {
        await using var data = await WithWebhookAsync("http://127.0.0.1:9/hook",
            new WebhookRequest("failures", "http://127.0.0.1:9/hook", null, [TimelineSources.Changes], [TimelineStatuses.Failed], ["Billing"]));
        await using var db = data.CreateDb();
        db.Timeline.AddRange(
            Entry("ok", TimelineStatuses.Succeeded),
            Entry("other-source", TimelineStatuses.Failed, TimelineSources.Batches),
            Entry("other-component", TimelineStatuses.Failed, component: "search"),
            Entry("no-component", TimelineStatuses.Failed, component: null),
            Entry("match", TimelineStatuses.Failed));
        await db.SaveChangesAsync(Ct);

        var delivered = await db.WebhookDeliveries.Select(d => d.TimelineEntry!.SubjectId).ToListAsync(Ct);
        Assert.Equal(["match"], delivered);
    }

    [Theory]
    [InlineData("ftp://example.com/hook", "url")]
    [InlineData("/relative", "url")]
    [InlineData("http://user:pw@127.0.0.1/hook", "url")]
    [InlineData("javascript:alert(1)", "url")]
    [InlineData("", "url")]
    public async Task Create_RejectsBadUrls_AndStoresNothing(string url, string field)
    {
        await using var data = await DataServices.MigratedAsync();
        var ex = await Assert.ThrowsAsync<ValidationException>(() => data.Get<WebhookService>().CreateAsync(new WebhookRequest("x", url), "admin", Ct));
        Assert.Equal(field, ex.Field);
        Assert.Empty(await data.Get<WebhookService>().ListAsync(Ct));
    }

    [Fact]
    public async Task Create_RejectsUnknownStatusesAndShortSecrets_AndGeneratesASecretWhenNoneIsGiven()
    {
        await using var data = await DataServices.MigratedAsync();
        var service = data.Get<WebhookService>();
        Assert.Equal("statuses", (await Assert.ThrowsAsync<ValidationException>(() =>
            service.CreateAsync(new WebhookRequest("x", "https://127.0.0.1/h", Statuses: ["broken"]), null, Ct))).Field);
        Assert.Equal("secret", (await Assert.ThrowsAsync<ValidationException>(() =>
            service.CreateAsync(new WebhookRequest("x", "https://127.0.0.1/h", "short"), null, Ct))).Field);

        var created = await service.CreateAsync(new WebhookRequest("x", "https://127.0.0.1/h"), null, Ct);
        Assert.StartsWith("whsec_", created.Secret, StringComparison.Ordinal);
        Assert.True(created.Secret.Length > 40);
    }

    [Fact]
    public async Task Runner_RetriesWithExponentialBackoff_OnTheAppClock()
    {
        using var receiver = new WebhookReceiver();   // down: the port refuses connections
        await using var data = await WithWebhookAsync(receiver.Url);
        var scheduler = (RecordingWorkScheduler)data.Get<IWorkScheduler>();
        var runner = data.Get<WebhookRunner>();
        await data.Get<TimelineService>().RecordAsync(Entry("c1"), Ct);
        var queue = scheduler.Enqueued.Single().SubjectId;
        var start = data.Clock.GetUtcNow().UtcDateTime;

        await runner.RunAsync(queue, Ct);
        Assert.Equal(start.AddSeconds(10), scheduler.Scheduled[^1].RunAtUtc);

        // Not due yet: no attempt, the same time again.
        data.Clock.Advance(TimeSpan.FromSeconds(9));
        await runner.RunAsync(queue, Ct);
        Assert.Equal(1, (await DeliveryAsync(data)).Attempts);

        data.Clock.Advance(TimeSpan.FromSeconds(1));
        await runner.RunAsync(queue, Ct);
        Assert.Equal(start.AddSeconds(30), scheduler.Scheduled[^1].RunAtUtc);
        data.Clock.Advance(TimeSpan.FromSeconds(20));
        await runner.RunAsync(queue, Ct);
        Assert.Equal(start.AddSeconds(70), scheduler.Scheduled[^1].RunAtUtc);

        var delivery = await DeliveryAsync(data);
        Assert.Equal(3, delivery.Attempts);
        Assert.Equal(WebhookDeliveryStates.Pending, delivery.State);
        Assert.Null(delivery.LastStatusCode);
        Assert.False(string.IsNullOrEmpty(delivery.LastError));
        Assert.Equal([10, 20, 40, 80, 3600], new[] { 1, 2, 3, 4, 20 }.Select(n => (int)WebhookRunner.Backoff(n).TotalSeconds));
    }

    [Fact]
    public async Task Runner_DeliversASubjectsEntriesInOrder_NeverTheNextBeforeTheFirstSucceeded()
    {
        using var receiver = new WebhookReceiver();
        await using var data = await WithWebhookAsync(receiver.Url);
        var scheduler = (RecordingWorkScheduler)data.Get<IWorkScheduler>();
        var runner = data.Get<WebhookRunner>();
        var timeline = data.Get<TimelineService>();
        await timeline.RecordAsync(Entry("c1", TimelineStatuses.InProgress), Ct);
        await timeline.RecordAsync(Entry("c1", TimelineStatuses.Failed), Ct);
        await timeline.RecordAsync(Entry("c1", TimelineStatuses.Succeeded), Ct);
        var queue = scheduler.Enqueued.Select(w => w.SubjectId).Distinct().Single();

        await runner.RunAsync(queue, Ct);
        await using (var db = data.CreateDb())
        {
            var attempts = await db.WebhookDeliveries.OrderBy(d => d.TimelineEntryId).Select(d => d.Attempts).ToListAsync(Ct);
            Assert.Equal([1, 0, 0], attempts);
        }

        receiver.Start();
        data.Clock.Advance(WebhookRunner.FirstRetry);
        await runner.RunAsync(queue, Ct);

        var statuses = receiver.All.Select(r => JsonDocument.Parse(r.Body).RootElement.GetProperty("status").GetString()).ToList();
        Assert.Equal([TimelineStatuses.InProgress, TimelineStatuses.Failed, TimelineStatuses.Succeeded], statuses);
        var first = receiver.All[0];
        Assert.Equal(WebhookSender.Sign("0123456789abcdef-secret", Encoding.UTF8.GetBytes(first.Body)), first.Signature);
        Assert.Equal(WebhookEvents.TimelineEntry, first.Event);
        await using var check = data.CreateDb();
        Assert.All(await check.WebhookDeliveries.ToListAsync(Ct), d => Assert.Equal(WebhookDeliveryStates.Delivered, d.State));
        Assert.Equal(receiver.All.Select(r => r.DeliveryId).Order(), (await check.WebhookDeliveries.Select(d => d.Id).ToListAsync(Ct)).Select(id => id.ToString()).Order());
    }

    [Fact]
    public async Task Runner_TreatsARedirectAsAFailure_AndKeepsTheAnswerAsText()
    {
        using var receiver = new WebhookReceiver { Status = 302 };
        receiver.Start();
        await using var data = await WithWebhookAsync(receiver.Url);
        await data.Get<TimelineService>().RecordAsync(Entry("c1"), Ct);
        var queue = ((RecordingWorkScheduler)data.Get<IWorkScheduler>()).Enqueued.Single().SubjectId;

        await data.Get<WebhookRunner>().RunAsync(queue, Ct);

        var delivery = await DeliveryAsync(data);
        Assert.Equal(302, delivery.LastStatusCode);
        Assert.Equal(WebhookDeliveryStates.Pending, delivery.State);
        Assert.Contains("redirects are not followed", delivery.LastError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Delete_RemovesTheWebhookAndItsLog_AndLaterEntriesGetNoRows()
    {
        await using var data = await WithWebhookAsync("http://127.0.0.1:9/hook");
        var service = data.Get<WebhookService>();
        await data.Get<TimelineService>().RecordAsync(Entry("c1"), Ct);
        var webhook = (await service.ListAsync(Ct)).Single().Webhook;

        await service.DeleteAsync(webhook.Id, Ct);
        await data.Get<TimelineService>().RecordAsync(Entry("c2"), Ct);

        await using var db = data.CreateDb();
        Assert.Empty(await db.WebhookDeliveries.ToListAsync(Ct));
        await Assert.ThrowsAsync<NotFoundException>(() => service.DeleteAsync(webhook.Id, Ct));
    }

    private static async Task<WebhookDelivery> DeliveryAsync(DataServices data)
    {
        await using var db = data.CreateDb();
        return await db.WebhookDeliveries.AsNoTracking().SingleAsync(Ct);
    }
}
