using Bunit;
using Dashboard.App.Components.Pages.Users;
using Dashboard.App.Tests.Infrastructure;
using Dashboard.Data.Audit;
using Dashboard.Data.Auth;
using Microsoft.AspNetCore.Components;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using AuditPage = Dashboard.App.Components.Pages.Audit.AuditPage;
using TestContext = Xunit.TestContext;

namespace Dashboard.App.Tests.Components;

public sealed class UsersAndAuditPagesTests : MudBunitContext
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly Actor Admin = new("alice", ActorKinds.Person, Roles.Admin);

    [Fact]
    public async Task Users_Create_ShowsTheRuleByTheField_AndStoresNothing_ThenCreates()
    {
        await using var data = await DataServices.MigratedAsync();
        Services.AddSingleton(data.Get<UserService>());
        AddAuthorization().SetAuthorized("admin");
        var cut = RenderWithProviders<UsersPage>();

        await cut.InputAsync("input[data-testid=user-name]", "olga");
        await cut.InputAsync("input[data-testid=user-password]", "short");
        await cut.ClickAsync("[data-testid=user-create]");

        cut.WaitForAssertion(() => Assert.Contains($"needs at least {UserService.MinPasswordLength} characters", cut.Markup, StringComparison.Ordinal));
        Assert.Empty(await data.Get<UserService>().ListAsync(Ct));

        await cut.InputAsync("input[data-testid=user-password]", "a-long-enough-password");
        await cut.ClickAsync("[data-testid=user-create]");

        cut.WaitForAssertion(() => Assert.Contains("operator", cut.Find("[data-testid=user-row-olga]").TextContent, StringComparison.Ordinal));
        Assert.Equal(Roles.Operator, Assert.Single(await data.Get<UserService>().ListAsync(Ct)).Role);
    }

    [Fact]
    public async Task Users_ChangeRoleAndDisable_AreSavedAndShown()
    {
        await using var data = await DataServices.MigratedAsync();
        await data.Get<UserService>().EnsureBootstrapAdminAsync("bootstrap-password", Ct);
        using (AmbientActorContext.Begin(Admin)) await data.Get<UserService>().CreateAsync("olga", Roles.Operator, "a-long-enough-password", Ct);
        Services.AddSingleton(data.Get<UserService>());
        AddAuthorization().SetAuthorized("admin");
        var cut = RenderWithProviders<UsersPage>();

        await cut.ChangeAsync("[data-testid=user-row-olga] select", Roles.Viewer);
        await cut.ClickAsync("[data-testid=user-row-olga] [data-testid=user-disable]");

        cut.WaitForAssertion(() => Assert.StartsWith("disabled", cut.Find("[data-testid=user-row-olga] [data-testid=user-state]").TextContent, StringComparison.Ordinal));
        var olga = (await data.Get<UserService>().ListAsync(Ct)).Single(u => u.UserName == "olga");
        Assert.Equal(Roles.Viewer, olga.Role);
        Assert.NotNull(olga.DisabledAt);
        await using var db = data.CreateDb();
        Assert.Equal([AuditActions.UserCreate, AuditActions.UserRole, AuditActions.UserDisable], await db.AuditEntries.OrderBy(e => e.Id).Select(e => e.Action).ToListAsync(Ct));
    }

    [Fact]
    public async Task Users_ResetPassword_ShowsTheRuleByTheField()
    {
        await using var data = await DataServices.MigratedAsync();
        using (AmbientActorContext.Begin(Admin)) await data.Get<UserService>().CreateAsync("olga", Roles.Operator, "a-long-enough-password", Ct);
        Services.AddSingleton(data.Get<UserService>());
        AddAuthorization().SetAuthorized("admin");
        var cut = RenderWithProviders<UsersPage>();

        await cut.ClickAsync("[data-testid=user-row-olga] [data-testid=user-reset]");
        await cut.InputAsync("input[data-testid=reset-password]", "tiny");
        await cut.ClickAsync("[data-testid=reset-save]");

        cut.WaitForAssertion(() => Assert.Contains("needs at least", cut.Find("[data-testid=reset-panel]").TextContent, StringComparison.Ordinal));
        Assert.NotNull(await data.Get<UserService>().VerifyAsync("olga", "a-long-enough-password", Ct));
    }

    [Fact]
    public async Task Audit_ShowsEntries_FilteredByTheAddress_WithPagingAndTheExportLink()
    {
        await using var data = await DataServices.MigratedAsync();
        var audit = data.Get<AuditLog>();
        await audit.RecordAsync(AuditActions.DeploymentPause, AuditTargets.Deployment, "d-1", AuditOutcomes.Succeeded, "web paused.", new Actor("olga", ActorKinds.Person, Roles.Operator, RemoteAddress: "127.0.0.1"), Ct);
        await audit.RecordAsync(AuditActions.TokenCreate, AuditTargets.Token, "bot", AuditOutcomes.Refused, "no scope", Admin, Ct);
        Services.AddSingleton(data.Get<AuditService>());
        AddAuthorization().SetAuthorized("admin");
        Services.GetRequiredService<NavigationManager>().NavigateTo("/audit?outcome=succeeded");

        var cut = RenderWithProviders<AuditPage>();

        var row = Assert.Single(cut.FindAll("[data-testid=audit-row]"));
        Assert.Contains("olga", row.TextContent, StringComparison.Ordinal);
        Assert.Contains("deployment.pause", row.TextContent, StringComparison.Ordinal);
        Assert.Contains("127.0.0.1", row.TextContent, StringComparison.Ordinal);
        Assert.Equal("1–1 of 1", cut.Find("[data-testid=audit-total]").TextContent.Trim());
        Assert.Contains("/audit/export.csv?outcome=succeeded", cut.Find("[data-testid=audit-export]").GetAttribute("href"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Audit_ShowsABadTimeCalmly()
    {
        await using var data = await DataServices.MigratedAsync();
        Services.AddSingleton(data.Get<AuditService>());
        AddAuthorization().SetAuthorized("admin");
        Services.GetRequiredService<NavigationManager>().NavigateTo("/audit?from=not%20a%20time");

        var cut = RenderWithProviders<AuditPage>();

        Assert.Contains("not a time", cut.Find("[data-testid=audit-error]").TextContent, StringComparison.Ordinal);
        Assert.NotNull(cut.Find("[data-testid=audit-empty]"));
    }
}
