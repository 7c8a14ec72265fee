using Dashboard.App.Tests.Infrastructure;
using Dashboard.Data;
using Dashboard.Data.Audit;
using Dashboard.Data.Auth;
using Dashboard.Data.Webhooks;
using Microsoft.EntityFrameworkCore;
using TestContext = Xunit.TestContext;

namespace Dashboard.App.Tests.Audit;

/// <summary>The audit log on a real SQLite file: entries commit and roll back with their action; refusals are written on their own.</summary>
public sealed class AuditLogTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly Actor Admin = new("alice", ActorKinds.Person, Roles.Admin, SessionId: "s1", RemoteAddress: "127.0.0.1");
    private static readonly Actor Viewer = new("victor", ActorKinds.Person, Roles.Viewer, SessionId: "s2", RemoteAddress: "127.0.0.2");

    [Fact]
    public async Task Add_CommitsWithTheAction_WithWhoAndFromWhere()
    {
        await using var data = await DataServices.MigratedAsync();
        using (AmbientActorContext.Begin(Admin))
        {
            await data.Get<UserService>().CreateAsync("olga", Roles.Operator, "operator-password-1", Ct);
        }

        await using var db = data.CreateDb();
        var entry = await db.AuditEntries.SingleAsync(e => e.Action == AuditActions.UserCreate, Ct);
        Assert.Equal(("alice", ActorKinds.Person, "s1", "127.0.0.1"), (entry.Actor, entry.ActorKind, entry.SessionId, entry.RemoteAddress));
        Assert.Equal((AuditTargets.User, "olga", AuditOutcomes.Succeeded), (entry.TargetKind, entry.TargetId, entry.Outcome));
        Assert.Equal(data.Clock.GetUtcNow().UtcDateTime, entry.At);
        Assert.True(await db.Users.AnyAsync(u => u.UserName == "olga" && u.Role == Roles.Operator, Ct));
    }

    [Fact]
    public async Task Add_IsRolledBackWithTheAction_WhenItsTransactionRollsBack()
    {
        await using var data = await DataServices.MigratedAsync();
        var audit = data.Get<AuditLog>();
        using (AmbientActorContext.Begin(Admin))
        {
            await using var db = data.CreateDb();
            await using var transaction = await db.Database.BeginTransactionAsync(Ct);
            db.Users.Add(new User { UserName = "ghost", PasswordHash = "x", Role = Roles.Viewer });
            audit.Add(db, AuditActions.UserCreate, AuditTargets.User, "ghost");
            await db.SaveChangesAsync(Ct);
            await transaction.RollbackAsync(Ct);
        }

        await using var check = data.CreateDb();
        Assert.False(await check.AuditEntries.AnyAsync(Ct));
        Assert.False(await check.Users.AnyAsync(u => u.UserName == "ghost", Ct));
    }

    [Fact]
    public async Task Refusal_IsWrittenOnItsOwn_AndTheActionChangesNothing()
    {
        await using var data = await DataServices.MigratedAsync();
        await data.Get<UserService>().EnsureBootstrapAdminAsync("bootstrap-password", Ct);
        var admin = (await data.Get<UserService>().ListAsync(Ct)).Single();
        var audit = data.Get<AuditLog>();

        using (AmbientActorContext.Begin(Admin))
        {
            // The last enabled administrator cannot be demoted: the transaction rolls back, the refusal stays.
            var refusal = await Assert.ThrowsAsync<ConflictException>(() => data.Get<UserService>().SetRoleAsync(admin.Id, Roles.Viewer, Ct));
            Assert.True(await audit.FinishAsync(refusal));
            Assert.False(await audit.FinishAsync(refusal)); // recorded once, however many layers report it
        }

        await using var db = data.CreateDb();
        var entry = await db.AuditEntries.SingleAsync(Ct);
        Assert.Equal((AuditActions.UserRole, "admin", AuditOutcomes.Refused, "alice"), (entry.Action, entry.TargetId, entry.Outcome, entry.Actor));
        Assert.Contains("last enabled administrator", entry.Detail, StringComparison.Ordinal);
        Assert.Equal(Roles.Admin, (await db.Users.SingleAsync(Ct)).Role);
    }

    [Fact]
    public async Task Refusal_CaughtOnTheWay_IsStillNoted_ForTheEndOfTheOperation()
    {
        await using var data = await DataServices.MigratedAsync();
        var audit = data.Get<AuditLog>();
        using (AmbientActorContext.Begin(Admin))
        {
            // A page catches the validation error to show it by the field; the operation's end still knows.
            try { await data.Get<WebhookService>().CreateAsync(new WebhookRequest("hook", "ftp://127.0.0.1/x", null, null, null, null), "alice", Ct); }
            catch (ValidationException) { }
            Assert.True(await audit.FinishAsync());
        }

        await using var db = data.CreateDb();
        var entry = await db.AuditEntries.SingleAsync(Ct);
        Assert.Equal((AuditActions.WebhookCreate, "hook", AuditOutcomes.Refused), (entry.Action, entry.TargetId, entry.Outcome));
        Assert.False(await db.Webhooks.AnyAsync(Ct));
    }

    [Fact]
    public async Task Viewer_IsRefusedAnOperatorAction_WhereverItIsCalledFrom()
    {
        await using var data = await DataServices.MigratedAsync();
        using (AmbientActorContext.Begin(Viewer))
        {
            var refusal = await Assert.ThrowsAsync<ForbiddenException>(() =>
                data.Get<Dashboard.Data.Canaries.DeploymentService>().PauseAsync("00000000-0000-0000-0000-000000000000", true, "victor", Ct));
            Assert.Contains("needs the operator role", refusal.Message, StringComparison.Ordinal);
            await data.Get<AuditLog>().FinishAsync(refusal);
        }
        using (AmbientActorContext.Begin(Admin with { Role = Roles.Operator }))
        {
            await Assert.ThrowsAsync<ForbiddenException>(() => data.Get<TokenService>().CreateAsync("t", [ApiScopes.Read], "alice", ct: Ct));
        }

        await using var db = data.CreateDb();
        var entry = await db.AuditEntries.SingleAsync(Ct);
        Assert.Equal((AuditActions.DeploymentPause, "victor", AuditOutcomes.Refused), (entry.Action, entry.Actor, entry.Outcome));
        Assert.False(await db.ApiTokens.AnyAsync(Ct));
    }

    [Fact]
    public async Task TokenActor_IsRecordedWithTheTokensNameAndId()
    {
        await using var data = await DataServices.MigratedAsync();
        using (AmbientActorContext.Begin(new Actor("deploy-bot", ActorKinds.Token, TokenId: 42, RemoteAddress: "127.0.0.1")))
        {
            await data.Get<TokenService>().CreateAsync("child", [ApiScopes.Read], "deploy-bot", ct: Ct);
        }

        await using var db = data.CreateDb();
        var entry = await db.AuditEntries.SingleAsync(Ct);
        Assert.Equal(("deploy-bot", ActorKinds.Token, 42, AuditActions.TokenCreate, "child"), (entry.Actor, entry.ActorKind, entry.TokenId, entry.Action, entry.TargetId));
    }

    [Fact]
    public async Task SignIn_IsRecorded_SucceededAsThePerson_RefusedUnderTheTypedName()
    {
        await using var data = await DataServices.MigratedAsync();
        var users = data.Get<UserService>();
        await users.EnsureBootstrapAdminAsync("bootstrap-password", Ct);

        Assert.Null(await users.SignInAsync("admin", "wrong", "s9", "127.0.0.9", "sign-in form", Ct));
        Assert.NotNull(await users.SignInAsync("admin", "bootstrap-password", "s10", "127.0.0.9", "sign-in form", Ct));

        await using var db = data.CreateDb();
        var entries = await db.AuditEntries.OrderBy(e => e.Id).ToListAsync(Ct);
        Assert.Equal([AuditOutcomes.Refused, AuditOutcomes.Succeeded], entries.Select(e => e.Outcome));
        Assert.All(entries, e => Assert.Equal((AuditActions.SignIn, "admin", "127.0.0.9"), (e.Action, e.Actor, e.RemoteAddress)));
        Assert.Equal([null, "s10"], entries.Select(e => e.SessionId));
    }

    [Fact]
    public async Task DisabledUser_CannotSignIn_AndAResetPasswordChangesTheStamp()
    {
        await using var data = await DataServices.MigratedAsync();
        var users = data.Get<UserService>();
        await users.EnsureBootstrapAdminAsync("bootstrap-password", Ct);
        User olga;
        using (AmbientActorContext.Begin(Admin))
        {
            olga = await users.CreateAsync("olga", Roles.Operator, "operator-password-1", Ct);
            await users.SetDisabledAsync(olga.Id, true, Ct);
        }
        Assert.Null(await users.VerifyAsync("olga", "operator-password-1", Ct));
        Assert.True((await users.SessionStateAsync(olga.Id, Ct))!.Disabled);

        using (AmbientActorContext.Begin(Admin))
        {
            await users.SetDisabledAsync(olga.Id, false, Ct);
            await users.ResetPasswordAsync(olga.Id, "another-password-2", Ct);
        }
        Assert.Null(await users.VerifyAsync("olga", "operator-password-1", Ct));
        Assert.NotNull(await users.VerifyAsync("olga", "another-password-2", Ct));
        Assert.NotEqual(olga.SecurityStamp, (await users.SessionStateAsync(olga.Id, Ct))!.SecurityStamp);
    }

    [Theory]
    [InlineData("", "Wrong", "operator-password-1", "userName")]
    [InlineData("has space", "operator", "operator-password-1", "userName")]
    [InlineData("olga", "root", "operator-password-1", "role")]
    [InlineData("olga", "operator", "short", "password")]
    public async Task Create_RefusesBadInput_ByItsField(string userName, string role, string password, string field)
    {
        await using var data = await DataServices.MigratedAsync();
        using var _ = AmbientActorContext.Begin(Admin);
        var error = await Assert.ThrowsAsync<ValidationException>(() => data.Get<UserService>().CreateAsync(userName, role, password, Ct));
        Assert.Equal(field, error.Field);
        await using var db = data.CreateDb();
        Assert.False(await db.Users.AnyAsync(Ct));
    }

    [Fact]
    public async Task Search_FiltersByActorActionTargetOutcomeAndTime_NewestFirst()
    {
        await using var data = await DataServices.MigratedAsync();
        var audit = data.Get<AuditLog>();
        await audit.RecordAsync(AuditActions.DeploymentPause, AuditTargets.Deployment, "d-1", AuditOutcomes.Succeeded, null, Admin, Ct);
        data.Clock.Advance(TimeSpan.FromMinutes(5));
        await audit.RecordAsync(AuditActions.DeploymentPromote, AuditTargets.Deployment, "d-2", AuditOutcomes.Refused, "no", Viewer, Ct);
        await audit.RecordAsync(AuditActions.TokenCreate, AuditTargets.Token, "bot", AuditOutcomes.Succeeded, null, Admin, Ct);
        var search = data.Get<AuditService>();

        Assert.Equal(2, (await search.SearchAsync(new AuditQuery(Action: "deployment"), ct: Ct)).Total);
        Assert.Equal("d-2", Assert.Single((await search.SearchAsync(new AuditQuery(Actor: "vict"), ct: Ct)).Entries).TargetId);
        Assert.Equal("d-2", Assert.Single((await search.SearchAsync(new AuditQuery(Outcome: AuditOutcomes.Refused), ct: Ct)).Entries).TargetId);
        Assert.Equal(2, (await search.SearchAsync(new AuditQuery(Target: "deployment"), ct: Ct)).Total);
        var late = await search.SearchAsync(new AuditQuery(From: data.Clock.GetUtcNow().UtcDateTime.AddMinutes(-1)), ct: Ct);
        Assert.Equal(["bot", "d-2"], late.Entries.Select(e => e.TargetId));
        var paged = await search.SearchAsync(new AuditQuery(), page: 1, pageSize: 2, ct: Ct);
        Assert.Equal((3, "d-1"), (paged.Total, Assert.Single(paged.Entries).TargetId));
        await Assert.ThrowsAsync<ValidationException>(() => search.SearchAsync(new AuditQuery(Outcome: "maybe"), ct: Ct));
    }

    [Theory]
    [InlineData("plain", "plain")]
    [InlineData("a,b", "\"a,b\"")]
    [InlineData("say \"hi\"", "\"say \"\"hi\"\"\"")]
    [InlineData("two\nlines", "\"two\nlines\"")]
    [InlineData("=HYPERLINK(\"http://x\")", "\"'=HYPERLINK(\"\"http://x\"\")\"")]
    [InlineData("+1", "'+1")]
    [InlineData("-2", "'-2")]
    [InlineData("@SUM(A1)", "'@SUM(A1)")]
    [InlineData("\tx", "'\tx")]
    public void CsvField_QuotesAndDisarmsFormulas(string value, string expected) =>
        Assert.Equal(expected, AuditCsv.Field(value));
}
