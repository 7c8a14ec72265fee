using System.Net;
using System.Text;
using Dashboard.App.Tests.Infrastructure;
using Dashboard.Data.Auth;
using Microsoft.Playwright;

namespace Dashboard.App.Tests.Browser;

[Collection(AppCollection.Name)]
public sealed class KioskBrowserTests(AppFixture fixture, BrowserFixture browser)
{
    private static readonly CancellationToken Ct = TestContext.Current.CancellationToken;

    private static async Task<string> KioskTokenAsync(DashboardApp app) =>
        (await app.Service<TokenService>().CreateAsync("wall", [ApiScopes.Kiosk], "admin", ct: Ct)).Secret;

    private static async Task PostStartAsync(DashboardApp app, string component)
    {
        using var client = app.ApiClient();
        var body = $$"""{"component":"{{component}}","version":"4.2","hosts":["prod-api-1","prod-api-2"],"owner":"ops@acme.com"}""";
        using var response = await client.PostAsync("/data/events/deployments/start", new StringContent(body, Encoding.UTF8, "application/json"), Ct);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
    }

    [Fact]
    public async Task KioskLink_SignsTheScreenIn_ShowsChangesLive_AndOpensNoOtherPage()
    {
        var kiosk = await KioskPage.SignedInAsync(browser, fixture.App, await KioskTokenAsync(fixture.App));
        Assert.EndsWith("/kiosk", kiosk.Page.Url, StringComparison.Ordinal);
        var component = $"wall-{Guid.NewGuid():N}"[..13];

        await PostStartAsync(fixture.App, component);

        await Assertions.Expect(kiosk.Running(component)).ToBeVisibleAsync();
        Assert.Equal(0, await kiosk.Page.Locator("a, button, nav").CountAsync());

        foreach (var path in new[] { "/", "/changes", "/settings/tokens" })
        {
            var response = await kiosk.Page.GotoAsync(path);
            Assert.Equal(403, response!.Status);
            Assert.Contains("/denied", kiosk.Page.Url, StringComparison.Ordinal);
        }
        await kiosk.Page.Context.CloseAsync();
    }

    [Theory]
    [InlineData(null)]
    [InlineData("not-a-token")]
    public async Task KioskLink_Returns401_WithoutAValidKioskToken(string? token)
    {
        using var client = fixture.App.ApiClient(token: null);
        var readOnly = (await fixture.App.Service<TokenService>().CreateAsync("reader", [ApiScopes.Read], "admin", ct: Ct)).Secret;

        using var response = await client.GetAsync($"/kiosk/login?token={token}", Ct);
        using var wrongScope = await client.GetAsync($"/kiosk/login?token={readOnly}", Ct);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, wrongScope.StatusCode);
    }

    [Theory]
    [InlineData(800, 480)]
    [InlineData(1920, 1080)]
    public async Task Kiosk_FitsTheScreen_WithoutScrolling(int width, int height)
    {
        await PostStartAsync(fixture.App, "kiosk-shot");
        var kiosk = await KioskPage.SignedInAsync(browser, fixture.App, await KioskTokenAsync(fixture.App), width, height);
        await Assertions.Expect(kiosk.Running("kiosk-shot")).ToBeVisibleAsync();

        await kiosk.Page.ScreenshotAsync(new PageScreenshotOptions { Path = Screenshots.PathFor($"kiosk-{width}x{height}") });

        var overflow = await kiosk.Page.EvaluateAsync<bool>("() => document.scrollingElement.scrollHeight > innerHeight || document.scrollingElement.scrollWidth > innerWidth");
        Assert.False(overflow);
        await kiosk.Page.Context.CloseAsync();
    }

    [Fact]
    public async Task Kiosk_RecoversByItself_AfterTheServerIsStoppedAndStartedAgain()
    {
        using var data = new TempDirectory();
        var port = DashboardApp.FreeLoopbackPort();
        KioskPage kiosk;
        await using (var first = new DashboardApp(data.Path, port: port).Start())
        {
            kiosk = await KioskPage.SignedInAsync(browser, first, await KioskTokenAsync(first), 1280, 720);
            kiosk.Page.Console += (_, m) => TestContext.Current.SendDiagnosticMessage("console: " + m.Text);
            kiosk.Page.FrameNavigated += (_, f) => TestContext.Current.SendDiagnosticMessage("navigated: " + f.Url);
        }
        await Assertions.Expect(kiosk.Page.Locator("body.kiosk-offline")).ToBeAttachedAsync();

        await using var second = new DashboardApp(data.Path, port: port).Start();
        var component = $"after-{Guid.NewGuid():N}"[..14];
        await Assertions.Expect(kiosk.Page.Locator("body:not(.kiosk-offline) [data-testid=kiosk-state]", new() { HasTextString = "live" }))
            .ToBeVisibleAsync(new() { Timeout = 30_000 });
        await PostStartAsync(second, component);

        await Assertions.Expect(kiosk.Running(component)).ToBeVisibleAsync(new() { Timeout = 30_000 });
        await kiosk.Page.Context.CloseAsync();
    }
}
