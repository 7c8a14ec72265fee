using Dashboard.App.Tests.Infrastructure;
using Dashboard.Data;
using Dashboard.Data.Auth;
using Microsoft.EntityFrameworkCore;

namespace Dashboard.App.Tests.Auth;

public sealed class TokenServiceTests
{
    [Fact]
    public async Task Create_StoresOnlyAHash_AndTheSecretValidates()
    {
        await using var services = await DataServices.MigratedAsync();
        var tokens = services.Get<TokenService>();
        var ct = TestContext.Current.CancellationToken;

        var created = await tokens.CreateAsync("ci", [ApiScopes.ChangesWrite], "admin", ct: ct);

        await using var db = services.CreateDb();
        var stored = await db.ApiTokens.SingleAsync(ct);
        Assert.NotEqual(created.Secret, stored.SecretHash);
        Assert.DoesNotContain(created.Secret, stored.SecretHash, StringComparison.Ordinal);
        var identity = await tokens.ValidateAsync(created.Secret, ct);
        Assert.NotNull(identity);
        Assert.Equal([ApiScopes.ChangesWrite], identity.Scopes);
        Assert.Null(await tokens.ValidateAsync(created.Secret + "x", ct));
    }

    [Fact]
    public async Task Revoke_MakesTheSecretInvalid_Immediately()
    {
        await using var services = await DataServices.MigratedAsync();
        var tokens = services.Get<TokenService>();
        var ct = TestContext.Current.CancellationToken;
        var created = await tokens.CreateAsync("ci", [ApiScopes.Read], null, ct: ct);
        Assert.NotNull(await tokens.ValidateAsync(created.Secret, ct));

        Assert.True(await tokens.RevokeAsync(created.Token.Id, ct));

        Assert.Null(await tokens.ValidateAsync(created.Secret, ct));
    }

    [Fact]
    public async Task Forget_DropsCachedValidations_SoARevocationOnAnotherNodeAppliesAtOnce()
    {
        await using var services = await DataServices.MigratedAsync();
        var tokens = services.Get<TokenService>();
        var ct = TestContext.Current.CancellationToken;
        var created = await tokens.CreateAsync("ci", [ApiScopes.Read], null, ct: ct);
        Assert.NotNull(await tokens.ValidateAsync(created.Secret, ct));
        Assert.True(await tokens.IsActiveAsync(created.Token.Id, ct));

        // Another node revokes it: the row changes, and this node's caches have not heard.
        await using (var db = services.CreateDb())
        {
            var row = await db.ApiTokens.SingleAsync(t => t.Id == created.Token.Id, ct);
            row.RevokedAt = DateTime.UtcNow;
            await db.SaveChangesAsync(ct);
        }
        Assert.NotNull(await tokens.ValidateAsync(created.Secret, ct));

        tokens.Forget(created.Token.Id);

        Assert.Null(await tokens.ValidateAsync(created.Secret, ct));
        Assert.False(await tokens.IsActiveAsync(created.Token.Id, ct));
    }

    [Fact]
    public async Task RevokeAndNamespaceChange_TellTheClusterRelay_AfterTheirCommit()
    {
        await using var services = await DataServices.MigratedAsync();
        var tokens = services.Get<TokenService>();
        var ct = TestContext.Current.CancellationToken;
        var created = await tokens.CreateAsync("ci", [ApiScopes.Read], null, ct: ct);
        var heard = new List<(int Id, bool Revoked)>();
        tokens.Changed += id =>
        {
            using var db = services.CreateDb();
            heard.Add((id, db.ApiTokens.Single(t => t.Id == id).RevokedAt is not null));
        };

        await tokens.SetNamespacesAsync(created.Token.Id, ["prod"], ct);
        await tokens.RevokeAsync(created.Token.Id, ct);
        await tokens.RevokeAsync(created.Token.Id, ct);

        Assert.Equal([(created.Token.Id, false), (created.Token.Id, true)], heard);
    }

    [Theory]
    [InlineData("", "read", "name")]
    [InlineData("ok", "", "scopes")]
    [InlineData("ok", "root", "scopes")]
    public async Task Create_RejectsBadInput_NamingTheField(string name, string scope, string field)
    {
        await using var services = await DataServices.MigratedAsync();
        string[] scopes = scope.Length == 0 ? [] : [scope];

        var error = await Assert.ThrowsAsync<ValidationException>(() => services.Get<TokenService>().CreateAsync(name, scopes, null, ct: TestContext.Current.CancellationToken));

        Assert.Equal(field, error.Field);
    }

    [Fact]
    public void PasswordHasher_VerifiesOnlyTheRightPassword()
    {
        var hash = PasswordHasher.Hash("s3cret");

        Assert.True(PasswordHasher.Verify("s3cret", hash));
        Assert.False(PasswordHasher.Verify("s3cret ", hash));
        Assert.False(PasswordHasher.Verify("s3cret", "garbage"));
    }
}
