using Bunit;
using Dashboard.App.Components.Pages.Webhooks;
using Dashboard.App.Tests.Infrastructure;
using Dashboard.Data.Timeline;
using Dashboard.Data.Webhooks;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using TestContext = Xunit.TestContext;

namespace Dashboard.App.Tests.Components;

public sealed class WebhooksPageTests : MudBunitContext
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Create_ShowsTheSecretOnce_AndListsTheWebhookWithItsFilter()
    {
        await using var data = await DataServices.MigratedAsync();
        Services.AddSingleton(data.Get<WebhookService>());
        AddAuthorization().SetAuthorized("admin");
        var cut = RenderWithProviders<WebhooksPage>();

        await cut.InputAsync("input[data-testid=webhook-name]", "ops");
        await cut.InputAsync("input[data-testid=webhook-url]", "https://127.0.0.1:8443/hook");
        await cut.InputAsync("input[data-testid=webhook-components]", "billing");
        await cut.ClickAsync("[data-testid=webhook-create]");

        var secret = cut.WaitForElement("[data-testid=webhook-created-secret]").TextContent.Trim();
        var stored = Assert.Single(await data.Get<WebhookService>().ListAsync(Ct)).Webhook;
        Assert.DoesNotContain(secret, stored.Secret, StringComparison.Ordinal);
        Assert.True(data.Get<WebhookSecrets>().TryDecrypt(stored.Secret, out var back));
        Assert.Equal(secret, back);
        Assert.Equal(["billing"], stored.Components);
        Assert.Equal("admin", stored.CreatedBy);
        var row = cut.Find("[data-testid=webhook-table] tbody tr");
        Assert.Contains("component billing", row.TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Create_ShowsTheValidatorsMessageByTheUrl_AndStoresNothing()
    {
        await using var data = await DataServices.MigratedAsync();
        Services.AddSingleton(data.Get<WebhookService>());
        AddAuthorization().SetAuthorized("admin");
        var cut = RenderWithProviders<WebhooksPage>();

        await cut.InputAsync("input[data-testid=webhook-name]", "ops");
        await cut.InputAsync("input[data-testid=webhook-url]", "gopher://127.0.0.1/hook");
        await cut.ClickAsync("[data-testid=webhook-create]");

        cut.WaitForAssertion(() => Assert.Contains("http:// or https://", cut.Markup, StringComparison.Ordinal));
        Assert.Empty(await data.Get<WebhookService>().ListAsync(Ct));
        Assert.Empty(cut.FindAll("[data-testid=webhook-created-secret]"));
    }

    [Fact]
    public async Task Create_ShowsWhyAPrivateAddressIsRefused_ByTheUrl()
    {
        await using var data = await DataServices.MigratedAsync(settings: new Dictionary<string, string?> { ["Dashboard:Webhooks:AllowPrivateAddresses"] = "false" });
        Services.AddSingleton(data.Get<WebhookService>());
        AddAuthorization().SetAuthorized("admin");
        var cut = RenderWithProviders<WebhooksPage>();

        await cut.InputAsync("input[data-testid=webhook-name]", "metadata");
        await cut.InputAsync("input[data-testid=webhook-url]", "http://169.254.169.254/latest/meta-data/");
        await cut.ClickAsync("[data-testid=webhook-create]");

        cut.WaitForAssertion(() => Assert.Contains("may only reach public addresses", cut.Markup, StringComparison.Ordinal));
        Assert.Empty(await data.Get<WebhookService>().ListAsync(Ct));
    }

    [Fact]
    public async Task Log_ShowsTheReceiversAnswerAsText_NeverAsMarkup()
    {
        await using var data = await DataServices.MigratedAsync();
        var created = await data.Get<WebhookService>().CreateAsync(new WebhookRequest("ops", "https://127.0.0.1/hook"), "admin", Ct);
        await data.Get<TimelineService>().RecordAsync(new TimelineEntry
        {
            Source = TimelineSources.Changes, SubjectType = SubjectKinds.Change, SubjectId = "c1", Status = TimelineStatuses.Failed, Title = "billing failed",
        }, Ct);
        await using (var db = data.CreateDb())
        {
            await db.WebhookDeliveries.ExecuteUpdateAsync(s => s
                .SetProperty(d => d.Attempts, 1)
                .SetProperty(d => d.LastStatusCode, 500)
                .SetProperty(d => d.LastError, "HTTP 500: <script>alert('x')</script><b>boom</b>"), Ct);
        }
        Services.AddSingleton(data.Get<WebhookService>());
        AddAuthorization().SetAuthorized("admin");
        var cut = RenderWithProviders<WebhooksPage>();

        await cut.ClickAsync("[data-testid=webhook-log]");

        var row = cut.WaitForElement("[data-testid=webhook-deliveries] tbody tr");
        Assert.Contains("billing failed", row.TextContent, StringComparison.Ordinal);
        Assert.Contains("retrying at", row.TextContent, StringComparison.Ordinal);
        Assert.Contains("<script>alert('x')</script>", row.TextContent, StringComparison.Ordinal);
        Assert.Empty(cut.FindAll("[data-testid=webhook-deliveries] script, [data-testid=webhook-deliveries] b"));
        Assert.Equal(created.Webhook.Id, Assert.Single(await data.Get<WebhookService>().ListAsync(Ct)).Webhook.Id);
    }

    [Fact]
    public async Task Rotate_ShowsTheNewSecretOnce_AfterTheLogShowedThatTheOldOneCannotBeDecrypted()
    {
        await using var data = await DataServices.MigratedAsync();
        var service = data.Get<WebhookService>();
        var created = await service.CreateAsync(new WebhookRequest("ops", "https://127.0.0.1/hook"), "admin", Ct);
        var foreign = WebhookSecrets.Prefix + new EphemeralDataProtectionProvider().CreateProtector(WebhookSecrets.Purpose).Protect("x");
        await using (var db = data.CreateDb())
            await db.Webhooks.ExecuteUpdateAsync(s => s.SetProperty(w => w.Secret, foreign), Ct);
        await data.Get<TimelineService>().RecordAsync(new TimelineEntry
        {
            Source = TimelineSources.Changes, SubjectType = SubjectKinds.Change, SubjectId = "c1", Status = TimelineStatuses.Failed, Title = "billing failed",
        }, Ct);
        var queue = ((Dashboard.Data.Work.RecordingWorkScheduler)data.Get<Dashboard.Data.Work.IWorkScheduler>()).Enqueued.Single().SubjectId;
        await data.Get<WebhookRunner>().RunAsync(queue, Ct);
        Services.AddSingleton(service);
        AddAuthorization().SetAuthorized("admin");
        var cut = RenderWithProviders<WebhooksPage>();

        await cut.ClickAsync("[data-testid=webhook-log]");
        cut.WaitForAssertion(() => Assert.Contains("cannot be decrypted", cut.Find("[data-testid=webhook-deliveries] tbody tr").TextContent, StringComparison.Ordinal));
        await cut.ClickAsync("[data-testid=webhook-rotate]");

        var alert = cut.WaitForElement("[data-testid=webhook-secret-alert]").TextContent;
        Assert.Contains("new signing secret", alert, StringComparison.Ordinal);
        var shown = cut.Find("[data-testid=webhook-created-secret]").TextContent.Trim();
        Assert.NotEqual(created.Secret, shown);
        var stored = (await service.GetAsync(created.Webhook.Id, Ct)).Secret;
        Assert.True(data.Get<WebhookSecrets>().TryDecrypt(stored, out var back));
        Assert.Equal(shown, back);
        // Due again now, not at the backed-off time of the failed attempt.
        Assert.Contains($"retrying at {data.Clock.GetUtcNow().UtcDateTime:u}", cut.Find("[data-testid=webhook-deliveries] tbody tr").TextContent, StringComparison.Ordinal);
    }
}
