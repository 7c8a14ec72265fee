using System.Text.Json;
using Dashboard.App.Tests.Infrastructure;
using Dashboard.Data.Webhooks;
using Microsoft.Playwright;

namespace Dashboard.App.Tests.Browser;

/// <summary>The webhooks settings page: what an administrator does there.</summary>
public sealed class WebhooksSettingsPage(IPage page) : BasePage(page)
{
    public ILocator Create => Page.Locator("[data-testid=webhook-create]:not([disabled])");

    public ILocator Table => Page.Locator("[data-testid=webhook-table]");

    public ILocator Deliveries => Page.Locator("[data-testid=webhook-deliveries]");

    public ILocator Row(string name) => Table.Locator("tbody tr", new() { HasText = name });

    public async Task CreateAsync(string name, string url, string? components = null)
    {
        await Create.WaitForAsync(); // typed text is only kept once the circuit is interactive
        await Page.Locator("input[data-testid=webhook-name]").FillAsync(name);
        await Page.Locator("input[data-testid=webhook-url]").FillAsync(url);
        if (components is not null) await Page.Locator("input[data-testid=webhook-components]").FillAsync(components);
        await Create.ClickAsync();
    }

    public Task SendTestAsync(string name) => Row(name).Locator("[data-testid=webhook-test]").ClickAsync();

    public Task RotateAsync(string name) => Row(name).Locator("[data-testid=webhook-rotate]").ClickAsync();

    public ILocator ShownSecret => Page.Locator("[data-testid=webhook-created-secret]");

    public Task ShowLogAsync(string name) => Row(name).Locator("[data-testid=webhook-log]").ClickAsync();

    public ILocator FieldError(string testId) => Page.Locator(".mud-input-control", new() { Has = Page.Locator($"[data-testid={testId}]") });
}

[Collection(AppCollection.Name)]
public sealed class WebhooksBrowserTests(AppFixture fixture, BrowserFixture browser)
{
    [Fact]
    public async Task CreateWebhook_ShowsTheSecretOnce_AndATestEventReachesTheReceiverSigned()
    {
        using var receiver = new WebhookReceiver().Start();
        var name = $"hook-{Guid.NewGuid():N}"[..13];
        var page = new WebhooksSettingsPage(await LoginPage.SignedInAsync(browser, fixture.App, "/settings/webhooks"));

        await page.CreateAsync(name, receiver.Url, "billing, search");

        var secret = (await page.ShownSecret.InnerTextAsync()).Trim();
        Assert.StartsWith("whsec_", secret, StringComparison.Ordinal);
        await Assertions.Expect(page.Row(name)).ToContainTextAsync("component billing/search");

        await page.SendTestAsync(name);
        await receiver.WaitForAsync(1, TimeSpan.FromSeconds(30));
        var received = Assert.Single(receiver.All);
        Assert.Equal(WebhookEvents.Test, received.Event);
        Assert.Equal(name, JsonDocument.Parse(received.Body).RootElement.GetProperty("webhook").GetString());
        Assert.Equal(WebhookSender.Sign(secret, System.Text.Encoding.UTF8.GetBytes(received.Body)), received.Signature);

        // A new secret, shown once in place of the first; the next delivery is signed with it.
        await page.RotateAsync(name);
        await Assertions.Expect(page.Page.Locator("[data-testid=webhook-secret-alert]")).ToContainTextAsync("new signing secret");
        var rotated = (await page.ShownSecret.InnerTextAsync()).Trim();
        Assert.StartsWith("whsec_", rotated, StringComparison.Ordinal);
        Assert.NotEqual(secret, rotated);
        await page.SendTestAsync(name);
        await receiver.WaitForAsync(2, TimeSpan.FromSeconds(30));
        Assert.Equal(WebhookSender.Sign(rotated, System.Text.Encoding.UTF8.GetBytes(receiver.All[1].Body)), receiver.All[1].Signature);

        await page.ShowLogAsync(name);
        await Assertions.Expect(page.Deliveries).ToContainTextAsync("delivered");
        await page.ScreenshotAsync("webhooks-light");
        await page.Page.Context.CloseAsync();

        var dark = new WebhooksSettingsPage(await LoginPage.SignedInAsync(browser, fixture.App, "/settings/webhooks", ColorScheme.Dark));
        await dark.Create.WaitForAsync();
        await dark.ShowLogAsync(name);
        await Assertions.Expect(dark.Deliveries).ToContainTextAsync("delivered");
        await dark.ScreenshotAsync("webhooks-dark");
        await dark.Page.Context.CloseAsync();

        // The shared app keeps running for other tests: leave no webhook behind.
        var webhooks = fixture.App.Service<WebhookService>();
        await webhooks.DeleteAsync((await webhooks.ListAsync(TestContext.Current.CancellationToken)).Single(s => s.Webhook.Name == name).Webhook.Id, TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task CreateWebhook_ShowsTheErrorByTheField_WhenTheUrlIsNotHttp()
    {
        var page = new WebhooksSettingsPage(await LoginPage.SignedInAsync(browser, fixture.App, "/settings/webhooks"));

        await page.CreateAsync($"bad-{Guid.NewGuid():N}"[..12], "ftp://127.0.0.1/hook");

        await Assertions.Expect(page.FieldError("webhook-url")).ToContainTextAsync("http:// or https://");
        Assert.Equal(0, await page.Page.Locator("[data-testid=webhook-created-secret]").CountAsync());
        await page.Page.Context.CloseAsync();
    }
}
