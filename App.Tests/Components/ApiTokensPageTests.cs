using Bunit;
using Dashboard.App.Components.Pages.Settings;
using Dashboard.App.Tests.Infrastructure;
using Dashboard.Data.Auth;
using Microsoft.Extensions.DependencyInjection;
using TestContext = Xunit.TestContext;

namespace Dashboard.App.Tests.Components;

public sealed class ApiTokensPageTests : MudBunitContext
{
    [Fact]
    public async Task Create_ShowsTheSecretOnce_AndListsTheTokenWithItsScopes()
    {
        await using var data = await DataServices.MigratedAsync();
        Services.AddSingleton(data.Get<TokenService>());
        Services.AddSingleton<TimeProvider>(data.Clock);
        AddAuthorization().SetAuthorized("admin");
        var cut = RenderWithProviders<ApiTokens>();

        await cut.InputAsync("input[data-testid=token-name]", "deploy-bot");
        await cut.ClickAsync("[data-testid=token-create]");

        var secret = cut.WaitForElement("[data-testid=token-secret]").TextContent.Trim();
        Assert.NotNull(await data.Get<TokenService>().ValidateAsync(secret, TestContext.Current.CancellationToken));
        var row = Assert.Single(cut.FindAll("[data-testid=token-table] tbody tr"));
        Assert.Contains("deploy-bot", row.TextContent, StringComparison.Ordinal);
        Assert.Contains("read", row.TextContent, StringComparison.Ordinal);
        Assert.Contains("by admin", row.TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Create_WithNomadNamespaces_StoresThePolicy_AndABadEntryIsAFieldError()
    {
        await using var data = await DataServices.MigratedAsync();
        Services.AddSingleton(data.Get<TokenService>());
        AddAuthorization().SetAuthorized("admin");
        var cut = RenderWithProviders<ApiTokens>();

        await cut.InputAsync("input[data-testid=token-name]", "edge-bot");
        await cut.InputAsync("input[data-testid=token-namespaces]", "edge/prod");
        await cut.ClickAsync("[data-testid=token-create]");
        cut.WaitForAssertion(() => Assert.Contains("is not a namespace", cut.Markup, StringComparison.Ordinal));
        Assert.Empty(await data.Get<TokenService>().ListAsync(TestContext.Current.CancellationToken));

        await cut.InputAsync("input[data-testid=token-namespaces]", "edge, default:read");
        await cut.ClickAsync("[data-testid=token-create]");
        cut.WaitForElement("[data-testid=token-secret]");
        var token = Assert.Single(await data.Get<TokenService>().ListAsync(TestContext.Current.CancellationToken));
        Assert.Equal(["edge", "default:read"], token.Namespaces);
        Assert.Equal("edge, default:read", cut.Find("[data-testid=token-namespaces-cell]").TextContent.Trim());
    }

    [Fact]
    public async Task Revoke_MarksTheTokenRevoked()
    {
        await using var data = await DataServices.MigratedAsync();
        var created = await data.Get<TokenService>().CreateAsync("old", [ApiScopes.Read], "admin", ct: TestContext.Current.CancellationToken);
        Services.AddSingleton(data.Get<TokenService>());
        Services.AddSingleton<TimeProvider>(data.Clock);
        AddAuthorization().SetAuthorized("admin");
        var cut = RenderWithProviders<ApiTokens>();

        await cut.ClickAsync(() => cut.FindAll("[data-testid=token-table] button").Single(b => b.TextContent.Contains("Revoke", StringComparison.Ordinal)));

        cut.WaitForAssertion(() => Assert.Contains("revoked", cut.Find("[data-testid=token-table] tbody tr").TextContent, StringComparison.Ordinal));
        Assert.Null(await data.Get<TokenService>().ValidateAsync(created.Secret, TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task Tokens_ShowWhenTheyExpire_AndWhenTheyHaveExpired()
    {
        await using var data = await DataServices.MigratedAsync();
        var now = data.Clock.GetUtcNow().UtcDateTime;
        await data.Get<TokenService>().CreateAsync("short-lived", [ApiScopes.Read], "admin", ct: TestContext.Current.CancellationToken, expiresAtUtc: now.AddDays(7));
        await data.Get<TokenService>().CreateAsync("long-gone", [ApiScopes.Read], "admin", ct: TestContext.Current.CancellationToken, expiresAtUtc: now.AddMinutes(1));
        data.Clock.Advance(TimeSpan.FromMinutes(2));
        Services.AddSingleton(data.Get<TokenService>());
        Services.AddSingleton<TimeProvider>(data.Clock);
        AddAuthorization().SetAuthorized("admin");

        var cut = RenderWithProviders<ApiTokens>();

        var rows = cut.FindAll("[data-testid=token-table] tbody tr");
        Assert.Contains("active, expires", rows.Single(r => r.TextContent.Contains("short-lived", StringComparison.Ordinal)).TextContent, StringComparison.Ordinal);
        Assert.Contains("expired", rows.Single(r => r.TextContent.Contains("long-gone", StringComparison.Ordinal)).TextContent, StringComparison.Ordinal);
    }
}
