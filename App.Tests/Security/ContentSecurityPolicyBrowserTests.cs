using System.Collections.Concurrent;
using Dashboard.App.Tests.Browser;
using Dashboard.App.Tests.Infrastructure;
using Microsoft.AspNetCore.Components.Endpoints;
using Microsoft.AspNetCore.Routing;
using Microsoft.Playwright;

namespace Dashboard.App.Tests.Security;

/// <summary>Every page, Scalar's reference and the Hangfire dashboard, in Chromium under the real policy: any violation fails.</summary>
[Collection(AppCollection.Name)]
public sealed class ContentSecurityPolicyBrowserTests(AppFixture fixture, BrowserFixture browser)
{
    // Reported by the page itself (the event carries the directive and the blocked address) and by the console.
    private const string ListenScript = """
        window.__cspViolations = [];
        document.addEventListener('securitypolicyviolation', e =>
            window.__cspViolations.push(e.violatedDirective + ' blocked ' + (e.blockedURI || 'inline') + ' at ' + e.sourceFile + ':' + e.lineNumber));
        """;

    /// <summary>Every routable page of the app, with route parameters filled in by ids that need not exist.</summary>
    public static IReadOnlyList<string> PagePaths(DashboardApp app) =>
    [
        .. app.Service<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.Metadata.GetMetadata<ComponentTypeMetadata>() is not null)
            .Select(e => "/" + string.Join('/', e.RoutePattern.PathSegments.Select(s => string.Concat(s.Parts.Select(p => p switch
            {
                Microsoft.AspNetCore.Routing.Patterns.RoutePatternLiteralPart literal => literal.Content,
                _ => "00000000-0000-0000-0000-000000000001",
            })))))
            .Distinct()
            .Order(StringComparer.Ordinal),
    ];

    [Fact]
    public async Task EveryPage_WorksUnderThePolicy_WithoutAViolation()
    {
        var page = await LoginPage.SignedInAsync(browser, fixture.App);
        await page.Context.AddInitScriptAsync(ListenScript);
        var console = new ConcurrentQueue<string>();
        page.Console += (_, message) =>
        {
            if (message.Text.Contains("Content Security Policy", StringComparison.OrdinalIgnoreCase)) console.Enqueue(message.Text);
        };

        var pages = PagePaths(fixture.App);
        Assert.Contains("/fleet", pages);
        var visited = new List<string>();
        foreach (var path in pages.Where(p => p is not "/login").Concat(["/docs", "/docs/packet", "/hangfire", "/hangfire/jobs/succeeded", "/hangfire/recurring", "/hangfire/servers"]))
        {
            var response = await page.GotoAsync(path);
            Assert.NotNull(response);
            Assert.True(response.Status < 500, $"{path} answered {response.Status}");
            try
            {
                await WaitUntilReadyAsync(page, path, response.Status);
            }
            catch (TimeoutException)
            {
                Assert.Fail($"{path} did not become ready; violations: {string.Join("; ", await page.EvaluateAsync<string[]>("() => window.__cspViolations"))} console: {string.Join("; ", console)}");
            }
            var violations = await page.EvaluateAsync<string[]>("() => window.__cspViolations");
            Assert.True(violations.Length == 0, $"{path}: {string.Join("; ", violations)}");
            visited.Add(path);
        }
        Assert.True(console.IsEmpty, string.Join("\n", console));

        // The sign-in page itself, from a fresh context, also under the policy.
        var anonymous = await browser.NewPageAsync(fixture.App.BaseAddress);
        await anonymous.Context.AddInitScriptAsync(ListenScript);
        var login = await new LoginPage(anonymous).OpenAsync();
        await login.SignInAsync("admin", "wrong password");
        await login.Error.WaitForAsync();
        Assert.Empty(await anonymous.EvaluateAsync<string[]>("() => window.__cspViolations"));

        await anonymous.Context.CloseAsync();
        await page.Context.CloseAsync();
        Assert.Contains("/", visited);
    }

    private static async Task WaitUntilReadyAsync(IPage page, string path, int status)
    {
        if (path.StartsWith("/docs", StringComparison.Ordinal))
            await page.GetByRole(AriaRole.Heading).First.WaitForAsync();
        else if (path.StartsWith("/hangfire", StringComparison.Ordinal))
            await page.Locator("#footer, footer").First.WaitForAsync(new() { State = WaitForSelectorState.Attached });
        else if (path is "/kiosk")
            await page.Locator("[data-interactive=true]").WaitForAsync();
        else if (status == 200)
            // The theme is applied by a script call over the circuit: the page is interactive once it shows.
            await page.Locator(".mud-layout[data-theme-ready]").WaitForAsync();
        await page.WaitForLoadStateAsync(LoadState.NetworkIdle);
    }

    [Fact]
    public async Task Responses_CarryTheHardeningHeaders()
    {
        using var client = new HttpClient { BaseAddress = fixture.App.BaseAddress };

        using var login = await client.GetAsync("/login", TestContext.Current.CancellationToken);
        using var api = await client.GetAsync("/api/timeline", TestContext.Current.CancellationToken);

        foreach (var response in new[] { login, api })
        {
            Assert.Equal("nosniff", Assert.Single(response.Headers.GetValues("X-Content-Type-Options")));
            Assert.Equal("same-origin", Assert.Single(response.Headers.GetValues("Referrer-Policy")));
        }
        var policy = Assert.Single(login.Headers.GetValues("Content-Security-Policy"));
        Assert.Contains("frame-ancestors 'self'", policy, StringComparison.Ordinal);
        Assert.Contains("script-src 'self' 'nonce-", policy, StringComparison.Ordinal);
        var cookies = login.Headers.GetValues("Set-Cookie").ToList();
        Assert.All(cookies, c => Assert.Contains("httponly", c, StringComparison.OrdinalIgnoreCase));
        Assert.All(cookies, c => Assert.Contains("samesite", c, StringComparison.OrdinalIgnoreCase));
    }
}
