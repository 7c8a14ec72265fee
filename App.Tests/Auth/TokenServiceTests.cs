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
