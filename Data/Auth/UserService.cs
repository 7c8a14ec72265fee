using System.Collections.Concurrent;
using System.Security.Cryptography;
using Dashboard.Data.Audit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace Dashboard.Data.Auth;

/// <summary>What a session needs to know about its person on each request: still allowed in, with which role.</summary>
public sealed record UserSessionState(string Role, bool Disabled, string SecurityStamp);

/// <summary>
/// People: sign-in, the bootstrap administrator, and user management for administrators (create with a
/// role, change the role, disable and enable, reset a password). The same rules for the Users page and
/// <c>/api/users</c>; every change is on the audit log, in the change's own save.
/// </summary>
public sealed partial class UserService(IDbContextFactory<DashboardDbContext> dbFactory, TimeProvider clock, AuditLog audit, ILogger<UserService> logger)
{
    public const string BootstrapAdmin = "admin";
    public const int MinPasswordLength = 10;
    private static readonly TimeSpan SessionCacheFor = TimeSpan.FromSeconds(10);

    // Cookie validation runs on every request of a signed-in person; a short cache keeps it off the database.
    private readonly ConcurrentDictionary<int, (UserSessionState? State, DateTime Until)> _sessions = new();

    public async Task<User?> VerifyAsync(string userName, string password, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var user = await db.Users.AsNoTracking().FirstOrDefaultAsync(u => u.UserName == userName, ct);
        // Hash even for unknown users so response time does not reveal which names exist.
        var ok = PasswordHasher.Verify(password, user?.PasswordHash ?? DummyHash);
        return ok && user is not null && user.DisabledAt is null ? user : null;
    }

    /// <summary>
    /// Checks a sign-in and records it on the audit log either way: succeeded as the person (with the new
    /// session's id), refused under the name that was typed.
    /// </summary>
    public async Task<User?> SignInAsync(string userName, string password, string sessionId, string? remoteAddress, string via, CancellationToken ct = default)
    {
        userName = userName.Trim();
        var user = await VerifyAsync(userName, password, ct);
        var actor = new Actor(user?.UserName ?? (userName.Length == 0 ? "(empty)" : userName), ActorKinds.Person, user?.Role,
            SessionId: user is null ? null : sessionId, RemoteAddress: remoteAddress);
        await audit.RecordAsync(AuditActions.SignIn, AuditTargets.User, actor.Name,
            user is null ? AuditOutcomes.Refused : AuditOutcomes.Succeeded,
            user is null ? $"Wrong user name or password ({via})." : $"Signed in ({via}).", actor, ct);
        return user;
    }

    /// <summary>The person's current role and standing, for sessions (cached for a few seconds).</summary>
    public async Task<UserSessionState?> SessionStateAsync(int userId, CancellationToken ct = default)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        if (_sessions.TryGetValue(userId, out var cached) && cached.Until > now) return cached.State;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var state = await db.Users.AsNoTracking().Where(u => u.Id == userId)
            .Select(u => new UserSessionState(u.Role, u.DisabledAt != null, u.SecurityStamp)).FirstOrDefaultAsync(ct);
        _sessions[userId] = (state, now + SessionCacheFor);
        return state;
    }

    public async Task<List<User>> ListAsync(CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.Users.AsNoTracking().OrderBy(u => u.UserName).ToListAsync(ct);
    }

    public async Task<User> GetAsync(int id, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.Users.AsNoTracking().FirstOrDefaultAsync(u => u.Id == id, ct) ?? throw new NotFoundException("User", id.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    public async Task<User> CreateAsync(string? userName, string? role, string? password, CancellationToken ct = default)
    {
        audit.Attempt(AuditActions.UserCreate, AuditTargets.User, userName);
        userName = ValidateUserName(userName);
        role = ValidateRole(role);
        ValidatePassword(password);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        if (await db.Users.AnyAsync(u => u.UserName == userName, ct))
            throw new ValidationException("userName", $"A user named {userName} already exists.");
        var user = new User
        {
            UserName = userName,
            PasswordHash = PasswordHasher.Hash(password!),
            Role = role,
            CreatedAt = clock.GetUtcNow().UtcDateTime,
            SecurityStamp = NewStamp(),
        };
        db.Users.Add(user);
        audit.Add(db, AuditActions.UserCreate, AuditTargets.User, userName, $"Created {userName} as {role}.");
        await db.SaveChangesAsync(ct);
        return user;
    }

    public Task<User> SetRoleAsync(int id, string? role, CancellationToken ct = default) =>
        ChangeAsync(id, AuditActions.UserRole, async (db, user) =>
        {
            role = ValidateRole(role);
            if (user.Role == role) throw new ConflictException($"{user.UserName} is already {role}.");
            if (user.Role == Roles.Admin) await EnsureAnotherAdminAsync(db, user, "demoted", ct);
            var before = user.Role;
            user.Role = role;
            return $"Role of {user.UserName} changed from {before} to {role}.";
        }, ct);

    public Task<User> SetDisabledAsync(int id, bool disabled, CancellationToken ct = default) =>
        ChangeAsync(id, disabled ? AuditActions.UserDisable : AuditActions.UserEnable, async (db, user) =>
        {
            if (disabled == (user.DisabledAt is not null)) throw new ConflictException($"{user.UserName} is already {(disabled ? "disabled" : "enabled")}.");
            if (disabled)
            {
                if (audit.Actor.IsPerson && audit.Actor.Name == user.UserName) throw new ConflictException("You cannot disable yourself.");
                if (user.Role == Roles.Admin) await EnsureAnotherAdminAsync(db, user, "disabled", ct);
            }
            user.DisabledAt = disabled ? clock.GetUtcNow().UtcDateTime : null;
            return $"{user.UserName} {(disabled ? "disabled" : "enabled")}.";
        }, ct);

    public Task<User> ResetPasswordAsync(int id, string? password, CancellationToken ct = default) =>
        ChangeAsync(id, AuditActions.UserPassword, (_, user) =>
        {
            ValidatePassword(password);
            user.PasswordHash = PasswordHasher.Hash(password!);
            // Sessions signed in with the old password end at their next request.
            user.SecurityStamp = NewStamp();
            return Task.FromResult($"Password of {user.UserName} reset.");
        }, ct);

    private async Task<User> ChangeAsync(int id, string action, Func<DashboardDbContext, User, Task<string>> change, CancellationToken ct)
    {
        var key = id.ToString(System.Globalization.CultureInfo.InvariantCulture);
        audit.Attempt(action, AuditTargets.User, key);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        var user = await db.Users.FirstOrDefaultAsync(u => u.Id == id, ct) ?? throw new NotFoundException("User", key);
        audit.Attempt(action, AuditTargets.User, user.UserName);
        var detail = await change(db, user);
        audit.Add(db, action, AuditTargets.User, user.UserName, detail);
        await db.SaveChangesAsync(ct);
        await transaction.CommitAsync(ct);
        _sessions.TryRemove(id, out _);
        return user;
    }

    private static async Task EnsureAnotherAdminAsync(DashboardDbContext db, User user, string what, CancellationToken ct)
    {
        if (!await db.Users.AnyAsync(u => u.Id != user.Id && u.Role == Roles.Admin && u.DisabledAt == null, ct))
            throw new ConflictException($"{user.UserName} is the last enabled administrator and cannot be {what}.");
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
            SecurityStamp = NewStamp(),
        });
        await db.SaveChangesAsync(ct);
        if (string.IsNullOrEmpty(configuredPassword))
        {
            LogGeneratedPassword(password);
        }
    }

    public static string ValidateUserName(string? userName)
    {
        userName = userName?.Trim() ?? "";
        if (userName.Length is 0 or > 100) throw new ValidationException("userName", "A user name is 1 to 100 characters.");
        if (!UserNamePattern().IsMatch(userName))
            throw new ValidationException("userName", "A user name may hold letters, digits and . _ - @ only.");
        return userName;
    }

    public static string ValidateRole(string? role)
    {
        role = role?.Trim().ToLowerInvariant() ?? "";
        if (!Roles.All.Contains(role)) throw new ValidationException("role", $"The role must be one of {string.Join(", ", Roles.All)}.");
        return role;
    }

    public static void ValidatePassword(string? password)
    {
        if (password is null || password.Length < MinPasswordLength)
            throw new ValidationException("password", $"A password needs at least {MinPasswordLength} characters.");
        if (password.Length > 200) throw new ValidationException("password", "A password is at most 200 characters.");
    }

    private static string NewStamp() => Convert.ToHexString(RandomNumberGenerator.GetBytes(16));

    [System.Text.RegularExpressions.GeneratedRegex(@"^[\p{L}\p{N}._@-]+$")]
    private static partial System.Text.RegularExpressions.Regex UserNamePattern();

    [LoggerMessage(Level = LogLevel.Warning, Message = "Created the administrator 'admin' with the generated password {Password}. It is shown only this once; set Dashboard:AdminPassword to choose one.")]
    private partial void LogGeneratedPassword(string password);

    private static readonly string DummyHash = PasswordHasher.Hash(Guid.NewGuid().ToString());
}
