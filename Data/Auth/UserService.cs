using System.Security.Cryptography;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace Dashboard.Data.Auth;

public sealed class UserService(IDbContextFactory<DashboardDbContext> dbFactory, TimeProvider clock, ILogger<UserService> logger)
{
    public const string BootstrapAdmin = "admin";

    public async Task<User?> VerifyAsync(string userName, string password, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var user = await db.Users.AsNoTracking().FirstOrDefaultAsync(u => u.UserName == userName, ct);
        // Hash even for unknown users so response time does not reveal which names exist.
        var ok = PasswordHasher.Verify(password, user?.PasswordHash ?? DummyHash);
        return ok && user is not null ? user : null;
    }

    /// <summary>Creates <c>admin</c> on first start. Returns the generated password when none was configured.</summary>
    public async Task EnsureBootstrapAdminAsync(string? configuredPassword, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        if (await db.Users.AnyAsync(u => u.UserName == BootstrapAdmin, ct)) return;

        var password = string.IsNullOrEmpty(configuredPassword)
            ? Convert.ToBase64String(RandomNumberGenerator.GetBytes(12)).Replace('+', 'x').Replace('/', 'y')
            : configuredPassword;
        db.Users.Add(new User
        {
            UserName = BootstrapAdmin,
            PasswordHash = PasswordHasher.Hash(password),
            Role = Roles.Admin,
            CreatedAt = clock.GetUtcNow().UtcDateTime,
        });
        await db.SaveChangesAsync(ct);
        if (string.IsNullOrEmpty(configuredPassword))
        {
            logger.LogWarning("Created the administrator 'admin' with the generated password {Password}. It is shown only this once; set Dashboard:AdminPassword to choose one.", password);
        }
    }

    private static readonly string DummyHash = PasswordHasher.Hash(Guid.NewGuid().ToString());
}
