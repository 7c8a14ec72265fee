using Bunit;
using Dashboard.App.Components.Pages.Webhooks;
using Dashboard.App.Tests.Infrastructure;
using Dashboard.Data.Timeline;
using Dashboard.Data.Webhooks;
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

        cut.Find("input[data-testid=webhook-name]").Input("ops");
        cut.Find("input[data-testid=webhook-url]").Input("https://127.0.0.1:8443/hook");
        cut.Find("input[data-testid=webhook-components]").Input("billing");
        await cut.InvokeAsync(() => cut.Find("[data-testid=webhook-create]").Click());

        var secret = cut.WaitForElement("[data-testid=webhook-created-secret]").TextContent.Trim();
        var stored = Assert.Single(await data.Get<WebhookService>().ListAsync(Ct)).Webhook;
        Assert.Equal(stored.Secret, secret);
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

        cut.Find("input[data-testid=webhook-name]").Input("ops");
        cut.Find("input[data-testid=webhook-url]").Input("gopher://127.0.0.1/hook");
        await cut.InvokeAsync(() => cut.Find("[data-testid=webhook-create]").Click());

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

        cut.Find("input[data-testid=webhook-name]").Input("metadata");
        cut.Find("input[data-testid=webhook-url]").Input("http://169.254.169.254/latest/meta-data/");
        await cut.InvokeAsync(() => cut.Find("[data-testid=webhook-create]").Click());

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

        await cut.InvokeAsync(() => cut.Find("[data-testid=webhook-log]").Click());

        var row = cut.WaitForElement("[data-testid=webhook-deliveries] tbody tr");
        Assert.Contains("billing failed", row.TextContent, StringComparison.Ordinal);
        Assert.Contains("retrying at", row.TextContent, StringComparison.Ordinal);
        Assert.Contains("<script>alert('x')</script>", row.TextContent, StringComparison.Ordinal);
        Assert.Empty(cut.FindAll("[data-testid=webhook-deliveries] script, [data-testid=webhook-deliveries] b"));
        Assert.Equal(created.Webhook.Id, Assert.Single(await data.Get<WebhookService>().ListAsync(Ct)).Webhook.Id);
    }
}
